"""Going back in the page's timeline: one request puts back a whole earlier state of a network,
its parameters, its step and epoch counters and its optimiser state (momentum, Adam's moments and
counter), so training resumes exactly as it would have from there."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import Field
from starlette.responses import Response

from app import answers, encoding, inputs
from app.deps import NetworkDep
from app.routes import BODY_ERRORS, errors
from app.schemas import MAX_COUNT, STATE_DOCUMENT, Matrix, NetworkPublic, OptimizerState, StrictModel, Vector

router = APIRouter(tags=["networks"])


class NetworkState(StrictModel):
    """An earlier state of this network, as GET .../export gave it (its config and dataset stay)."""

    W: list[Matrix] = Field(description="Per layer k = 1..L: W_k, n_k rows of n_(k-1) numbers.")
    b: list[Vector] = Field(description="Per layer k = 1..L: b_k, n_k numbers.")
    step: int = Field(ge=0, le=MAX_COUNT, description="Updates made, 0..2^53 - 1.")
    epoch: int = Field(ge=0, le=MAX_COUNT, description="Epochs completed, 0..2^53 - 1.")
    optimizer_state: OptimizerState = Field(default_factory=lambda: OptimizerState(), description=STATE_DOCUMENT)


@router.put(
    "/networks/{network_id:network_id}/state",
    response_model=NetworkPublic,
    responses=errors(404, *BODY_ERRORS),
    summary="Put back an earlier state (parameters, counters, optimiser state)",
)
async def put_state(
    session: NetworkDep,
    body: Annotated[
        NetworkState,
        Body(
            openapi_examples={
                "2-2-2 after one SGD step": {
                    "summary": "All of a [2, 2, 2] network's state (SGD keeps none)",
                    "value": {
                        "W": [[[0.5, -0.5], [0.25, 1.0]], [[1.0, -1.0], [-0.5, 0.5]]],
                        "b": [[0.0, 0.1], [0.0, 0.0]],
                        "step": 1,
                        "epoch": 0,
                        "optimizer_state": {},
                    },
                }
            }
        ),
    ],
) -> Response:
    """Replace W, b, the step and epoch counters and the optimiser state at once; everything is
    checked first and nothing changes on error."""
    entry = session.entry
    network = entry.network
    answers.check_network(network.config, session.settings)
    W, b = inputs.parameters(body.W, body.b, network.config.sizes)
    state = inputs.optimizer_state(body.optimizer_state.model_dump(by_alias=True, exclude_none=True), W, b)
    network.set_parameters(W, b)
    network.step = body.step
    network.epoch = body.epoch
    network.optimizer_state = state
    entry.mark_changed()
    spec = entry.dataset_spec.as_dict() if entry.dataset_spec is not None else None
    return encoding.json_response(encoding.network(entry.id, network, spec))
