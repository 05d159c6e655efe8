"""More than one machine, for real: Debian's redis-server as the shared store, two app processes
with separate data directories (two machines, as far as they know) and nginx in front, as in
deploy/compose.yaml. The API tests' kind of traffic goes at random to either app or through
nginx; one app is killed mid-run; the other serves every network with nothing lost."""

from __future__ import annotations

import random
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.multiproc.conftest import StartServer
from tests.servers import Nginx, RedisServer

N_NETWORKS = 8
N_OPERATIONS = 240
KILL_AFTER = 100


@pytest.fixture
def nginx_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "nginx"
    directory.mkdir()
    return directory


@pytest.fixture
def clean_redis(redis_server: RedisServer) -> Iterator[RedisServer]:
    redis_server.flush()
    yield redis_server
    redis_server.flush()


def test_two_machines_share_every_network_and_one_may_die(
    start_server: StartServer, clean_redis: RedisServer, tmp_path: Path, nginx_dir: Path
) -> None:
    machines = []
    for name in ("machine-a", "machine-b"):
        data_dir = tmp_path / name
        data_dir.mkdir()
        machines.append(start_server(name=name, store=clean_redis.url, data_dir=str(data_dir)))
    a, b = machines
    balancer = Nginx(nginx_dir, [a.port, b.port])
    rng = random.Random(9)
    killed = threading.Event()
    lock = threading.Lock()

    def url() -> str:
        with lock:
            choice = rng.choice([a.url, b.url, balancer.url])
        return b.url if killed.is_set() and choice == a.url else choice

    def call(method: str, path: str, body: Any = None) -> httpx.Response | None:
        """One request; None when it died with the killed machine (then it may or may not have happened)."""
        target = url()
        try:
            response = httpx.request(method, target + path, json=body, timeout=60)
        except httpx.TransportError:
            if target == a.url:
                return None
            raise
        if response.status_code == 502 and target == balancer.url:
            return None  # it was in flight on the killed machine (nginx retries only requests not yet sent)
        return response

    created = [call("POST", "/networks", {"sizes": [2, 6, 2], "dataset": {"name": "moons", "n": 60}})
               for _ in range(N_NETWORKS)]  # fmt: skip
    ids = [r.json()["id"] for r in created if r is not None and r.status_code == 201]
    assert len(ids) == N_NETWORKS
    acknowledged = dict.fromkeys(ids, 0)  # steps and epochs each network was answered for
    uncertain = dict.fromkeys(ids, 0)  # requests lost with the killed machine

    def operation(i: int) -> None:
        if i == KILL_AFTER:
            a.stop(signal.SIGKILL)
            killed.set()
        network_id = ids[i % N_NETWORKS]
        kind = ("step", "train", "forward", "read")[i % 4 if i % 3 else 0]
        if kind == "step":
            response = call("POST", f"/networks/{network_id}/step", {"rows": [0, 1, 2], "optimizer": {"eta": 0.1}})
        elif kind == "train":
            response = call("POST", f"/networks/{network_id}/train", {"epochs": 1, "batch_size": 30})
        elif kind == "forward":
            response = call("POST", f"/networks/{network_id}/forward", {"rows": [0, 1]})
        else:
            response = call("GET", f"/networks/{network_id}")
        with lock:
            if response is None:
                uncertain[network_id] += kind in ("step", "train")
                return
            assert response.status_code == 200, response.text
            if kind == "step":
                acknowledged[network_id] += 1
            elif kind == "train":
                acknowledged[network_id] += 2  # 60 rows, 45 for training: 2 minibatches of 30

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(operation, range(N_OPERATIONS)))
    assert killed.is_set()
    for network_id in ids:  # the surviving machine serves every network, with every answered change
        state = httpx.get(f"{b.url}/networks/{network_id}", timeout=60)
        assert state.status_code == 200, state.text
        step = state.json()["step"]
        low, high = acknowledged[network_id], acknowledged[network_id] + 2 * uncertain[network_id]
        assert low <= step <= high, (network_id, step, low, high)
        through_balancer = httpx.get(f"{balancer.url}/networks/{network_id}", timeout=60)
        assert through_balancer.status_code == 200 and through_balancer.json()["step"] == step
    balancer.stop()
