"""The store: idle expiry, the least-recently-used cap, busy networks, the persistence hook."""

from __future__ import annotations

import asyncio
from typing import Any

from app.main import create_app
from app.store import DatasetSpec, Store
from ffnn_core import Network, NetworkConfig
from tests.api.conftest import API, JSON_TYPE, Clock, CreateNetwork, TestClient, assert_error, make_settings, run_async


def network() -> Network:
    return Network.create(NetworkConfig.build([2, 3, 2], "tanh"))


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
        assert len(client.app.state.store) == 3  # type: ignore[attr-defined]


def test_invalid_requests_do_not_evict(clock: Clock) -> None:
    with TestClient(create_app(make_settings(max_networks=1), clock=clock)) as client:
        only = client.post(f"{API}/networks", json={"sizes": [2, 2]}).json()["id"]
        assert client.post(f"{API}/networks", json={"sizes": [2, 2], "loss": "nope"}).status_code == 422
        assert client.get(f"{API}/networks/{only}").status_code == 200


def test_busy_networks_are_neither_expired_nor_evicted_first() -> None:
    async def scenario() -> None:
        clock = Clock()
        store = Store(ttl_seconds=10, max_networks=2, clock=clock)
        busy = store.add(network())
        idle = store.add(network())
        async with store.use(busy):
            clock.advance(100)
            assert store.sweep() == 1  # only the idle one expired
            assert busy.id in store and idle.id not in store and not idle.alive
            other = store.add(network())
            third = store.add(network())  # over the cap: the idle one goes, not the busy one
            assert busy.id in store and third.id in store and other.id not in store
        assert busy.last_used == clock.now  # touched when its request ended

    run_async(scenario())


class RecordingPersistence:
    def __init__(self, stored: list[tuple[str, dict[str, Any], float]] | None = None) -> None:
        self.saved: dict[str, dict[str, Any]] = {}
        self.deleted: list[str] = []
        self.stored = stored or []

    def save(self, network_id: str, document: dict[str, Any], last_used: float) -> None:
        self.saved[network_id] = document

    def delete(self, network_id: str) -> None:
        self.deleted.append(network_id)

    def load_all(self) -> list[tuple[str, dict[str, Any], float]]:
        return self.stored


def test_the_persistence_hook_sees_every_change(clock: Clock) -> None:
    persistence = RecordingPersistence()
    with TestClient(create_app(make_settings(), clock=clock, persistence=persistence)) as client:
        net = client.post(f"{API}/networks", json={"sizes": [2, 3, 2], "dataset": {"name": "xor", "n": 20}}).json()
        url = f"{API}/networks/{net['id']}"
        assert persistence.saved[net["id"]]["W"] == net["W"]
        assert persistence.saved[net["id"]]["dataset"]["name"] == "xor"
        stepped = client.post(f"{url}/step", json={"rows": [0, 1]}).json()
        assert persistence.saved[net["id"]]["W"] == stepped["W_after"]
        client.post(f"{url}/train", json={"epochs": 1})
        assert persistence.saved[net["id"]]["epoch"] == 1
        client.post(f"{url}/reset", headers=JSON_TYPE)
        assert persistence.saved[net["id"]]["step"] == 0
        client.delete(url)
        assert persistence.deleted == [net["id"]]


def test_the_store_loads_what_the_persistence_kept(clock: Clock) -> None:
    kept = network()
    spec = DatasetSpec(name="xor", n=20)
    entry_doc = Store(ttl_seconds=10, max_networks=5).add(kept, spec).document()
    stored = [
        ("a" * 32, entry_doc, clock.now - 1),
        ("b" * 32, entry_doc, clock.now - 1000),  # expired
        ("c" * 32, {"format": "nonsense"}, clock.now),  # unreadable
    ]
    persistence = RecordingPersistence(stored)
    with TestClient(create_app(make_settings(ttl_seconds=60), clock=clock, persistence=persistence)) as client:
        restored = client.get(f"{API}/networks/{'a' * 32}").json()
        assert restored["W"] == [w.tolist() for w in kept.W] and restored["dataset"]["n"] == 20
        assert client.get(f"{API}/networks/{'b' * 32}").status_code == 404
        assert client.get(f"{API}/networks/{'c' * 32}").status_code == 404
        assert sorted(persistence.deleted) == ["b" * 32, "c" * 32]


def test_deleting_during_a_request_answers_404_to_waiting_requests(create_network: CreateNetwork) -> None:
    async def scenario() -> None:
        store = Store(ttl_seconds=10, max_networks=5)
        entry = store.add(network())
        async with store.use(entry):
            waiting = asyncio.create_task(_use(store, entry))
            await asyncio.sleep(0)
            store.remove(entry.id)
        assert await waiting == "unknown"

    async def _use(store: Store, entry: Any) -> str:
        try:
            async with store.use(entry):
                return "used"
        except LookupError:
            return "unknown"

    run_async(scenario())
