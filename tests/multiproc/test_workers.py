"""Several worker processes on one SQLite file: any worker serves any network; one request at a
time per network across them; stops reach whichever worker trains; trainings survive SIGTERM
and kill -9; streams and threads are bounded."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tests.multiproc.conftest import LEASE_SECONDS, StartServer
from tests.multiproc.sse import StreamReader

JSON_TYPE = {"Content-Type": "application/json"}  # state changes must say JSON (app.security)
MOONS = {"name": "moons", "n": 200, "seed": 1}


def _create(url: str, **fields: Any) -> str:
    body = {"sizes": [2, 8, 2], "activation": "tanh", "seed": 1, **fields}
    response = httpx.post(f"{url}/networks", json=body, timeout=30)
    assert response.status_code == 201, response.text
    network_id: str = response.json()["id"]
    return network_id


def _shared(tmp_path: Path) -> dict[str, str]:
    return {"store": f"sqlite://{tmp_path}/shared.sqlite3"}


def test_fifty_parallel_steps_over_two_workers_count_fifty(start_server: StartServer, tmp_path: Path) -> None:
    one = start_server(**_shared(tmp_path))
    two = start_server(workers=2, **_shared(tmp_path))  # `serve --workers 2`: two more processes
    network_id = _create(one.url)
    body = {"x": [[0.5, -1.0], [1.0, 2.0]], "y": [1, 0], "optimizer": {"name": "momentum", "eta": 0.05}}

    def step(i: int) -> dict[str, Any]:
        url = (one.url, two.url)[i % 2]
        response = httpx.post(f"{url}/networks/{network_id}/step", json=body, timeout=60)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    with ThreadPoolExecutor(max_workers=16) as pool:
        steps = list(pool.map(step, range(50)))
    assert sorted(s["step"] for s in steps) == list(range(1, 51))
    by_step = {s["step"]: s for s in steps}
    for k in range(2, 51):  # each step started exactly where another ended, whichever worker ran it
        assert by_step[k]["W_before"] == by_step[k - 1]["W_after"]
    for url in (one.url, two.url):
        final = httpx.get(f"{url}/networks/{network_id}", timeout=30).json()
        assert final["step"] == 50 and final["W"] == by_step[50]["W_after"]


def test_a_stop_reaches_the_worker_that_trains(start_server: StartServer, tmp_path: Path) -> None:
    one = start_server(**_shared(tmp_path))
    two = start_server(**_shared(tmp_path))
    network_id = _create(one.url, dataset=MOONS)
    stream = StreamReader(f"{one.url}/networks/{network_id}/train/stream", {"epochs": 500, "pace_ms": 100})
    assert stream.next("epoch")[0] == "epoch"
    stop = httpx.post(f"{two.url}/networks/{network_id}/train/stop", headers=JSON_TYPE, timeout=30)
    assert stop.status_code == 202 and stop.json() == {"stopping": True}
    kind, done = stream.next("done")
    # a stop that did not reach it would let it run its 500 epochs (50 s) and end "done", not "requested"
    assert kind == "done" and done["stopped"] and done["stop_reason"] == "requested", done
    after = httpx.get(f"{two.url}/networks/{network_id}", timeout=30).json()
    assert after["epoch"] == done["epoch"] and done["epoch"] < 500  # saved when it stopped


def test_a_killed_holders_lease_runs_out(start_server: StartServer, tmp_path: Path) -> None:
    one = start_server(**_shared(tmp_path))
    two = start_server(**_shared(tmp_path))
    network_id = _create(two.url, dataset=MOONS)
    stream = StreamReader(f"{one.url}/networks/{network_id}/train/stream", {"epochs": 1000, "batch_size": 1})
    stream.next("epoch")
    one.stop(signal.SIGKILL)  # dies holding the lease
    started = time.monotonic()
    response = httpx.get(f"{two.url}/networks/{network_id}", timeout=30)
    waited = time.monotonic() - started
    assert response.status_code == 200
    assert waited < float(LEASE_SECONDS) + 2.0, f"waited {waited:.1f} s for a dead holder's lease"


def test_sigterm_stops_trainings_saves_them_and_exits_quickly(start_server: StartServer, tmp_path: Path) -> None:
    one = start_server(**_shared(tmp_path))
    two = start_server(**_shared(tmp_path))
    paced = _create(one.url, dataset=MOONS)
    busy = _create(one.url, dataset=MOONS)
    paced_stream = StreamReader(f"{one.url}/networks/{paced}/train/stream", {"epochs": 1000, "pace_ms": 200})
    busy_stream = StreamReader(f"{one.url}/networks/{busy}/train/stream", {"epochs": 1000, "batch_size": 1})
    for _ in range(3):
        paced_stream.next("epoch")
    seen = [paced_stream.next("epoch")[1]["epoch"], busy_stream.next("epoch")[1]["epoch"]]
    took = one.stop(signal.SIGTERM)
    assert took < 2.0, f"SIGTERM took {took:.2f} s"
    for stream, network_id, at_least in ((paced_stream, paced, seen[0]), (busy_stream, busy, seen[1])):
        kind, done = stream.next("done")
        assert kind == "done" and done["stop_reason"] == "shutdown", (kind, done)
        kept = httpx.get(f"{two.url}/networks/{network_id}", timeout=30).json()
        assert kept["epoch"] == done["epoch"] >= at_least  # every epoch it finished was kept


def test_kill_9_during_a_training_loses_at_most_one_epoch(start_server: StartServer, tmp_path: Path) -> None:
    one = start_server(**_shared(tmp_path))
    network_id = _create(one.url, dataset=MOONS)
    # epochs a second apart: each one is saved as it ends
    stream = StreamReader(f"{one.url}/networks/{network_id}/train/stream", {"epochs": 100, "pace_ms": 1000})
    for _ in range(3):
        last = stream.next("epoch")[1]["epoch"]
    one.stop(signal.SIGKILL)
    two = start_server(**_shared(tmp_path))
    time.sleep(float(LEASE_SECONDS))
    kept = httpx.get(f"{two.url}/networks/{network_id}", timeout=30).json()
    assert last - 1 <= kept["epoch"] <= last + 1, (last, kept["epoch"])  # the one in progress may be lost


def test_streams_and_threads_are_bounded(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server(max_streams="2", compute_threads="1", inline_work_limit="0", **_shared(tmp_path))
    ids = [_create(server.url, dataset=MOONS) for _ in range(3)]
    streams = [
        StreamReader(f"{server.url}/networks/{network_id}/train/stream", {"epochs": 1000, "pace_ms": 500})
        for network_id in ids[:2]
    ]
    for stream in streams:
        stream.next("epoch")
    third = httpx.post(f"{server.url}/networks/{ids[2]}/train/stream", json={"epochs": 1}, timeout=30)
    assert third.status_code == 503 and int(third.headers["Retry-After"]) > 0
    assert "max_streams" in third.json()["detail"]
    # work still runs beside the paced streams (that their waits hold no computing thread is
    # tests/api/test_paced_stream_threads.py)
    forward = httpx.post(f"{server.url}/networks/{ids[2]}/forward", json={"rows": list(range(100))}, timeout=30)
    assert forward.status_code == 200
    for network_id in ids[:2]:
        httpx.post(f"{server.url}/networks/{network_id}/train/stop", headers=JSON_TYPE, timeout=30)
    for stream in streams:
        assert stream.next("done")[0] == "done"


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_stream_nobody_reads_skips_snapshots_and_keeps_memory_flat(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server(max_epochs="100000", max_train_seconds="30", **_shared(tmp_path))
    assert server.process is not None
    network_id = _create(server.url, dataset=MOONS)
    body = json.dumps({"epochs": 100000, "snapshot": {"surface_resolution": 60, "trace": {"rows": list(range(20))}}})
    path = f"/api/v1/networks/{network_id}/train/stream"
    before = _rss_mb(server.process.pid)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            f"{body}".encode()
        )
        time.sleep(8)  # read nothing while the training runs
        during = _rss_mb(server.process.pid)
    grown = during - before
    assert grown < 100, f"RSS grew by {grown:.0f} MB for a client that reads nothing"
    after = httpx.get(f"{server.url}/networks/{network_id}", timeout=60).json()  # closing stopped it
    assert after["epoch"] > 20  # it trained on meanwhile: only the snapshots were skipped


def _worker_pids(supervisor: int) -> list[int]:
    """uvicorn's worker processes (spawned by multiprocessing) under the supervisor process."""
    children = [
        int(c) for task in Path(f"/proc/{supervisor}/task").iterdir() for c in (task / "children").read_text().split()
    ]
    return [pid for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def _sockets(pid: int, port: int, state: str) -> int:
    """Sockets on ``port`` in ``state`` (/proc/net/tcp: 01 established, 0A listening) the process holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for r in rows if int(r[1].rsplit(":", 1)[1], 16) == port and r[3] == state and r[9] in inodes)


def test_connections_that_arrive_at_once_are_spread_over_the_workers(start_server: StartServer) -> None:
    # With one socket shared by the workers, the worker that wakes first accepts every waiting
    # connection; with one socket per worker (app/listeners.py) the kernel spreads them.
    server = start_server(workers=2)
    assert server.process is not None
    workers = _worker_pids(server.process.pid)
    assert len(workers) == 2
    deadline = time.monotonic() + 60
    while not all(_sockets(pid, server.port, "0A") for pid in workers):  # each listens once it has started
        assert time.monotonic() < deadline, "a worker did not start listening"
        time.sleep(0.1)
    request = b"GET /api/v1/meta HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    clients = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(24)]
    try:
        for client in clients:  # every connection is open before any request: all arrive at once
            client.sendall(request)
        for client in clients:
            assert client.recv(65536).startswith(b"HTTP/1.1 200")  # accepted and answered (kept open)
        counts = [_sockets(pid, server.port, "01") for pid in workers]
    finally:
        for client in clients:
            client.close()
    assert sum(counts) == 24
    assert min(counts) >= 4, counts  # a fair coin gives fewer than 4 of 24 once in ~13,000 runs
