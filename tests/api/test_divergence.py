"""Divergence is not an error: non-finite numbers come back as null with ``diverged`` naming the
first quantity that went non-finite; no NaN/Infinity ever reaches the JSON, and no 500."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from app import encoding
from ffnn_core import (
    Network,
    NetworkConfig,
    Optimizer,
    apply_update,
    backward,
    first_non_finite_backward,
    first_non_finite_forward,
    forward,
)
from tests.api.conftest import API, JSON_TYPE, CreateNetwork, TestClient


def strict_json(raw: bytes) -> Any:
    """Parse like a browser would: NaN / Infinity are not JSON."""

    def refuse(constant: str) -> Any:
        raise AssertionError(f"non-JSON constant {constant}")

    return json.loads(raw, parse_constant=refuse)


def nulls(value: Any) -> int:
    if value is None:
        return 1
    if isinstance(value, list):
        return sum(nulls(v) for v in value)
    return 0


def test_a_huge_learning_rate_diverges_with_200(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 8, 2], activation="relu", output="linear", loss="squared_error")
    url = f"{API}/networks/{net['id']}"
    body = {"x": [[3.0, -2.0], [1.0, 4.0]], "y": [[1e3, -1e3], [5.0, 2.0]], "optimizer": {"eta": 1e305}}
    first = client.post(f"{url}/step", json=body)
    assert first.status_code == 200
    result = strict_json(first.content)
    # the update made the parameters non-finite: the step's own pass was still finite
    assert result["diverged"]["stage"] == "update" and result["diverged"]["quantity"] in ("W", "b")
    assert nulls(result["W_after"]) + nulls(result["b_after"]) > 0 and nulls(result["grad_W"]) == 0

    second = client.post(f"{url}/step", json=body)
    assert second.status_code == 200
    result = strict_json(second.content)
    assert result["diverged"]["stage"] == "forward"
    assert result["diverged"]["message"].endswith("in the forward pass")
    assert result["step"] == 2

    network = strict_json(client.get(url).content)
    assert network["diverged"] is not None and nulls(network["W"]) > 0
    for operation, payload in (("forward", {"x": [1.0, 1.0]}), ("backward", {"x": [1.0, 1.0], "y": [[0.0, 0.0]]})):
        response = client.post(f"{url}/{operation}", json=payload)
        assert response.status_code == 200 and strict_json(response.content)["diverged"] is not None
    exported = client.get(f"{url}/export")
    assert strict_json(exported.content)["diverged"] is not None
    response = client.post(
        f"{API}/networks/import", content=exported.content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422  # a diverged document cannot be imported
    surface = client.get(f"{url}/surface", params={"resolution": 3})
    assert surface.status_code == 200 and strict_json(surface.content)["diverged"] is not None
    # reset recovers the first parameters
    assert strict_json(client.post(f"{url}/reset", headers=JSON_TYPE).content) == net


def test_training_stops_at_divergence(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(
        sizes=[2, 8, 1], activation="relu", output="linear", loss="squared_error", dataset={"name": "plane", "n": 40}
    )
    body = {"epochs": 5, "batch_size": 4, "optimizer": {"name": "sgd", "eta": 1e10}}
    response = client.post(f"{API}/networks/{net['id']}/train", json=body)
    assert response.status_code == 200
    result = strict_json(response.content)
    assert result["diverged"] is not None and result["stopped"] is False
    assert len(result["history"]) < 5


def test_each_payload_reports_the_cores_own_scan() -> None:
    """One encoder per payload: ``diverged`` is what ffnn_core.divergence finds (the batch loss
    included), and the JSON stays strict (non-finite numbers are null, never bare NaN)."""
    config = NetworkConfig.build([2, 4, 3], "relu", output="linear", loss="squared_error", seed=1)
    X = np.array([[1.0, -2.0], [3.0, 0.5]])
    Y = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    seen = set()
    for W_scale in (1.0, 1e200, np.inf, np.nan):
        net = Network.create(config)
        net.W[1] = net.W[1] * W_scale
        trace = forward(net, X)
        expected = first_non_finite_forward(trace)
        assert strict_json(encoding.dumps(encoding.forward_trace(trace)))["diverged"] == (
            expected.as_dict() if expected else None
        )
        grads = backward(net, X, Y)
        backward_found = strict_json(encoding.dumps(encoding.backward_trace(grads)))["diverged"]
        core_found = first_non_finite_backward(grads)
        if core_found is not None:
            assert backward_found == core_found.as_dict()
        elif not np.isfinite(grads.loss):
            assert backward_found == {"stage": "forward", "quantity": "loss", "layer": None}
        else:
            assert backward_found is None
        seen.add(None if backward_found is None else backward_found["quantity"])
        W_before, b_before = [w.copy() for w in net.W], [v.copy() for v in net.b]
        step = backward(net, X, Y)  # as the step route does it: the full trace, then the update
        apply_update(net, step.grad_W, step.grad_b, Optimizer(eta=1e300))
        stepped = strict_json(encoding.dumps(encoding.step_result(step, W_before, b_before, net)))
        params_finite = all(np.isfinite(p).all() for p in (*net.W, *net.b))
        if backward_found is not None or not params_finite:
            assert stepped["diverged"] is not None
    assert None in seen and len(seen) > 1  # both finite and diverged cases were covered
