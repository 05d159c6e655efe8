"""The one place where core results and arrays become JSON.

orjson writes NumPy arrays directly (OPT_SERIALIZE_NUMPY) and writes every non-finite float
(NaN, +-inf) as ``null``; so no bare NaN can reach a client. Each payload that can hold
computed numbers carries ``diverged``, from ``ffnn_core.divergence``, naming the first
quantity that went non-finite, or null. The hot routes answer with ``json_response`` directly,
so FastAPI never re-encodes the nested lists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
from starlette.responses import Response

from ffnn_core import (
    BackwardTrace,
    Divergence,
    EpochRecord,
    ForwardTrace,
    Network,
    Surface,
    TensorCheck,
    first_non_finite_backward,
    first_non_finite_forward,
    first_non_finite_parameters,
)
from ffnn_core.datasets import Dataset, DatasetInfo
from ffnn_core.numerics import Array
from ffnn_core.optimizers import Optimizer, Update
from ffnn_core.serialization import config_to_dict

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
_LOSS = Divergence("forward", "loss", None)


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):  # not C-contiguous, or an unusual dtype
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


def dumps(content: Any) -> bytes:
    """JSON bytes; non-finite numbers become null."""
    return orjson.dumps(content, default=_default, option=_OPTIONS)


def json_response(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(content), status_code=status_code, headers=headers, media_type="application/json")


def json_bytes_response(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type="application/json")


def divergence(found: Divergence | None) -> dict[str, Any] | None:
    return found.as_dict() if found is not None else None


def _finite(x: Array) -> bool:
    return bool(np.isfinite(x).all())


_DIVERGED_NULL = b'{"diverged":null,'


def _has_null(body: bytes, start: int) -> bool:
    """Whether JSON bytes hold a ``null`` after ``start``; memchr for "n" is far faster than a
    substring search."""
    i = body.find(b"n", start)
    while i != -1:
        if body.startswith(b"null", i):
            return True
        i = body.find(b"n", i + 1)
    return False


def _dumps_with_diverged(fields: dict[str, Any], find: Callable[[], Divergence | None], fallback: Divergence) -> bytes:
    """``dumps({"diverged": ..., **fields})`` for fields that hold numbers only (no None).

    orjson writes every non-finite float as null, so the bytes after the leading
    ``"diverged":null`` contain ``null`` exactly when some number went non-finite; only then is
    ``find`` (the core's ordered scan) run to say where it started (``fallback`` if it names
    nothing, e.g. a batch loss that overflowed as a mean). The common case copies nothing.
    """
    body = dumps({"diverged": None, **fields})
    if not _has_null(body, len(_DIVERGED_NULL)):
        return body
    return b'{"diverged":' + dumps(divergence(find() or fallback)) + b"," + body[len(_DIVERGED_NULL) :]


# --- networks ------------------------------------------------------------------------------


def network(network_id: str, net: Network, dataset_spec: dict[str, Any] | None) -> dict[str, Any]:
    """NetworkPublic."""
    return {
        "id": network_id,
        "config": config_to_dict(net.config),
        "dataset": dataset_spec,
        "W": net.W,
        "b": net.b,
        "step": net.step,
        "epoch": net.epoch,
        "n_parameters": net.config.n_parameters,
        "diverged": divergence(first_non_finite_parameters(net)),
    }


def export_document(document: dict[str, Any], net: Network) -> dict[str, Any]:
    """NetworkExport: the store's document plus ``diverged``."""
    return {**document, "diverged": divergence(first_non_finite_parameters(net))}


# --- traces --------------------------------------------------------------------------------


def forward_trace(trace: ForwardTrace) -> dict[str, Any]:
    """ForwardResult."""
    return {"a": trace.a, "h": trace.h, "y_hat": trace.y_hat, "diverged": divergence(first_non_finite_forward(trace))}


def forward_json(trace: ForwardTrace) -> bytes:
    """ForwardResult as JSON bytes: the same as ``dumps(forward_trace(trace))``, faster if finite (key order aside)."""
    fields = {"a": trace.a, "h": trace.h, "y_hat": trace.y_hat}
    return _dumps_with_diverged(fields, lambda: first_non_finite_forward(trace), _LOSS)


def _backward_fields(trace: BackwardTrace) -> dict[str, Any]:
    fwd = trace.forward
    return {
        "a": fwd.a,
        "h": fwd.h,
        "y_hat": fwd.y_hat,
        "y": trace.targets.Y,
        "grad_a": trace.grad_a,
        "grad_h": trace.grad_h,
        "grad_W": trace.grad_W,
        "grad_b": trace.grad_b,
        "losses": trace.losses,
        "loss": trace.loss,
    }


def backward_trace(trace: BackwardTrace) -> dict[str, Any]:
    """BackwardResult."""
    fields = _backward_fields(trace)
    fields["diverged"] = divergence(first_non_finite_backward(trace))
    return fields


