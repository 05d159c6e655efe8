"""Insight into one backward pass: who is to blame for a gradient, each example's share of
grad_W_k, per-layer gradient health, and the loss other learning rates would reach.

Every operation runs forward and backward on the given examples and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field
from starlette.responses import Response

from app import answers, encoding, inputs, offload
from app.deps import NetworkDep, Session
from app.errors import core_errors
from app.routes import BODY_ERRORS, errors
from app.schemas import MAX_INDEX, Divergence, NMatrix, NVector, TargetsRequest
from ffnn_core import BackwardTrace, Network, backward, first_non_finite_backward
from ffnn_core import insight as core

router = APIRouter(tags=["insight"])

MAX_WHAT_IF_RATES = 200
ROWS_EXAMPLE = {"rows": [0, 1, 2, 3]}


class BlameRequest(TargetsRequest):
    layer: int = Field(ge=0, le=MAX_INDEX, description="k of h_k whose gradient is explained, 0..L-1 (0: the input).")
    j: int = Field(ge=0, le=MAX_INDEX, description="Unit j of h_k, 0..n_k - 1.")
    example: int = Field(default=0, ge=0, le=MAX_INDEX, description="Which example of the batch, 0..N-1.")


class BlameTerm(BaseModel):
    i: int = Field(description="Unit i of layer k+1 the term flows back from.")
    weight: float | None = Field(description="W_{k+1}[i, j].")
    grad_a: float | None = Field(description="grad_a_{k+1}[i] of this example.")
    term: float | None = Field(description="weight * grad_a.")


class BlameResult(BaseModel):
    """grad_h_k[j] = sum_i W_{k+1}[i, j] grad_a_{k+1}[i], terms largest (in magnitude) first."""

    layer: int
    j: int
    example: int
    grad_h: float | None
    terms: list[BlameTerm]
    diverged: Divergence | None


class ContributionsRequest(TargetsRequest):
    layer: int = Field(ge=1, le=MAX_INDEX, description="Layer k, 1..L.")


class ContributionsResult(BaseModel):
    """Each example's own grad_W_k = grad_a_k[n] h_{k-1}[n]^T; the batch grad_W_k is their mean."""

    layer: int
    per_example_grad_W: list[NMatrix] = Field(description="N matrices of shape (n_k, n_{k-1}).")
    per_example_grad_b: list[NVector] = Field(description="N vectors of n_k numbers.")
    norms: list[float | None] = Field(description="Frobenius norm of each example's grad_W_k.")
    ranking: list[int] = Field(description="Example indices, the one that pulls W_k hardest first.")
    grad_W: NMatrix = Field(description="The batch gradient: the mean of per_example_grad_W.")
    diverged: Divergence | None


class DiagnosticsRequest(TargetsRequest):
    eta: float = Field(default=0.1, ge=0, description="Learning rate for the update-to-weight ratio.")


class LayerHealth(BaseModel):
    layer: int
    grad_a_norm: float | None = Field(description="RMS over examples of ||grad_a_k||.")
    grad_W_norm: float | None = Field(description="||grad_W_k|| (Frobenius).")
    ratio_to_above: float | None = Field(
        description="grad_a_norm of layer k over that of layer k+1 (null for k = L or when layer k+1's is 0)."
    )
    saturated_share: float | None = Field(
        description="Share of units with g'(a_k) under 5% of g's top slope (sigmoid/tanh layers)."
    )
    dead_share: float | None = Field(description="Share of relu units with a_k <= 0 for every example.")
    update_ratio: float | None = Field(description="||eta grad_W_k|| / ||W_k||.")


class GradientAlert(BaseModel):
    kind: Literal["exploding", "symmetry", "dead", "vanishing"] = Field(
        description="exploding: weights or gradients non-finite or beyond 1e6, or ||grad_a_1|| > 1e3 ||grad_a_L||; "
        "symmetry: a hidden layer's units are copies (e.g. zero init); dead: a relu layer is off for every "
        "example; vanishing: ||grad_a_1|| < 1e-3 ||grad_a_L||. Checked in that order; only the first is given."
    )
    layer: int = Field(description="The layer k (1..L) the alert is about.")
    message: str


class DiagnosticsResult(BaseModel):
    layers: list[LayerHealth] = Field(description="Index k-1 holds layer k.")
    vanishing: bool = Field(description="alert.kind is vanishing (||grad_a_1|| below 1e-3 of ||grad_a_L||).")
    exploding: bool = Field(description="alert.kind is exploding.")
    alert: GradientAlert | None = Field(description="What is wrong with these gradients, if anything.")
    diverged: Divergence | None


class WhatIfRequest(TargetsRequest):
    etas: list[Annotated[float, Field(ge=0, le=1e6)]] = Field(
        min_length=1, max_length=MAX_WHAT_IF_RATES, description="Learning rates to try along -grad."
    )


class WhatIfResult(BaseModel):
    etas: list[float]
    losses: list[float | None] = Field(description="Batch loss after Theta - eta grad Theta, per eta (null: diverged).")
    loss: float | None = Field(description="The batch loss now (eta = 0).")
    diverged: Divergence | None


Compute = Callable[[BackwardTrace, Network], dict[str, Any]]
Bound = Callable[[Network, int], object]  # raises when the answer for N examples would be too large


