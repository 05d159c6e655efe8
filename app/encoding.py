"""The one place where core results and arrays become JSON.

orjson writes NumPy arrays directly (OPT_SERIALIZE_NUMPY) and writes every non-finite float
(NaN, +-inf) as ``null``; so no bare NaN can reach a client. Each payload that can hold
computed numbers carries ``diverged``, from the core's own scan (``ffnn_core.divergence``),
naming the first quantity that went non-finite, or null. Routes answer with ``OrjsonResponse``
(each payload encoded once, by ``dumps``), so FastAPI never re-encodes the nested lists.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import orjson
from starlette.responses import JSONResponse

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


_NATIVE_KINDS = frozenset("fiub")  # floats, integers, booleans: orjson writes C-ordered arrays of them itself


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):  # not C-contiguous, or an unusual dtype
        if obj.dtype.kind in _NATIVE_KINDS and not obj.flags.c_contiguous:
            # A C-ordered copy, which orjson writes itself (the core keeps some arrays by column):
            # for float64 the same bytes as tolist(), ~4x faster (a 36x36x2 surface: 440 -> 120 us).
            return np.ascontiguousarray(obj)
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


def dumps(content: Any) -> bytes:
    """JSON bytes; non-finite numbers become null."""
    return orjson.dumps(content, default=_default, option=_OPTIONS)


class OrjsonResponse(JSONResponse):
    """The app's one JSON response class: ``dumps`` of the content; bytes are taken as JSON
    already encoded by ``dumps`` (answers built once at start-up, e.g. the dataset list)."""

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else dumps(content)


def json_response(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> OrjsonResponse:
    return OrjsonResponse(content, status_code=status_code, headers=headers)


def divergence(found: Divergence | None) -> dict[str, Any] | None:
    return found.as_dict() if found is not None else None


def _finite(x: Array) -> bool:
    return bool(np.isfinite(x).all())


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
    """NetworkDocument: the store's document plus ``diverged``."""
    return {**document, "diverged": divergence(first_non_finite_parameters(net))}


# --- traces --------------------------------------------------------------------------------


def forward_trace(trace: ForwardTrace) -> dict[str, Any]:
    """ForwardResult."""
    return {"a": trace.a, "h": trace.h, "y_hat": trace.y_hat, "diverged": divergence(first_non_finite_forward(trace))}


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


def _all_finite(trace: BackwardTrace) -> bool:
    """Whether every array the core's scan reads is finite, in one check of them all: a traced row of
    a [2, 8, 8, 2] network has 20 small arrays, and the scan's 20 checks cost ~45 us more a snapshot."""
    fwd = trace.forward
    arrays = [*fwd.a, *fwd.h, trace.losses, *trace.grad_a, *trace.grad_W, *trace.grad_b, *trace.grad_h]
    return _finite(np.concatenate([x.ravel() for x in arrays]))


def _backward_divergence(trace: BackwardTrace) -> Divergence | None:
    """The core's scan of the pass; the batch loss (a mean) can overflow while every example's is finite."""
    found = None if _all_finite(trace) else first_non_finite_backward(trace)
    if found is None and not math.isfinite(trace.loss):
        found = _LOSS
    return found


def backward_trace(trace: BackwardTrace) -> dict[str, Any]:
    """BackwardResult."""
    fields = _backward_fields(trace)
    fields["diverged"] = divergence(_backward_divergence(trace))
    return fields


@dataclasses.dataclass(frozen=True)
class StepUpdate:
    """What the optimiser did in one step (the ``update`` field of StepResult)."""

    optimizer: Optimizer
    update: Update
    state_before: dict[str, list[Array]]
    state_after: dict[str, list[Array]]


_OPTIMIZER_STATE = Divergence("update", "optimizer_state", None)


def _update_fields(step: StepUpdate) -> dict[str, Any]:
    u = step.update
    return {
        "optimizer": dataclasses.asdict(step.optimizer),
        "t": u.t,
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
    found = _backward_divergence(trace) or first_non_finite_parameters(net)
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
        fields["update"] = _update_fields(update)
    return fields


_EPOCH_FIELDS = tuple(f.name for f in dataclasses.fields(EpochRecord))


def epoch_record(record: EpochRecord) -> dict[str, Any]:
    """EpochRecord (non-finite losses become null; the run's ``diverged`` says why). Its fields as
    they are (floats and lists of floats): dataclasses.asdict's deep copy cost ~20 us an epoch."""
    return {name: getattr(record, name) for name in _EPOCH_FIELDS}


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


def surface(result: Surface, net: Network, parameters_found: Divergence | None) -> dict[str, Any]:
    """Surface; ``parameters_found`` is the caller's ``first_non_finite_parameters(net)`` (a
    snapshot reports it too: one scan for both), and a non-finite y_hat is reported as h_L."""
    found = parameters_found
    if found is None and not _finite(result.y_hat):
        found = Divergence("forward", "h", net.config.L)
    y_hat = result.y_hat if result.x2 is not None else result.y_hat[np.newaxis]  # always [x2 rows][x1][n_L]
    return {"x1": result.x1, "x2": result.x2, "y_hat": y_hat, "diverged": divergence(found)}


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
