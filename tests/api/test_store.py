"""The store: idle expiry, the least-recently-used cap, leases, versions, stops; each backend
(memory, an SQLite file, a real redis-server) answers the same interface the same way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from app.backends import BUSY, GONE, LOST, Backend, Heartbeat, Lease, Loaded, MemoryBackend
from app.main import create_app
from app.persistence import SqliteBackend
from app.redis_store import RedisBackend
from app.store import DatasetSpec, Store, UnknownNetworkError
from ffnn_core import Network, NetworkConfig
from tests.api.conftest import API, Clock, TestClient, assert_error, make_settings, run_async
from tests.servers import RedisServer


def network(seed: int = 0) -> Network:
    return Network.create(NetworkConfig.build([2, 3, 2], "tanh", seed=seed))


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    made: Backend
    if request.param == "memory":
        made = MemoryBackend()
    elif request.param == "sqlite":
        made = SqliteBackend(tmp_path / "store.sqlite3")
    else:
        redis_server: RedisServer = request.getfixturevalue("redis_server")
        redis_server.flush()
        made = RedisBackend(redis_server.url)
    yield made
    made.close()


def test_idle_networks_expire(clock: Clock) -> None:
    with TestClient(create_app(make_settings(ttl_seconds=60), clock=clock)) as client:
        first = client.post(f"{API}/networks", json={"sizes": [2, 2]}).json()
        second = client.post(f"{API}/networks", json={"sizes": [2, 2]}).json()
        clock.advance(40)
        assert client.get(f"{API}/networks/{first['id']}").status_code == 200  # used: idle time restarts
        clock.advance(40)  # second idle for 80 s, first for 40 s
        assert_error(client.get(f"{API}/networks/{second['id']}"), 404, "expired after 60 s")
        assert client.get(f"{API}/networks/{first['id']}").status_code == 200
        clock.advance(61)
        assert_error(client.post(f"{API}/networks/{first['id']}/forward", json={"x": [1.0, 2.0]}), 404)


def test_least_recently_used_goes_first(clock: Clock) -> None:
    # (only networks idle for evict_idle_seconds may go: ids[1] has been idle 3 s when it goes)
    with TestClient(create_app(make_settings(max_networks=3, evict_idle_seconds=2), clock=clock)) as client:
        ids = []
        for _ in range(3):
            ids.append(client.post(f"{API}/networks", json={"sizes": [2, 2]}).json()["id"])
            clock.advance(1)
        client.get(f"{API}/networks/{ids[0]}")  # ids[1] is now the least recently used
        clock.advance(1)
        newest = client.post(f"{API}/networks", json={"sizes": [2, 2]}).json()["id"]
        assert client.get(f"{API}/networks/{ids[1]}").status_code == 404
        for kept in (ids[0], ids[2], newest):
            assert client.get(f"{API}/networks/{kept}").status_code == 200
        assert client.app.state.store.count() == 3  # type: ignore[attr-defined]


def test_invalid_requests_do_not_evict(clock: Clock) -> None:
    with TestClient(create_app(make_settings(max_networks=1), clock=clock)) as client:
        only = client.post(f"{API}/networks", json={"sizes": [2, 2]}).json()["id"]
        assert client.post(f"{API}/networks", json={"sizes": [2, 2], "loss": "nope"}).status_code == 422
        assert client.get(f"{API}/networks/{only}").status_code == 200


def test_busy_networks_are_neither_expired_nor_evicted_first(backend: Backend) -> None:
    async def scenario() -> None:
        clock = Clock()
        store = Store(ttl_seconds=10, max_networks=2, clock=clock, backend=backend)
        busy = store.add(network())
        idle = store.add(network())
        async with store.use(busy) as entry:
            clock.advance(100)
            assert store.sweep() == [idle]  # only the idle one expired
            assert await store.exists(busy) and not await store.exists(idle)
            other = store.add(network())
            third = store.add(network())  # over the cap: the idle one goes, not the busy one
            assert await store.exists(busy) and await store.exists(third) and not await store.exists(other)
            entry.network.W[0][0, 0] = 7.0
            entry.mark_changed()
        async with store.use(busy) as again:  # released: saved, and the idle clock restarted
            assert again.network.W[0][0, 0] == 7.0
        clock.advance(9)
        assert store.sweep() == []

    run_async(scenario())


def test_the_lease_is_exclusive_and_runs_out(backend: Backend) -> None:
    record = b"some bytes"
    backend.insert("a" * 32, record, 100.0, "client-1")
    first = backend.acquire("a" * 32, "worker-1:1", 0.3, None, 0.0)
    assert first == Loaded(1, record)
    assert backend.acquire("a" * 32, "worker-2:1", 0.3, None, 0.0) == BUSY
    assert backend.write("a" * 32, "worker-2:1", 1, b"torn", 0.3) == LOST  # not the holder: refused
    assert backend.write("a" * 32, "worker-1:1", 1, b"new", 0.3) == 2
    time.sleep(0.45)  # worker-1 died without renewing
    taken = backend.acquire("a" * 32, "worker-2:2", 5.0, 1, 0.0)
    assert taken == Loaded(2, b"new")  # a stale cached version gets the record
    assert backend.write("a" * 32, "worker-1:1", 2, b"late", 0.3) == LOST  # the dead holder cannot write any more
    assert backend.renew({"a" * 32: Lease("worker-1:1", 2)}, 0.3) == {"a" * 32: LOST}  # nor renew
    assert backend.write("a" * 32, "worker-2:2", 2, b"other", 5.0) == 3
    backend.release("a" * 32, "worker-2:2", 200.0)
    # free again, but changed since worker-1 read it: still refused, worker-2's record stands
    assert backend.write("a" * 32, "worker-1:1", 2, b"late", 0.3) == LOST
    assert backend.acquire("a" * 32, "worker-3:1", 5.0, 3, 0.0) == Loaded(3, None)  # cached copy is current
    assert backend.acquire("b" * 32, "worker-3:2", 5.0, None, 0.0) is None
    assert backend.write("b" * 32, "worker-3:2", 1, b"x", 5.0) == GONE
    assert backend.renew({"b" * 32: Lease("worker-3:2", 1)}, 5.0) == {"b" * 32: GONE}


def test_a_late_holder_nobody_else_wanted_keeps_its_lease(backend: Backend) -> None:
    backend.insert("a" * 32, b"r", 100.0, None)
    assert backend.acquire("a" * 32, "worker-1:1", 0.2, None, 0.0) == Loaded(1, b"r")
    time.sleep(0.3)  # the lease ran out, but nobody took the network or wrote it
    beat = backend.renew({"a" * 32: Lease("worker-1:1", 1)}, 5.0)["a" * 32]
    assert isinstance(beat, Heartbeat)  # renewed: it is worker-1's again
    assert backend.acquire("a" * 32, "worker-2:1", 5.0, None, 0.0) == BUSY
    backend.release("a" * 32, "worker-1:1", 101.0)
    assert isinstance(backend.acquire("a" * 32, "worker-1:2", 0.2, None, 0.0), Loaded)
    time.sleep(0.3)
    assert backend.write("a" * 32, "worker-1:2", 1, b"late but sound", 5.0) == 2  # written, lease taken again
    assert backend.acquire("a" * 32, "worker-2:2", 5.0, None, 0.0) == BUSY


def test_stops_reach_the_holder_through_the_backend(backend: Backend) -> None:
    backend.insert("a" * 32, b"r", 100.0, None)
    assert backend.request_stop("a" * 32) is False  # nothing runs
    assert backend.request_stop("b" * 32) is None
    assert isinstance(backend.acquire("a" * 32, "w:1", 5.0, None, 0.0), Loaded)
    assert backend.request_stop("a" * 32) is False  # leased, but not training
    backend.mark_training("a" * 32, "w:1")
    beat = backend.renew({"a" * 32: Lease("w:1", 1)}, 5.0)["a" * 32]
    assert isinstance(beat, Heartbeat) and not beat.stop
    assert backend.request_stop("a" * 32) is True
    beat = backend.renew({"a" * 32: Lease("w:1", 1)}, 5.0)["a" * 32]
    assert isinstance(beat, Heartbeat) and beat.stop
    assert backend.delete("a" * 32)
    assert backend.renew({"a" * 32: Lease("w:1", 1)}, 5.0) == {"a" * 32: GONE}
    assert not backend.delete("a" * 32)


def test_expiry_and_the_cap_are_decided_in_the_backend(backend: Backend) -> None:
    for i, last_used in enumerate([10.0, 20.0, 30.0, 40.0]):
        backend.insert(str(i) * 32, b"r", last_used, None)
    assert backend.count() == 4
    assert backend.exists("0" * 32, 15.0) is False and backend.exists("1" * 32, 15.0) is True
    assert isinstance(backend.acquire("1" * 32, "w:1", 5.0, None, 0.0), Loaded)  # busy now
    assert backend.acquire("0" * 32, "w:2", 5.0, None, 15.0) is None  # expired: gone on sight
    assert sorted(backend.sweep(0.0, 2, 35.0)) == ["2" * 32]  # idle since before 35: the busy one stays
    assert backend.count() == 2
    assert backend.sweep(1000.0, 10, 0.0) == ["3" * 32]  # expired and idle; the busy one stays
    assert backend.count() == 1 and backend.exists("1" * 32, 1000.0)


def test_a_worker_reads_again_what_another_worker_changed(tmp_path: Path) -> None:
    async def scenario() -> None:
        backend = SqliteBackend(tmp_path / "shared.sqlite3")
        one, two = (Store(ttl_seconds=60, max_networks=10, backend=backend) for _ in range(2))
        network_id = one.add(network(), DatasetSpec(name="xor", n=20))
        async with two.use(network_id) as entry:  # two caches it
            assert entry.network.step == 0
        async with one.use(network_id) as entry:
            entry.network.step = 5
            entry.network.W[1][:] = 0.25
            entry.mark_changed()
        async with two.use(network_id) as entry:  # its cached copy is stale: read again
            assert entry.network.step == 5 and np.all(entry.network.W[1] == 0.25)
            assert entry.dataset_spec == DatasetSpec(name="xor", n=20)
        await one.remove(network_id)
        with pytest.raises(UnknownNetworkError):
            async with two.use(network_id):
                pass

    run_async(scenario())


def test_a_failed_request_changes_nothing() -> None:
    async def scenario() -> None:
        store = Store(ttl_seconds=60, max_networks=10)
        network_id = store.add(network())
        with pytest.raises(ValueError):
            async with store.use(network_id) as entry:
                entry.network.W[0][:] = 99.0  # half-way, then it fails
                entry.mark_changed()
                raise ValueError("boom")
        async with store.use(network_id) as entry:
            assert not np.any(entry.network.W[0] == 99.0)

    run_async(scenario())


def test_deleting_during_a_request_answers_404_to_waiting_requests() -> None:
    async def scenario() -> None:
        store = Store(ttl_seconds=10, max_networks=5)
        network_id = store.add(network())
        async with store.use(network_id) as entry:
            waiting = asyncio.create_task(_use(store, network_id))
            await asyncio.sleep(0)
            await store.remove(network_id)
            assert entry.stop.is_set() and entry.stop_reason == "deleted"
        assert await waiting == "unknown"

    async def _use(store: Store, network_id: str) -> str:
        try:
            async with store.use(network_id):
                return "used"
        except LookupError:
            return "unknown"

    run_async(scenario())