def backward_json(trace: BackwardTrace) -> bytes:
    """BackwardResult as JSON bytes: as ``dumps(backward_trace(trace))``, faster if finite (key order aside)."""
    return _dumps_with_diverged(_backward_fields(trace), lambda: first_non_finite_backward(trace), _LOSS)


@dataclasses.dataclass(frozen=True)
class StepUpdate:
    """What the optimiser did in one step (the ``update`` field of StepResult)."""

    optimizer: Optimizer
    update: Update
    state_before: dict[str, list[Array]]
    state_after: dict[str, list[Array]]


_OPTIMIZER_STATE = Divergence("update", "optimizer_state", None)


def _update_fields(step: StepUpdate, t: int) -> dict[str, Any]:
    u = step.update
    return {
        "optimizer": dataclasses.asdict(step.optimizer),
        "t": t,
        "g_W": u.g_W,
        "g_b": u.g_b,
        "delta_W": u.delta_W,
        "delta_b": u.delta_b,
        "state_before": step.state_before,
        "state_after": step.state_after,
    }


def _update_finite(step: StepUpdate | None) -> bool:
    if step is None:
        return True
    u = step.update
    arrays = [*u.g_W, *u.g_b, *u.delta_W, *u.delta_b, *(a for v in step.state_after.values() for a in v)]
    return all(_finite(a) for a in arrays)


def _step_divergence(trace: BackwardTrace, net: Network, step: StepUpdate | None) -> Divergence | None:
    """The pass first, then the updated parameters, then the optimiser's own numbers (Adam's v
    can overflow while the parameters stay finite)."""
    found = first_non_finite_backward(trace) or first_non_finite_parameters(net)
    if found is None and not _update_finite(step):
        found = _OPTIMIZER_STATE
    return found


def step_result(
    trace: BackwardTrace,
    W_before: list[Array],
    b_before: list[Array],
    net: Network,
    update: StepUpdate | None = None,
) -> dict[str, Any]:
    """StepResult: the trace used, parameters before and after, the new step counter and, given
    ``update``, what the optimiser did.

    ``diverged`` names the first non-finite quantity of the pass, else of the updated parameters.
    """
    fields = _backward_fields(trace)
    fields.update(
        W_before=W_before,
        b_before=b_before,
        W_after=net.W,
        b_after=net.b,
        step=net.step,
        diverged=divergence(_step_divergence(trace, net, update)),
    )
    if update is not None:
        fields["update"] = _update_fields(update, net.step)
    return fields


def step_json(
    trace: BackwardTrace,
    W_before: list[Array],
    b_before: list[Array],
    net: Network,
    update: StepUpdate | None = None,
) -> bytes:
    """StepResult as JSON bytes: the same as ``dumps(step_result(...))``, faster if finite (key order aside)."""
    fields = _backward_fields(trace)
    fields.update(W_before=W_before, b_before=b_before, W_after=net.W, b_after=net.b, step=net.step)
    if update is not None:
        fields["update"] = _update_fields(update, net.step)
    return _dumps_with_diverged(fields, lambda: _step_divergence(trace, net, update), _LOSS)


def epoch_record(record: EpochRecord) -> dict[str, Any]:
    """EpochRecord (non-finite losses become null; the run's ``diverged`` says why)."""
    return dataclasses.asdict(record)


def gradcheck(checks: list[TensorCheck], found: Divergence | None) -> dict[str, Any]:
    """GradcheckResult."""
    return {
        "tensors": [
            {
                "name": check.name,
                "layer": check.layer,
                "max_relative_error": check.max_relative_error,
                "entries": [
                    {
                        "index": entry.index,
                        "backprop": entry.backprop,
                        "numeric": entry.numeric,
                        "relative_error": entry.relative_error,
                    }
                    for entry in check.entries
                ],
            }
            for check in checks
        ],
        "diverged": divergence(found),
    }


def surface(result: Surface, net: Network) -> dict[str, Any]:
    """Surface; a non-finite y_hat is reported as h_L of the forward pass."""
    found = first_non_finite_parameters(net)
    if found is None and not _finite(result.y_hat):
        found = Divergence("forward", "h", net.config.L)
    return {"x1": result.x1, "x2": result.x2, "y_hat": result.y_hat, "diverged": divergence(found)}


# --- datasets ------------------------------------------------------------------------------


def dataset_info(info: DatasetInfo) -> dict[str, Any]:
    """DatasetInfo (tuples become lists)."""
    return dataclasses.asdict(info)


def dataset_points(data: Dataset, spec: dict[str, Any]) -> dict[str, Any]:
    """DatasetPoints."""
    return {
        "info": dataset_info(data.info),
        "spec": spec,
        "X_train": data.X_train,
        "y_train": data.y_train,
        "X_test": data.X_test,
        "y_test": data.y_test,
    }
