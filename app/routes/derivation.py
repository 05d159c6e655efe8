"""Element-level derivations for students and autograders: one entry's scalar formula with its
numbers (POST /derivation) and every path from one weight to the loss (POST /paths).

Both run a backward pass on the given examples (nothing changes on the network) and answer the
same numbers the page shows. The paths answer is bounded by max_paths (at most
``ffnn_core.paths.MAX_PATHS``) and by the core's enumeration limit, above which the largest paths
are searched for instead of enumerated.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Body
from starlette.responses import Response

from app import answers, encoding, examples, inputs, offload
from app.deps import NetworkDep
from app.derivation_schemas import DerivationRequest, DerivationResult, PathsRequest, PathsResult
from app.errors import core_errors
from app.routes import BODY_ERRORS, errors
from ffnn_core import BackwardTrace, Network, backward, first_non_finite_backward
from ffnn_core.derivation import derive
from ffnn_core.numerics import Array
from ffnn_core.paths import Paths, paths
from ffnn_core.targets import Targets

router = APIRouter(tags=["derivation"])

DERIVATION_EXAMPLES = {
    "grad_W entry": {
        "summary": "grad_W_2[1, 0] of a batch of two",
        "value": {"x": examples.X, "y": examples.Y, "quantity": "grad_W", "layer": 2, "index": [1, 0]},
    },
    "grad_a_L entry": {
        "summary": "grad_a_2[0] of example 1: softmax + cross-entropy's shortcut",
        "value": {"x": examples.X, "y": examples.Y, "quantity": "grad_a", "layer": 2, "index": [0], "example": 1},
    },
    "hidden g'": {
        "summary": "grad_a_1[0] = grad_h_1[0] g'(a_1[0]), with g and g' sampled",
        "value": {"x": examples.X, "y": examples.Y, "quantity": "grad_a", "layer": 1, "index": [0]},
    },
}
PATHS_EXAMPLES = {
    "W_1[0, 1]": {
        "summary": "Every path from W_1[0, 1] to the loss",
        "value": {"x": examples.X, "y": examples.Y, "layer": 1, "i": 0, "j": 1, "max_paths": 10},
    },
}


def derivation_payload(network: Network, trace: BackwardTrace, body: DerivationRequest) -> dict[str, Any]:
    with core_errors():
        found = derive(network, trace, body.quantity, body.layer, body.index, example=body.example)
    fields = {f.name: getattr(found, f.name) for f in dataclasses.fields(found)}
    return {**fields, "diverged": encoding.divergence(first_non_finite_backward(trace))}


def paths_payload(network: Network, trace: BackwardTrace, body: PathsRequest) -> dict[str, Any]:
    with core_errors():
        found: Paths = paths(network, trace, body.layer, body.i, body.j, max_paths=body.max_paths, example=body.example)
    fields = {f.name: getattr(found, f.name) for f in dataclasses.fields(found)}
    # counts can pass 2^64 (256^10 paths): a float for reading, the digits for exactness
    fields.update(count=float(found.count), count_exact=str(found.count), remainder_count=float(found.remainder_count))
    return {**fields, "diverged": encoding.divergence(first_non_finite_backward(trace))}


def _examples(session: NetworkDep, body: DerivationRequest | PathsRequest) -> tuple[Network, Array, Targets]:
    """The network and the body's examples with their targets (both routes need the backward trace)."""
    batch = inputs.examples(body, session.entry, session.settings, need_targets=True)
    assert batch.targets is not None
    return session.entry.network, batch.X, batch.targets


@cache
def _example_answers() -> tuple[Any, Any]:
    net = examples._network()  # the docs' example network
    trace = backward(net, examples.X, examples.Y)
    derivation = DerivationRequest.model_validate(DERIVATION_EXAMPLES["grad_W entry"]["value"])
    path = PathsRequest.model_validate(PATHS_EXAMPLES["W_1[0, 1]"]["value"])
    return examples._plain(derivation_payload(net, trace, derivation)), examples._plain(paths_payload(net, trace, path))


@router.post(
    "/networks/{network_id:network_id}/derivation",
    response_model=DerivationResult,
    responses={200: examples.json_example(_example_answers()[0]), **errors(404, *BODY_ERRORS)},
    summary="One entry's scalar formula, with its numbers",
)
async def derivation(
    session: NetworkDep, body: Annotated[DerivationRequest, Body(openapi_examples=DERIVATION_EXAMPLES)]
) -> Response:
    """The notes' element-wise formula for one entry of a_k, h_k, grad_a_k, grad_h_k (of one example) or
    grad_W_k, grad_b_k (batch means): its terms, each a product of factors with their values and where they
    live, the result from the terms, and the backward trace's own value beside it. Changes nothing."""
    network, X, targets = _examples(session, body)
    answers.check_derivation(network, body.quantity, body.layer, X.shape[0], session.settings)

    def compute() -> Response:
        return encoding.json_response(derivation_payload(network, backward(network, X, targets), body))

    work = network.config.n_parameters * X.shape[0]
    response = await offload.run(compute, work=work, inline_limit=session.settings.inline_work_limit)
    return response


@router.post(
    "/networks/{network_id:network_id}/paths",
    response_model=PathsResult,
    responses={200: examples.json_example(_example_answers()[1]), **errors(404, *BODY_ERRORS)},
    summary="Every path from one weight to the loss",
    name="paths",
)
async def weight_paths(
    session: NetworkDep, body: Annotated[PathsRequest, Body(openapi_examples=PATHS_EXAMPLES)]
) -> Response:
    """Every path from W_k[i,j] to the loss, one neuron per layer above k: each path's factors (the chosen
    example's, from dl/dy_hat down to da_k[i]/dW_k[i,j] = h_{k-1}[j]), its product and its share of the batch
    mean; the largest ``max_paths`` listed (limit 1000), the rest summed. The shares add up to grad_W_k[i,j].
    Changes nothing."""
    network, X, targets = _examples(session, body)
    answers.check_paths(network, body.layer, body.max_paths, session.settings)

    def compute() -> Response:
        return encoding.json_response(paths_payload(network, backward(network, X, targets), body))

    response = await offload.in_thread(compute)  # enumeration or search: never on the event loop
    return response
