"""Answers are bounded up front: one that would exceed max_answer_bytes is a 422 naming the limit
and what to send instead, and nothing runs or changes."""

from __future__ import annotations

from app.main import create_app
from tests.api.conftest import API, TestClient, assert_error, make_settings


def test_too_large_answers_are_refused_before_any_work() -> None:
    settings = make_settings(max_answer_bytes=10_000, max_width=64, max_parameters=10_000, max_batch=64)
    with TestClient(create_app(settings)) as client:
        body = {"sizes": [2, 64, 64, 2], "dataset": {"name": "moons", "n": 200}}
        net = client.post(f"{API}/networks", json=body).json()
        url = f"{API}/networks/{net['id']}"
        rows = {"rows": list(range(40))}
        assert_error(client.post(f"{url}/contributions", json={**rows, "layer": 2}), 422, "max_answer_bytes = 10000",
                     "fewer rows")  # fmt: skip
        assert_error(client.post(f"{url}/backward", json=rows), 422, "max_answer_bytes", "fewer rows")
        assert_error(client.post(f"{url}/step", json=rows), 422, "max_answer_bytes")
        assert client.get(url).json()["step"] == 0  # the refused step changed nothing
        assert client.post(f"{url}/forward", json={"rows": [0]}).status_code == 200  # small answers pass
        snapshot = {"epochs": 1, "snapshot": {"surface_resolution": 40}}
        assert_error(client.post(f"{url}/train/stream", json=snapshot), 422, "max_answer_bytes", "surface_resolution")
        assert client.get(url).json()["epoch"] == 0
