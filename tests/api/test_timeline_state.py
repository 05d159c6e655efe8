"""PUT .../state puts back an earlier state whole: parameters, step and epoch counters and the
optimiser state, so the next step from there is exactly the step the network made back then."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import API, JSON_TYPE, assert_error

STEP = {"rows": [0, 1, 2, 3], "optimizer": {"name": "adam", "eta": 0.05}}


def _state(doc: dict[str, Any]) -> dict[str, Any]:
    return {key: doc[key] for key in ("W", "b", "step", "epoch", "optimizer_state")}


@pytest.fixture
def network_id(client: Any) -> str:
    body = {"sizes": [2, 3, 2], "activation": "tanh", "seed": 1, "dataset": {"name": "xor", "seed": 0, "n": 40}}
    response = client.post(f"{API}/networks", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_going_back_restores_counters_and_optimiser_state(client: Any, network_id: str) -> None:
    for _ in range(3):
        assert client.post(f"{API}/networks/{network_id}/step", json=STEP).status_code == 200
    train = {"epochs": 1, "batch_size": 8, "optimizer": STEP["optimizer"]}
    assert client.post(f"{API}/networks/{network_id}/train", json=train).status_code == 200
    then = client.get(f"{API}/networks/{network_id}/export").json()
    assert then["optimizer_state"]["adam.t"] and then["epoch"] == 1 and then["step"] > 3
    after_then = client.post(f"{API}/networks/{network_id}/step", json=STEP).json()
    for _ in range(4):
        client.post(f"{API}/networks/{network_id}/step", json=STEP)

    response = client.put(f"{API}/networks/{network_id}/state", json=_state(then))
    assert response.status_code == 200, response.text
    assert response.json()["step"] == then["step"] and response.json()["epoch"] == then["epoch"]
    assert _state(client.get(f"{API}/networks/{network_id}/export").json()) == _state(then)
    again = client.post(f"{API}/networks/{network_id}/step", json=STEP).json()
    assert again["W_after"] == after_then["W_after"], "the same step as back then (same Adam moments and t)"
    assert again["step"] == after_then["step"]


def test_a_wrong_state_is_refused_and_changes_nothing(client: Any, network_id: str) -> None:
    before = client.get(f"{API}/networks/{network_id}/export").json()
    bad = {**_state(before), "W": [[[1.0, 2.0]], before["W"][1]]}
    assert_error(client.put(f"{API}/networks/{network_id}/state", json=bad, headers=JSON_TYPE), 422, "W_1")
    bad = {**_state(before), "optimizer_state": {"nope": []}}
    answer = client.put(f"{API}/networks/{network_id}/state", json=bad, headers=JSON_TYPE)
    assert_error(answer, 422, "nope: unknown field", "adam.m_W")
    bad = {**_state(before), "step": -1}
    assert client.put(f"{API}/networks/{network_id}/state", json=bad).status_code == 422
    assert client.get(f"{API}/networks/{network_id}/export").json() == before
