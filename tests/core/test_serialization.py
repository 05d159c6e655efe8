"""network_to_dict -> json.dumps -> json.loads -> network_from_dict is bit-exact, optimizer
state, step and epoch included, and a malformed document is refused with a clear message."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from core_support import build, snapshot

import ffnn_core as f
from ffnn_core.datasets import make_dataset


def _round_trip(net: f.Network) -> f.Network:
    return f.network_from_dict(json.loads(json.dumps(f.network_to_dict(net))))


def _trained(optimizer: str, l2: float = 0.0) -> f.Network:
    d = make_dataset("moons", seed=2)
    net = build([2, 5, 4, 2], ["relu", "sigmoid"], init="he", init_scale=0.5, seed=11)
    f.train(net, d.X_train, d.y_train, epochs=2, batch_size=32, optimizer=f.Optimizer(optimizer, eta=0.03, l2=l2))
    return net


@pytest.mark.parametrize("optimizer", f.OPTIMIZERS)
def test_round_trip_is_bit_exact_and_training_continues_identically(optimizer: str) -> None:
    net = _trained(optimizer, l2=1e-3)
    assert net.step > 0 and net.epoch == 2
    copy = _round_trip(net)
    assert snapshot(copy) == snapshot(net)
    assert copy.config == net.config
    # continuing both gives the same numbers: nothing that matters was lost on the way
    d = make_dataset("moons", seed=2)
    opt = f.Optimizer(optimizer, eta=0.03, l2=1e-3)
    r1 = f.train(net, d.X_train, d.y_train, epochs=2, batch_size=32, optimizer=opt)
    r2 = f.train(copy, d.X_train, d.y_train, epochs=2, batch_size=32, optimizer=opt)
    assert r1.history == r2.history
    assert snapshot(copy) == snapshot(net)


def test_awkward_floats_survive_json() -> None:
    net = build([3, 2], [], output="linear", loss="squared_error", init_scale=2.5, seed=5)
    W = np.array([[0.1, -0.0, 5e-324], [1.7976931348623157e308, -2.2250738585072014e-308, 1 / 3]])
    b = np.array([np.nextafter(1.0, 2.0), -np.pi])
    net.set_parameters([W], [b])
    copy = _round_trip(net)
    assert copy.W[0].tobytes() == W.tobytes()  # -0.0 keeps its sign, subnormals survive
    assert copy.b[0].tobytes() == b.tobytes()
    assert copy.config.init_scale == 2.5


def test_document_layout() -> None:
    net = _trained("adam")
    doc = f.network_to_dict(net)
    assert doc["format"] == "backprop-lab/network" and doc["version"] == 1
    assert doc["config"] == {
        "sizes": [2, 5, 4, 2],
        "activations": ["relu", "sigmoid"],
        "output": "softmax",
        "loss": "cross_entropy",
        "init": "he",
        "init_scale": 0.5,
        "seed": 11,
    }
    assert (doc["step"], doc["epoch"]) == (net.step, 2)
    assert sorted(doc["optimizer_state"]) == ["adam.m_W", "adam.m_b", "adam.t", "adam.v_W", "adam.v_b"]
    assert doc["optimizer_state"]["adam.t"] == [[float(net.step)]]
    assert json.loads(json.dumps(doc)) == doc


def _doc(**changes: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(f.network_to_dict(_trained("momentum"))))
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"format": "something else"}, "not a network document"),
        ({"version": 2}, "not a network document"),
        ({"config": {"sizes": [2, 2]}}, "malformed network document"),
        ({"W": None}, "malformed network document"),
        ({"b": [[0.0] * 5, [0.0] * 4]}, r"a network with L = 3 layers needs 3 weight matrices and 3 bias vectors"),
        ({"W": [[[0.0]]] * 3}, r"W_1 must have shape \(5, 2\) \(n_1, n_0\), got \(1, 1\)"),
        ({"config": {**_doc()["config"], "output": "linear"}}, "cannot be paired with the loss 'cross_entropy'"),
        ({"config": {**_doc()["config"], "activations": ["relu", "swish"]}}, "unknown activation 'swish'"),
    ],
)
def test_malformed_documents_are_refused(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        f.network_from_dict(_doc(**doc))


def test_non_finite_parameters_are_refused() -> None:
    doc = _doc()
    doc["W"][1][0][0] = float("nan")
    with pytest.raises(ValueError, match="parameters must be finite"):
        f.network_from_dict(json.loads(json.dumps(doc)))


def test_optimizer_state_must_fit_the_parameters() -> None:
    doc = _doc()
    doc["optimizer_state"]["momentum.u_W"][0] = [0.0, 0.0]  # (2,) instead of W_1's (5, 2)
    with pytest.raises(ValueError, match=r"optimizer state 'momentum.u_W' does not fit the parameters"):
        f.network_from_dict(doc)
    doc = _doc()
    doc["optimizer_state"]["momentum.u_b"].pop()
    with pytest.raises(ValueError, match=r"optimizer state 'momentum.u_b' does not fit the parameters"):
        f.network_from_dict(doc)
    doc = _doc()
    doc["optimizer_state"]["momentum.u"] = doc["optimizer_state"]["momentum.u_W"]
    with pytest.raises(ValueError, match=r"optimizer state 'momentum.u' does not fit the parameters"):
        f.network_from_dict(doc)
