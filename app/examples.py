"""Examples for the OpenAPI docs, computed with ffnn_core itself (rounded for reading), so every
example in /docs is a real answer of a small network: sizes [2, 2, 2], tanh, softmax with
cross-entropy, seed 0, attached to a tiny "xor" dataset.
"""

from __future__ import annotations

from typing import Any

import orjson

from app import encoding
from app.settings import Settings
from app.store import DatasetSpec
from ffnn_core import (
    ACTIVATIONS,
    INITIALIZERS,
    LOSSES,
    OPTIMIZERS,
    OUTPUTS,
    VALID_PAIRS,
    Network,
    NetworkConfig,
    Optimizer,
    apply_update,
    backward,
    decision_surface,
    encode_targets,
    first_non_finite_parameters,
    forward,
    gradient_check,
    train,
)
from ffnn_core.datasets import DATASETS, MAX_N
from ffnn_core.initializers import INIT_DESCRIPTIONS
from ffnn_core.optimizers import state_snapshot
from ffnn_core.serialization import network_to_dict

EXAMPLE_ID = "3f2a9c0d4b1e4e6f8a7b6c5d4e3f2a1b"
SIGNIFICANT = 6


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT}g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _plain(payload: Any) -> Any:
    """As a client would read it: JSON-decoded, rounded."""
    return _rounded(orjson.loads(encoding.dumps(payload)))


DATASET_SPEC = {"name": "xor", "seed": 0, "n": 8, "noise": 0.05, "test_fraction": 0.25, "standardize": False}
CREATE = {
    "sizes": [2, 2, 2],
    "activation": "tanh",
    "output": "softmax",
    "loss": "cross_entropy",
    "init": "xavier_uniform",
    "init_scale": 1.0,
    "seed": 0,
    "dataset": DATASET_SPEC,
}
X = [[0.5, -1.0], [-0.25, 0.75]]
Y = [1, 1]
OPTIMIZER = {"name": "sgd", "eta": 0.1}
STEP = {"x": X, "y": Y, "optimizer": OPTIMIZER}
TRAIN = {"epochs": 2, "batch_size": 4, "optimizer": OPTIMIZER}
GRADCHECK = {"x": X, "y": Y, "eps": 1e-6, "max_entries": 2, "seed": 0, "layers": [2]}

_spec = DatasetSpec(name="xor", seed=0, n=8, noise=0.05, test_fraction=0.25, standardize=False)
_spec_dict = _spec.as_dict()
_data = _spec.load()


def _network() -> Network:
    return Network.create(NetworkConfig.build([2, 2, 2], "tanh", output="softmax", loss="cross_entropy", seed=0))


def network() -> Any:
    return _plain(encoding.network(EXAMPLE_ID, _network(), _spec_dict))


def export() -> Any:
    net = _network()
    doc = network_to_dict(net)
    doc["dataset"] = _spec_dict
    return _plain(encoding.export_document(doc, net))


def forward_result() -> Any:
    return _plain(encoding.forward_trace(forward(_network(), X)))


def backward_result() -> Any:
    return _plain(encoding.backward_trace(backward(_network(), X, Y)))


def step_result() -> Any:
    net = _network()
    W_before, b_before = [w.copy() for w in net.W], [v.copy() for v in net.b]
    optimizer = Optimizer(eta=0.1)
    state_before = state_snapshot(net, optimizer.name)
    trace = backward(net, X, encode_targets(Y, 2, "cross_entropy", output="softmax"))
    update = apply_update(net, trace.grad_W, trace.grad_b, optimizer)
    done = encoding.StepUpdate(optimizer, update, state_before, state_snapshot(net, optimizer.name))
    return _plain(encoding.step_result(trace, W_before, b_before, net, done))


def train_result() -> Any:
    net = _network()
    result = train(
        net, _data.X_train, _data.y_train, epochs=2, batch_size=4, optimizer=Optimizer(eta=0.1),
        X_test=_data.X_test, y_test=_data.y_test,
    )  # fmt: skip
    return _plain(
        {
            "history": [encoding.epoch_record(r) for r in result.history],
            "diverged": None,
            "stopped": False,
            "stop_reason": None,
            "step": net.step,
            "epoch": net.epoch,
        }
    )


def train_stream() -> str:
    result = train_result()
    events = [f"event: epoch\ndata: {orjson.dumps(r).decode()}\n\n" for r in result["history"]]
    done = {k: result[k] for k in ("diverged", "stopped", "stop_reason", "step", "epoch")}
    events.append(f"event: done\ndata: {orjson.dumps(done).decode()}\n\n")
    return "".join(events)


def gradcheck_result() -> Any:
    checks = gradient_check(_network(), X, Y, eps=1e-6, max_entries=2, seed=0, layers=[2])
    return _plain(encoding.gradcheck(checks, None))


def surface_result() -> Any:
    net = _network()
    return _plain(
        encoding.surface(
            decision_surface(net, (-1.0, 1.0), (-1.0, 1.0), resolution=3), net, first_non_finite_parameters(net)
        )
    )


def datasets() -> Any:
    return _plain([encoding.dataset_info(DATASETS[name]) for name in ("xor", "sine")])


def dataset_points() -> Any:
    return _plain(encoding.dataset_points(_data, _spec_dict))


def meta(settings: Settings) -> dict[str, Any]:
    """The GET /meta answer (also the example)."""
    return {
        "activations": list(ACTIVATIONS),
        "outputs": list(OUTPUTS),
        "losses": list(LOSSES),
        "valid_pairs": [list(pair) for pair in VALID_PAIRS],
        "inits": list(INITIALIZERS),
        "optimizers": list(OPTIMIZERS),
        "datasets": list(DATASETS),
        "limits": {
            "max_layers": settings.max_layers,
            "max_width": settings.max_width,
            "max_parameters": settings.max_parameters,
            "max_batch": settings.max_batch,
            "max_epochs": settings.max_epochs,
            "max_train_batch_size": settings.max_train_batch_size,
            "max_train_seconds": settings.max_train_seconds,
            "max_gradcheck_entries": settings.max_gradcheck_entries,
            "max_gradcheck_work": settings.max_gradcheck_work,
            "max_surface_resolution": settings.max_surface_resolution,
            "max_body_bytes": settings.max_body_bytes,
            "max_dataset_n": MAX_N,
            "ttl_seconds": settings.ttl_seconds,
            "max_networks": settings.max_networks,
        },
        "formulas": {
            "activations": {a.name: {"formula": a.formula, "derivative": a.derivative} for a in ACTIVATIONS.values()},
            "outputs": {o.name: {"formula": o.formula, "derivative": None} for o in OUTPUTS.values()},
            "losses": {loss.name: {"formula": loss.formula, "derivative": None} for loss in LOSSES.values()},
            "inits": {name: {"formula": text, "derivative": None} for name, text in INIT_DESCRIPTIONS.items()},
        },
    }


def json_example(value: Any, description: str = "Success") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": value}}}