async def _traced(
    session: Session, body: TargetsRequest, compute: Compute, bound: Bound, *, passes: int = 1
) -> Response:
    """Backward on the request's examples under the network's lock, then ``compute(trace, network)``;
    ``passes``: how many passes over the examples that is (backward counts one), for where it runs."""
    entry = session.entry
    batch = inputs.examples(body, entry, session.settings, need_targets=True)
    network = entry.network
    bound(network, batch.X.shape[0])
    targets = batch.targets
    assert targets is not None

    def run() -> Response:
        trace = backward(network, batch.X, targets)
        with core_errors():
            content = compute(trace, network)
        content["diverged"] = encoding.divergence(first_non_finite_backward(trace))
        return encoding.json_response(content)

    work = network.config.n_parameters * batch.X.shape[0] * passes
    response = await offload.run(run, work=work, inline_limit=session.settings.inline_work_limit)
    return response


@router.post(
    "/networks/{network_id}/blame",
    response_model=BlameResult,
    responses=errors(404, *BODY_ERRORS),
    summary="Who is to blame: grad_h_k[j] broken into its terms",
)
async def blame(
    session: NetworkDep,
    body: Annotated[
        BlameRequest,
        Body(
            openapi_examples={"h_1[0]": {"summary": "grad_h_1[0] of row 0", "value": {"rows": [0], "layer": 1, "j": 0}}}
        ),
    ],
) -> Response:
    """The terms W_{k+1}[i, j] grad_a_{k+1}[i] that sum to grad_h_k[j], largest first."""

    def compute(trace: BackwardTrace, network: Network) -> dict[str, Any]:
        b = core.blame(trace, network, body.layer, body.j, body.example)
        return {
            "layer": b.layer,
            "j": b.j,
            "example": b.example,
            "grad_h": b.grad_h,
            "terms": [{"i": t.i, "weight": t.weight, "grad_a": t.grad_a, "term": t.term} for t in b.terms],
        }

    return await _traced(session, body, compute, lambda network, N: answers.check_blame(network, session.settings))


@router.post(
    "/networks/{network_id}/contributions",
    response_model=ContributionsResult,
    responses=errors(404, *BODY_ERRORS),
    summary="Each example's share of grad_W_k",
)
async def contributions(
    session: NetworkDep,
    body: Annotated[
        ContributionsRequest,
        Body(
            openapi_examples={"layer 1": {"summary": "Layer 1 over four rows", "value": {**ROWS_EXAMPLE, "layer": 1}}}
        ),
    ],
) -> Response:
    """Per-example outer products grad_a_k[n] h_{k-1}[n]^T, their norms and ranking; grad_W_k is their mean."""

    def compute(trace: BackwardTrace, network: Network) -> dict[str, Any]:
        c = core.example_contributions(trace, body.layer)
        return {
            "layer": c.layer,
            "per_example_grad_W": c.per_example_grad_W,
            "per_example_grad_b": c.per_example_grad_b,
            "norms": c.norms,
            "ranking": c.ranking,
            "grad_W": trace.grad_W[body.layer - 1],
        }

    def bound(network: Network, N: int) -> None:
        if body.layer <= network.config.L:  # else the core names the allowed layers
            answers.check_contributions(network, N, body.layer, session.settings)

    return await _traced(session, body, compute, bound)


@router.post(
    "/networks/{network_id}/diagnostics",
    response_model=DiagnosticsResult,
    responses=errors(404, *BODY_ERRORS),
    summary="Vanishing / exploding gradient diagnostics per layer",
)
async def diagnostics(
    session: NetworkDep,
    body: Annotated[
        DiagnosticsRequest,
        Body(openapi_examples={"rows": {"summary": "Four rows, eta 0.1", "value": {**ROWS_EXAMPLE, "eta": 0.1}}}),
    ],
) -> Response:
    """Per layer: ||grad_a_k|| and its ratio to the layer above, saturated and dead units, update size."""

    def compute(trace: BackwardTrace, network: Network) -> dict[str, Any]:
        health = core.layer_diagnostics(trace, network, body.eta)
        alert = core.gradient_alert(network, health)
        return {
            "layers": [vars(h) for h in health],
            "vanishing": alert is not None and alert.kind == "vanishing",
            "exploding": alert is not None and alert.kind == "exploding",
            "alert": None if alert is None else vars(alert),
        }

    return await _traced(
        session, body, compute, lambda network, N: answers.check_diagnostics(network, session.settings)
    )


@router.post(
    "/networks/{network_id}/what-if",
    response_model=WhatIfResult,
    responses=errors(404, *BODY_ERRORS),
    summary="Learning-rate what-if: the loss after one step for each eta",
)
async def what_if(
    session: NetworkDep,
    body: Annotated[
        WhatIfRequest,
        Body(
            openapi_examples={
                "sweep": {"summary": "Five rates on four rows", "value": {**ROWS_EXAMPLE, "etas": [0, 0.1, 0.5, 1, 5]}}
            }
        ),
    ],
) -> Response:
    """For each eta, the batch loss the plain step Theta - eta grad Theta would reach on the same examples."""

    def compute(trace: BackwardTrace, network: Network) -> dict[str, Any]:
        return {
            "etas": body.etas,
            "losses": core.learning_rate_what_if(network, trace, body.etas),
            "loss": trace.loss,
        }

    etas = len(body.etas)
    # one backward, then one forward pass per eta: 200 etas are 200 passes, not one
    return await _traced(
        session, body, compute, lambda network, N: answers.check_what_if(etas, session.settings), passes=1 + etas
    )
