"""POST .../step answers ``update``: what the optimiser did (g with the L2 term, the steps taken,
its state before and after). It is ffnn_core's own numbers, and Adam's first step on a small
example worked out by hand matches the published equations (Kingma & Ba 2015, Algorithm 1):
    m_t = beta1 m_{t-1} + (1 - beta1) g_t        v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
    m_hat = m_t / (1 - beta1^t)                   v_hat = v_t / (1 - beta2^t)
    theta_t = theta_{t-1} - eta m_hat / (sqrt(v_hat) + eps)
with g = grad_W + lambda W for weights (L2), g = grad_b for biases."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest

from ffnn_core import Network, NetworkConfig, Optimizer, apply_update, backward
from ffnn_core.optimizers import state_snapshot
from tests.api.conftest import API, TestClient

RNG = np.random.default_rng(7)
SIZES = [2, 4, 3]
W = [RNG.normal(size=(n_out, n_in)) for n_in, n_out in itertools.pairwise(SIZES)]
b = [RNG.normal(size=n_out) for n_out in SIZES[1:]]
X = RNG.normal(size=(5, 2))
Y = [0, 2, 1, 1, 0]

OPTIMIZERS = [
    {"name": "sgd", "eta": 0.3, "l2": 0.05},
    {"name": "momentum", "eta": 0.1, "beta": 0.8, "l2": 0.01},
    {"name": "rmsprop", "eta": 0.01, "beta": 0.9, "eps": 1e-6},
    {"name": "adam", "eta": 0.02, "beta1": 0.85, "beta2": 0.99, "eps": 1e-7, "l2": 0.1},
]
STATE_KEYS = {
    "sgd": [],
    "momentum": ["momentum.u_W", "momentum.u_b"],
    "rmsprop": ["rmsprop.v_W", "rmsprop.v_b"],
    "adam": ["adam.m_W", "adam.m_b", "adam.v_W", "adam.v_b"],
}


def same(api: Any, core: Any) -> None:
    """Exactly equal, array by array (JSON floats round-trip exactly)."""
    if isinstance(core, list):
        assert len(api) == len(core)
        for a, c in zip(api, core, strict=True):
            same(a, c)
    else:
        assert np.array_equal(np.array(api, dtype=np.float64), np.asarray(core)), (api, core)


def api_network(client: TestClient, sizes: list[int], W: list[Any], b: list[Any], **config: Any) -> str:
    body = {"sizes": sizes, "activation": "tanh", **config}
    response = client.post(f"{API}/networks", json=body)
    assert response.status_code == 201, response.text
    network_id: str = response.json()["id"]
    response = client.put(
        f"{API}/networks/{network_id}/parameters",
        json={"W": [np.asarray(w).tolist() for w in W], "b": [np.asarray(v).tolist() for v in b]},
    )
    assert response.status_code == 200, response.text
    return network_id


def step(client: TestClient, network_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}/networks/{network_id}/step", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=[o["name"] for o in OPTIMIZERS])
def test_update_is_the_cores(client: TestClient, optimizer: dict[str, Any]) -> None:
    network_id = api_network(client, SIZES, W, b)
    config = NetworkConfig(sizes=tuple(SIZES), activations=("tanh",), output="softmax", loss="cross_entropy")
    net = Network.create(config)
    net.set_parameters([w.copy() for w in W], [v.copy() for v in b])
    core_optimizer = Optimizer(**optimizer)
    previous_after: dict[str, Any] | None = None
    for t in (1, 2, 3):
        result = step(client, network_id, {"x": X.tolist(), "y": Y, "optimizer": optimizer})
        update = result["update"]
        state_before = state_snapshot(net, core_optimizer.name)
        trace = backward(net, X, Y)
        expected = apply_update(net, trace.grad_W, trace.grad_b, core_optimizer)
        state_after = state_snapshot(net, core_optimizer.name)

        assert update["optimizer"] == {
            "name": "sgd", "eta": 0.1, "beta": 0.9, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "l2": 0.0, **optimizer,
        }  # fmt: skip
        assert update["t"] == t == result["step"]
        for name in ("g_W", "g_b", "delta_W", "delta_b"):
            same(update[name], getattr(expected, name))
        assert sorted(update["state_before"]) == sorted(update["state_after"]) == sorted(STATE_KEYS[optimizer["name"]])
        for key in STATE_KEYS[optimizer["name"]]:
            same(update["state_before"][key], state_before[key])
            same(update["state_after"][key], state_after[key])
        if previous_after is not None:
            assert update["state_before"] == previous_after
        previous_after = update["state_after"]
        same(result["W_after"], net.W)
        same(result["b_after"], net.b)
        # The steps are exactly what was added to the parameters.
        for k in range(len(SIZES) - 1):
            same(result["W_after"][k], np.array(result["W_before"][k]) + np.array(update["delta_W"][k]))
            same(result["b_after"][k], np.array(result["b_before"][k]) + np.array(update["delta_b"][k]))
        # L2 shows in g for the weights (g = grad_W + lambda W_before), never in g for the biases.
        l2 = optimizer.get("l2", 0.0)
        for k in range(len(SIZES) - 1):
            np.testing.assert_allclose(
                update["g_W"][k], np.array(result["grad_W"][k]) + l2 * np.array(result["W_before"][k]), rtol=1e-15
            )
            assert update["g_b"][k] == result["grad_b"][k]
        assert result["diverged"] is None


def test_adam_first_step_matches_the_published_equations_by_hand(client: TestClient) -> None:
    # One linear unit, squared error: x = [1, 2], y = 0, W = [[1, -2]], b = [0.5].
    # a = 0.5 + 1*1 - 2*2 = -2.5 = y_hat; loss = 6.25; grad_a = 2 (y_hat - y) = -5;
    # grad_W = grad_a x^T = [[-5, -10]]; grad_b = [-5].
    # L2, lambda = 0.1: g_W = grad_W + 0.1 W = [[-4.9, -10.2]]; g_b = [-5].
    # Adam, t = 1, beta1 = 0.9, beta2 = 0.999, eta = 0.01, eps = 1e-8, from m = v = 0:
    #   m = 0.1 g = [[-0.49, -1.02]], [-0.5];  v = 0.001 g^2 = [[0.02401, 0.10404]], [0.025]
    #   m_hat = m / 0.1 = g;  v_hat = v / 0.001 = g^2
    #   delta = -eta m_hat / (sqrt(v_hat) + eps) = eta |g| / (|g| + eps) (g < 0): just under eta each.
    network_id = api_network(
        client, [2, 1], [[[1.0, -2.0]]], [[0.5]], output="linear", loss="squared_error", activation=[]
    )
    optimizer = {"name": "adam", "eta": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "l2": 0.1}
    result = step(client, network_id, {"x": [[1.0, 2.0]], "y": [[0.0]], "optimizer": optimizer})
    close = {"rel": 1e-12, "abs": 0}
    assert result["loss"] == pytest.approx(6.25, **close)
    assert result["grad_W"] == [[[pytest.approx(-5.0, **close), pytest.approx(-10.0, **close)]]]
    update = result["update"]
    assert update["t"] == 1
    assert update["g_W"] == [[[pytest.approx(-4.9, **close), pytest.approx(-10.2, **close)]]]
    assert update["g_b"] == [[pytest.approx(-5.0, **close)]]
    assert update["state_before"] == {
        "adam.m_W": [[[0.0, 0.0]]],
        "adam.m_b": [[0.0]],
        "adam.v_W": [[[0.0, 0.0]]],
        "adam.v_b": [[0.0]],
    }
    after = update["state_after"]
    assert after["adam.m_W"] == [[[pytest.approx(-0.49, **close), pytest.approx(-1.02, **close)]]]
    assert after["adam.m_b"] == [[pytest.approx(-0.5, **close)]]
    assert after["adam.v_W"] == [[[pytest.approx(0.02401, **close), pytest.approx(0.10404, **close)]]]
    assert after["adam.v_b"] == [[pytest.approx(0.025, **close)]]
    # m_hat and v_hat from the returned m, v and t, as the page computes them.
    m_hat = np.array(after["adam.m_W"][0]) / (1 - 0.9 ** update["t"])
    v_hat = np.array(after["adam.v_W"][0]) / (1 - 0.999 ** update["t"])
    np.testing.assert_allclose(m_hat, [[-4.9, -10.2]], rtol=1e-12)
    np.testing.assert_allclose(v_hat, [[4.9**2, 10.2**2]], rtol=1e-12)
    by_hand_W = [0.01 * 4.9 / (4.9 + 1e-8), 0.01 * 10.2 / (10.2 + 1e-8)]
    by_hand_b = 0.01 * 5.0 / (5.0 + 1e-8)
    assert update["delta_W"] == [[[pytest.approx(by_hand_W[0], **close), pytest.approx(by_hand_W[1], **close)]]]
    assert update["delta_b"] == [[pytest.approx(by_hand_b, **close)]]
    assert result["W_after"] == [
        [[pytest.approx(1.0 + by_hand_W[0], **close), pytest.approx(-2.0 + by_hand_W[1], **close)]]
    ]
    assert result["b_after"] == [[pytest.approx(0.5 + by_hand_b, **close)]]
    # Adam's first step moves every parameter by (almost exactly) eta, whatever the gradient's size.
    assert all(math.isclose(d, 0.01, rel_tol=1e-8) for d in [*by_hand_W, by_hand_b])


def test_a_state_that_overflows_is_reported(client: TestClient) -> None:
    """Adam's v = g^2 can overflow while the loss and the parameters stay finite: ``diverged``
    then names the optimiser's state. Softmax + cross-entropy keeps grad_a = y_hat - e(y) small;
    x = 1e200 makes grad_W = 1e200, so g^2 overflows and the step m_hat / sqrt(v_hat) is 0."""
    network_id = api_network(client, [1, 2], [[[1.0], [-1.0]]], [[0.0, 0.0]], activation=[])
    result = step(client, network_id, {"x": [[1e200]], "y": [1], "optimizer": {"name": "adam", "eta": 0.01}})
    assert result["loss"] == pytest.approx(2e200)
    assert result["update"]["state_after"]["adam.v_W"] == [[[None], [None]]]
    assert result["W_after"] == [[[1.0], [-1.0]]]
    assert result["diverged"] == {
        "stage": "update",
        "quantity": "optimizer_state",
        "layer": None,
        "message": "optimizer_state became non-finite (NaN or infinity) in the update pass",
    }


def test_the_step_schema_documents_update(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert "update" in schema["StepResult"]["properties"]  # required = ["diverged"]: ?fields= may leave it out
    fields = schema["OptimizerUpdate"]["properties"]
    assert {"optimizer", "t", "g_W", "g_b", "delta_W", "delta_b", "state_before", "state_after"} <= set(fields)
    assert "lambda" in schema["OptimizerUpdate"]["description"] or "l2" in schema["OptimizerUpdate"]["description"]
