"""Computation on a network: forward, backward, one step, gradient check, decision surface.

Each request holds the network's lock from validation to the encoded answer, so it sees (and
answers with) one consistent set of parameters. Small work runs inline; larger work in a thread.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Body, Query
from starlette.responses import Response

from app import answers, encoding, examples, inputs, offload
from app.deps import NetworkDep
from app.errors import InvalidInputError, core_errors
from app.fields import BACKWARD, FORWARD, STEP, FieldsQuery, chosen, select
from app.routes import BODY_ERRORS, errors
from app.schemas import (
    BackwardRequest,
    BackwardResult,
    ForwardRequest,
    ForwardResult,
    GradcheckRequest,
    GradcheckResult,
    StepRequest,
    StepResult,
    Surface,
    SurfaceQuery,
)
from app.settings import Settings
from ffnn_core import (
    apply_update,
    backward,
    decision_surface,
    first_non_finite_backward,
    first_non_finite_parameters,
    forward,
    gradient_check,
)
from ffnn_core.network import Network
from ffnn_core.optimizers import state_snapshot

router = APIRouter(tags=["computation"])

_BATCH_EXAMPLES = {
    "batch": {"summary": "A batch of two examples", "value": {"x": examples.X, "y": examples.Y}},
    "dataset rows": {"summary": "Rows 0..3 of the attached dataset", "value": {"rows": [0, 1, 2, 3], "split": "train"}},
}


@router.post(
    "/networks/{network_id:network_id}/forward",
    response_model=ForwardResult,
    responses={200: examples.json_example(examples.forward_result()), **errors(404, *BODY_ERRORS)},
    summary="Forward pass",
    name="forward",
)
async def forward_pass(
    session: NetworkDep,
    body: Annotated[
        ForwardRequest,
        Body(
            openapi_examples={
                "one example": {"summary": "One example as a flat list", "value": {"x": [0.5, -1.0]}},
                "batch": {"summary": "A batch (rows)", "value": {"x": examples.X}},
                "dataset rows": {
                    "summary": "Rows of the attached test split",
                    "value": {"rows": [0, 1], "split": "test"},
                },
            }
        ),
    ],
    fields: FieldsQuery = None,
) -> Response:
    """Every a_k and h_k for one example or a batch (``?fields=`` picks some of them)."""
    names = chosen(fields, FORWARD)
    entry = session.entry
    batch = inputs.examples(body, entry, session.settings, need_targets=False)
    network = entry.network
    answers.check_trace(network, batch.X.shape[0], session.settings, backward=False)

    def compute() -> Response:
        return encoding.json_response(select(encoding.forward_trace(forward(network, batch.X)), names))

    work = network.config.n_parameters * batch.X.shape[0]
    response = await offload.run(compute, work=work, inline_limit=session.settings.inline_work_limit)
    return response


@router.post(
    "/networks/{network_id:network_id}/backward",
    response_model=BackwardResult,
    responses={200: examples.json_example(examples.backward_result()), **errors(404, *BODY_ERRORS)},
    summary="Backward pass (changes nothing)",
    name="backward",
)
async def backward_pass(
    session: NetworkDep,
    body: Annotated[BackwardRequest, Body(openapi_examples=_BATCH_EXAMPLES)],
    fields: FieldsQuery = None,
) -> Response:
    """Forward trace, every gradient, per-example losses and the batch loss; no parameter changes.
    ``?fields=grad_W,grad_b`` sends only those (and ``diverged``)."""
    names = chosen(fields, BACKWARD)
    entry = session.entry
    batch = inputs.examples(body, entry, session.settings, need_targets=True)
    network = entry.network
    answers.check_trace(network, batch.X.shape[0], session.settings, backward=True)
    drop = inputs.drop_g_prime_layer(body.drop_g_prime_layer, network)
    targets = batch.targets
    assert targets is not None

    def compute() -> Response:
        trace = backward(network, batch.X, targets, drop_g_prime_layer=drop)
        return encoding.json_response(select(encoding.backward_trace(trace), names))

    work = network.config.n_parameters * batch.X.shape[0]
    response = await offload.run(compute, work=work, inline_limit=session.settings.inline_work_limit)
    return response


@router.post(
    "/networks/{network_id:network_id}/step",
    response_model=StepResult,
    responses={200: examples.json_example(examples.step_result()), **errors(404, *BODY_ERRORS)},
    summary="One gradient-descent step",
)
async def step(
    session: NetworkDep,
    body: Annotated[
        StepRequest,
        Body(
            openapi_examples={
                "sgd": {"summary": "Plain gradient descent, eta = 0.1", "value": examples.STEP},
                "adam on rows": {
                    "summary": "Adam on dataset rows",
                    "value": {"rows": [0, 1, 2], "optimizer": {"name": "adam", "eta": 0.01}},
                },
            }
        ),
    ],
    fields: FieldsQuery = None,
) -> Response:
    """Forward, backward and one update; answers the trace, the parameters before and after, and
    ``update``: what the optimiser did (its gradients with the L2 term, its steps, its state before
    and after), so each optimiser's update equation can be shown with its numbers.

    A step that goes non-finite is answered normally, with ``diverged`` naming where it started.
    ``?fields=`` picks the fields to send (the update is made either way)."""
    names = chosen(fields, STEP)
    entry = session.entry
    batch = inputs.examples(body, entry, session.settings, need_targets=True)
    network = entry.network
    answers.check_trace(network, batch.X.shape[0], session.settings, backward=True, step=True)
    optimizer = inputs.optimizer(body.optimizer)
    targets = batch.targets
    assert targets is not None

    def compute() -> Response:
        W_before = [w.copy() for w in network.W]
        b_before = [v.copy() for v in network.b]
        state_before = state_snapshot(network, optimizer.name)
        trace = backward(network, batch.X, targets)
        update = apply_update(network, trace.grad_W, trace.grad_b, optimizer)
        done = encoding.StepUpdate(optimizer, update, state_before, state_snapshot(network, optimizer.name))
        return encoding.json_response(select(encoding.step_result(trace, W_before, b_before, network, done), names))

    work = network.config.n_parameters * batch.X.shape[0]
    response = await offload.run(compute, work=work, inline_limit=session.settings.inline_work_limit)
    entry.mark_changed()
    return response


@router.post(
    "/networks/{network_id:network_id}/gradcheck",
    response_model=GradcheckResult,
    responses={200: examples.json_example(examples.gradcheck_result()), **errors(404, *BODY_ERRORS)},
    summary="Gradient check",
)
async def gradcheck(
    session: NetworkDep,
    body: Annotated[
        GradcheckRequest,
        Body(
            openapi_examples={
                "sampled": {"summary": "Two entries per tensor of layer 2", "value": examples.GRADCHECK},
                "broken": {
                    "summary": "Watch it fail: g' of layer 1 left out",
                    "value": {"rows": [0, 1, 2], "drop_g_prime_layer": 1},
                },
            }
        ),
    ],
) -> Response:
    """Central finite differences of the batch loss against backprop, for W_k and b_k of each layer."""
    entry = session.entry
    settings = session.settings
    batch = inputs.examples(body, entry, settings, need_targets=True)
    network = entry.network
    drop = inputs.drop_g_prime_layer(body.drop_g_prime_layer, network)
    chosen = inputs.layers(body.layers, network)
    sizes = network.config.sizes
    cap = body.max_entries
    count = sum(
        min(size, cap) if cap is not None else size for k in chosen for size in (sizes[k] * sizes[k - 1], sizes[k])
    )
    if count > settings.max_gradcheck_entries:
        raise InvalidInputError(
            f"this check would probe {count} entries, more than max_gradcheck_entries = "
            f"{settings.max_gradcheck_entries}; set max_entries (per tensor) or choose layers"
        )
    answers.check_gradcheck(network, count, settings)
    N = batch.X.shape[0]
    work = count * N * network.config.n_parameters
    if work > settings.max_gradcheck_work:
        raise InvalidInputError(
            f"this check would cost about {work} multiply-adds (entries x N x n_parameters), more than "
            f"max_gradcheck_work = {settings.max_gradcheck_work}; use fewer entries (max_entries) or examples"
        )
    targets = batch.targets
    assert targets is not None
    eps, seed = body.eps, body.seed

    def compute() -> Response:
        trace = backward(network, batch.X, targets, drop_g_prime_layer=drop)
        with core_errors():
            checks = gradient_check(
                network, batch.X, targets.Y, eps=eps, max_entries=cap, seed=seed, layers=chosen,
                drop_g_prime_layer=drop,
            )  # fmt: skip
        return encoding.json_response(encoding.gradcheck(checks, first_non_finite_backward(trace)))

    response = await offload.in_thread(compute)
    return response


def _range(lo: float | None, hi: float | None, column: np.ndarray | None, name: str) -> tuple[float, float]:
    if column is not None and column.size:
        c_lo, c_hi = float(column.min()), float(column.max())
        pad = 0.1 * (c_hi - c_lo) or 1.0
        default = (c_lo - pad, c_hi + pad)
    else:
        default = (-1.0, 1.0)
    result = (default[0] if lo is None else lo, default[1] if hi is None else hi)
    if not result[0] < result[1]:
        raise InvalidInputError(f"{name}_min must be below {name}_max, got {result[0]:g} and {result[1]:g}")
    return result


def check_surface(network: Network, resolution: int, settings: Settings, field: str) -> int:
    """n_0 of a network that can draw a decision surface at ``resolution`` (``field`` names it in errors)."""
    n_0 = network.config.sizes[0]
    if n_0 not in (1, 2):
        raise InvalidInputError(
            f"{field}: a decision surface needs a network with 1 or 2 inputs, this one has n_0 = {n_0}"
        )
    if resolution > settings.max_surface_resolution:
        raise InvalidInputError(
            f"{field} {resolution} is more than max_surface_resolution = {settings.max_surface_resolution}"
        )
    return n_0


@router.get(
    "/networks/{network_id:network_id}/surface",
    response_model=Surface,
    responses={200: examples.json_example(examples.surface_result()), **errors(404, 422)},
    summary="Decision surface (1- or 2-input networks)",
)
async def surface(session: NetworkDep, query: Annotated[SurfaceQuery, Query()]) -> Response:
    """The network's outputs on a grid of ``resolution`` points per input axis."""
    entry = session.entry
    settings = session.settings
    network = entry.network
    n_0 = check_surface(network, query.resolution, settings, "resolution")
    answers.check_surface(network, query.resolution, settings)
    data = entry.dataset
    X = np.concatenate([data.X_train, data.X_test]) if data is not None else None
    x1 = _range(query.x1_min, query.x1_max, X[:, 0] if X is not None else None, "x1")
    x2 = _range(query.x2_min, query.x2_max, X[:, 1] if X is not None else None, "x2") if n_0 == 2 else None
    resolution = query.resolution

    def compute() -> Response:
        return encoding.json_response(
            encoding.surface(
                decision_surface(network, x1, x2, resolution), network, first_non_finite_parameters(network)
            )
        )

    work = resolution**n_0 * network.config.n_parameters
    response = await offload.run(compute, work=work, inline_limit=settings.inline_work_limit)
    return response
