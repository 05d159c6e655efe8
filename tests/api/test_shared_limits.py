"""The per-client creation limit is counted in the store: N workers share one limit, not N
(memory, an SQLite file, a real redis-server)."""

from __future__ import annotations

import pytest

from app.main import create_app
from tests.api.conftest import API, Clock, NetworkBackend, TestClient, assert_error, make_settings


def test_the_creation_window_is_one_for_every_connection(connect: NetworkBackend) -> None:
    one, two = connect(), connect()  # two workers
    assert one.count_creation("10.0.0.1", 100.0, 60.0, 3) is None
    assert two.count_creation("10.0.0.1", 110.0, 60.0, 3) is None
    assert one.count_creation("10.0.0.2", 110.0, 60.0, 3) is None  # another client: its own count
    assert two.count_creation("10.0.0.1", 120.0, 60.0, 3) is None
    wait = one.count_creation("10.0.0.1", 130.0, 60.0, 3)  # the 4th within 60 s, on either worker
    assert wait == pytest.approx(30.0)  # until the one at 100 leaves the window
    assert two.count_creation("10.0.0.1", 159.0, 60.0, 3) == pytest.approx(1.0)  # refusals are not counted
    assert two.count_creation("10.0.0.1", 160.5, 60.0, 3) is None  # the one at 100 left
    assert one.count_creation("10.0.0.1", 161.0, 60.0, 3) == pytest.approx(9.0)


def test_two_workers_share_one_clients_creation_limit(connect: NetworkBackend, clock: Clock) -> None:
    settings = make_settings(max_creations_per_client=3, creation_window_seconds=100)
    with (
        TestClient(create_app(settings, clock=clock, backend=connect())) as first,
        TestClient(create_app(settings, clock=clock, backend=connect())) as second,
    ):
        body = {"sizes": [2, 2]}
        assert first.post(f"{API}/networks", json=body).status_code == 201
        assert second.post(f"{API}/networks", json=body).status_code == 201
        clock.advance(10)
        assert first.post(f"{API}/networks", json=body).status_code == 201
        refused = second.post(f"{API}/networks", json=body)  # the 4th of this client in 100 s
        assert_error(refused, 429, "too many networks created from testclient", "at most 3 per 100 s")
        assert refused.headers["Retry-After"] == "90"
        clock.advance(91)
        assert second.post(f"{API}/networks", json=body).status_code == 201
