"""Every number the API returns for a network is ffnn_core's number: build a network through the
API, set its parameters, and compare forward / backward / step / gradcheck / surface / train with
the core called directly. JSON floats round-trip exactly, so the comparison is equality."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from ffnn_core import (
    Network,
    NetworkConfig,
    Optimizer,
    backward,
    decision_surface,
    encode_targets,
    forward,
    gradient_check,
    train,
    train_step,
)
from ffnn_core.datasets import make_dataset
from tests.api.conftest import API, TestClient

RNG = np.random.default_rng(42)
SIZES = [2, 5, 4, 3]
W = [RNG.normal(size=(n_out, n_in)) for n_in, n_out in itertools.pairwise(SIZES)]
b = [RNG.normal(size=n_out) for n_out in SIZES[1:]]
X = RNG.normal(size=(6, 2))
Y = [0, 2, 1, 1, 0, 2]


def core_network(activations: tuple[str, ...]) -> Network:
    config = NetworkConfig(sizes=tuple(SIZES), activations=activations, output="softmax", loss="cross_entropy")
    network = Network.create(config)
    network.set_parameters([w.copy() for w in W], [v.copy() for v in b])
    return network


def api_network(client: TestClient, activations: list[str], dataset: dict[str, Any] | None = None) -> str:
    body = {"sizes": SIZES, "activation": activations, "output": "softmax", "loss": "cross_entropy", "dataset": dataset}
    network_id: str = client.post(f"{API}/networks", json=body).json()["id"]
    response = client.put(
        f"{API}/networks/{network_id}/parameters", json={"W": [w.tolist() for w in W], "b": [v.tolist() for v in b]}
    )
    assert response.status_code == 200
    return network_id


def same(api: Any, core: Any) -> None:
    """Exactly equal, array by array (lists of per-layer arrays included)."""
    if isinstance(core, list):
        assert len(api) == len(core)
        for a, c in zip(api, core, strict=True):
            same(a, c)
    else:
        assert np.array_equal(np.array(api, dtype=np.float64), np.asarray(core)), (api, core)


@pytest.mark.parametrize("activations", [["tanh", "relu"], ["sigmoid", "leaky_relu"], ["linear", "tanh"]])
def test_forward_and_backward_are_the_cores(client: TestClient, activations: list[str]) -> None:
    network_id = api_network(client, activations)
    net = core_network(tuple(activations))
    fwd = client.post(f"{API}/networks/{network_id}/forward", json={"x": X.tolist()}).json()
    trace = forward(net, X)
    same(fwd["a"], trace.a)
    same(fwd["h"], trace.h)
    same(fwd["y_hat"], trace.y_hat)

    bwd = client.post(f"{API}/networks/{network_id}/backward", json={"x": X.tolist(), "y": Y}).json()
    grads = backward(net, X, Y)
    for name in ("grad_a", "grad_h", "grad_W", "grad_b"):
        same(bwd[name], getattr(grads, name))
    same(bwd["a"], grads.forward.a)
    same(bwd["y"], grads.targets.Y)
    same(bwd["losses"], grads.losses)
    assert bwd["loss"] == grads.loss

    broken = client.post(
        f"{API}/networks/{network_id}/backward", json={"x": X.tolist(), "y": Y, "drop_g_prime_layer": 1}
    ).json()
    same(broken["grad_W"], backward(net, X, Y, drop_g_prime_layer=1).grad_W)


def test_steps_are_the_cores(client: TestClient) -> None:
    network_id = api_network(client, ["tanh", "tanh"])
    net = core_network(("tanh", "tanh"))
    for optimizer in ({"name": "sgd", "eta": 0.3}, {"name": "adam", "eta": 0.01, "l2": 0.01}, {"name": "momentum"}):
        result = client.post(
            f"{API}/networks/{network_id}/step", json={"x": X.tolist(), "y": Y, "optimizer": optimizer}
        )
        trace = train_step(net, X, encode_targets(Y, 3, "cross_entropy"), Optimizer(**optimizer))
        same(result.json()["grad_W"], trace.grad_W)
        same(result.json()["W_after"], net.W)
        same(result.json()["b_after"], net.b)
    exported = client.get(f"{API}/networks/{network_id}/export").json()
    for key, arrays in net.optimizer_state.items():
        same(exported["optimizer_state"][key], arrays)
    assert exported["step"] == net.step == 3


def test_gradcheck_and_surface_are_the_cores(client: TestClient) -> None:
    network_id = api_network(client, ["relu", "sigmoid"])
    net = core_network(("relu", "sigmoid"))
    body = {"x": X.tolist(), "y": Y, "eps": 1e-5, "max_entries": 4, "seed": 3}
    result = client.post(f"{API}/networks/{network_id}/gradcheck", json=body).json()
    checks = gradient_check(net, X, Y, eps=1e-5, max_entries=4, seed=3)
    for api_tensor, check in zip(result["tensors"], checks, strict=True):
        assert (api_tensor["name"], api_tensor["layer"]) == (check.name, check.layer)
        assert api_tensor["max_relative_error"] == check.max_relative_error
        for entry, core_entry in zip(api_tensor["entries"], check.entries, strict=True):
            assert tuple(entry["index"]) == core_entry.index
            assert (entry["backprop"], entry["numeric"]) == (core_entry.backprop, core_entry.numeric)

    params = {"resolution": 7, "x1_min": -2, "x1_max": 3, "x2_min": -1, "x2_max": 1}
    surface = client.get(f"{API}/networks/{network_id}/surface", params=params).json()
    core = decision_surface(net, (-2.0, 3.0), (-1.0, 1.0), resolution=7)
    same(surface["x1"], core.x1)
    same(surface["x2"], core.x2)
    same(surface["y_hat"], core.y_hat)


def test_training_is_the_cores(client: TestClient) -> None:
    spec = {"name": "blobs", "seed": 2, "n": 60, "noise": 0.3, "test_fraction": 0.25, "n_classes": 3}
    network_id = api_network(client, ["tanh", "tanh"], dataset=spec)
    net = core_network(("tanh", "tanh"))
    data = make_dataset("blobs", seed=2, n=60, noise=0.3, test_fraction=0.25, n_classes=3)
    body = {"epochs": 4, "batch_size": 8, "optimizer": {"name": "rmsprop", "eta": 0.01}}
    result = client.post(f"{API}/networks/{network_id}/train", json=body).json()
    core = train(
        net, data.X_train, data.y_train, epochs=4, batch_size=8, optimizer=Optimizer(name="rmsprop", eta=0.01),
        X_test=data.X_test, y_test=data.y_test,
    )  # fmt: skip
    assert result["history"] == [
        {**record.__dict__, "grad_W_norms": list(record.grad_W_norms), "grad_a_norms": list(record.grad_a_norms)}
        for record in core.history
    ]
    assert (result["step"], result["epoch"]) == (net.step, net.epoch)
    same(client.get(f"{API}/networks/{network_id}").json()["W"], net.W)

    rows = client.post(f"{API}/networks/{network_id}/backward", json={"rows": [4, 0], "split": "test"}).json()
    trace = backward(net, data.X_test[[4, 0]], data.y_test[[4, 0]])
    same(rows["grad_W"], trace.grad_W)
