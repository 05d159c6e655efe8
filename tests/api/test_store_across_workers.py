"""Two apps on one store (two workers, or two machines with Redis), over HTTP: a worker's cached
copy is read again once the other changed the network; expiry and the least-recently-used cap
count every worker's use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from app.main import create_app
from tests.api.conftest import API, Clock, NetworkBackend, TestClient, make_settings

STEP = {"x": [[0.5, -1.0]], "y": [1], "optimizer": {"name": "sgd", "eta": 0.5}}
TTL_SECONDS = 600.0


@pytest.fixture
def two_workers(connect: NetworkBackend, clock: Clock) -> Iterator[tuple[TestClient, TestClient]]:
    settings = make_settings(ttl_seconds=TTL_SECONDS, max_networks=2, evict_idle_seconds=0)
    with ExitStack() as stack:
        a, b = (stack.enter_context(TestClient(create_app(settings, clock=clock, backend=connect()))) for _ in "ab")
        yield a, b


def _create(client: TestClient, seed: int) -> str:
    response = client.post(f"{API}/networks", json={"sizes": [2, 3, 2], "seed": seed})
    assert response.status_code == 201, response.text
    network_id: str = response.json()["id"]
    return network_id


def _status(client: TestClient, network_id: str) -> int:
    return client.get(f"{API}/networks/{network_id}").status_code


def test_a_cached_copy_is_read_again_after_another_worker_changed_it(
    two_workers: tuple[TestClient, TestClient],
) -> None:
    a, b = two_workers
    network_id = _create(a, 1)
    url = f"{API}/networks/{network_id}"
    seen: dict[str, Any] = a.get(url).json()  # now in a's cache
    for client, other in ((b, a), (a, b), (b, a)):
        stepped = client.post(f"{url}/step", json=STEP).json()
        assert stepped["W_before"] == seen["W"]  # started where the other worker left it
        seen = other.get(url).json()
        assert seen["step"] == stepped["step"] and seen["W"] == stepped["W_after"]
    assert seen["step"] == 3


def test_expiry_counts_use_on_every_worker(two_workers: tuple[TestClient, TestClient], clock: Clock) -> None:
    a, b = two_workers
    kept, idle = _create(a, 1), _create(a, 2)
    clock.advance(TTL_SECONDS * 0.75)
    assert _status(b, kept) == 200  # used on the other worker only
    clock.advance(TTL_SECONDS * 0.5)
    assert [_status(a, idle), _status(b, idle)] == [404, 404]
    assert [_status(a, kept), _status(b, kept)] == [200, 200]


def test_the_cap_evicts_the_least_recently_used_over_every_worker(
    two_workers: tuple[TestClient, TestClient], clock: Clock
) -> None:
    a, b = two_workers
    first = _create(a, 1)
    clock.advance(1)
    second = _create(b, 2)
    clock.advance(1)
    assert _status(b, first) == 200  # first is now the more recently used, on b
    clock.advance(1)
    third = _create(a, 3)  # max_networks 2: room is made on a for what b used least
    assert [_status(a, second), _status(b, second)] == [404, 404]
    assert {_status(c, n) for c in (a, b) for n in (first, third)} == {200}
