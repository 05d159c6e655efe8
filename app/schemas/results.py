"""What the computation routes answer: traces, steps with their optimiser numbers, gradient checks,
surfaces."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.schemas.common import DIVERGED, PER_LAYER, ROWS, Divergence, Matrix, NMatrix, NVector, Vector
from app.schemas.networks import OptimizerState
from app.schemas.requests import OptimizerSpec


def _only_diverged_required(schema: JsonDict) -> None:
    schema["required"] = ["diverged"]


class ForwardResult(BaseModel):
    """Every field is in the answer unless ``?fields=`` chose some (``diverged`` always is)."""

    model_config = ConfigDict(json_schema_extra=_only_diverged_required)

    a: list[NMatrix] = Field(description=f"{PER_LAYER} a_k: {ROWS} of n_k numbers.")
    h: list[NMatrix] = Field(description=f"Index k holds h_k (k = 0..L; h_0 = x, h_L = y_hat): {ROWS}")
    y_hat: NMatrix = Field(description=f"h_L: {ROWS}")
    diverged: Divergence | None = Field(description=DIVERGED)


class BackwardResult(ForwardResult):
    """Forward trace, gradients and losses. grad_a/grad_h rows: gradients of each example's loss;
    grad_W/grad_b: gradients of the batch loss (the mean over examples)."""

    y: Matrix = Field(description="Targets as rows (N, n_L): one-hot e(y) for class labels.")
    grad_a: list[NMatrix] = Field(description=f"{PER_LAYER} grad_a_k: {ROWS}")
    grad_h: list[NMatrix] = Field(description=f"Index k holds grad_h_k (k = 0..L-1): {ROWS}")
    grad_W: list[NMatrix] = Field(description=f"{PER_LAYER} grad_W_k, shaped like W_k.")
    grad_b: list[NVector] = Field(description=f"{PER_LAYER} grad_b_k, shaped like b_k.")
    losses: NVector = Field(description="Per-example loss (a sum over outputs), N numbers.")
    loss: float | None = Field(description="Batch loss: the mean of losses.")


OPTIMIZER_STATE = (
    'The chosen optimiser\'s state, one array per layer shaped like W_k or b_k, by key: "momentum.u_W", '
    '"momentum.u_b" (momentum), "rmsprop.v_W", "rmsprop.v_b" (rmsprop), "adam.m_W", "adam.m_b", '
    '"adam.v_W", "adam.v_b" (adam); empty for sgd.'
)


class OptimizerUpdate(BaseModel):
    """What the optimiser did in this step, per layer (index k-1 holds layer k), element-wise:
    sgd: Theta <- Theta - eta g; momentum: u <- beta u + g, Theta <- Theta - eta u (eta outside u, as in
    PyTorch: a new eta scales the whole next step);
    rmsprop: v <- beta v + (1 - beta) g^2, Theta <- Theta - eta g / (sqrt(v) + eps);
    adam: m <- beta1 m + (1 - beta1) g, v <- beta2 v + (1 - beta2) g^2, m_hat = m / (1 - beta1^t),
    v_hat = v / (1 - beta2^t), Theta <- Theta - eta m_hat / (sqrt(v_hat) + eps).
    g is grad_W_k + l2 W_k for weights (the gradient of L + (l2 / 2) sum_k ||W_k||^2), grad_b_k for biases."""

    optimizer: OptimizerSpec = Field(description="The optimiser and hyper-parameters used (defaults filled in).")
    t: int = Field(
        description="This optimiser's own update count, this update included (1, 2, ...; 1 again after "
        "switching optimiser): Adam's bias correction uses beta^t."
    )
    g_W: list[NMatrix] = Field(description=f"{PER_LAYER} g for W_k: grad_W_k + l2 W_k (W_k before the update).")
    g_b: list[NVector] = Field(description=f"{PER_LAYER} g for b_k: grad_b_k (biases are not regularised).")
    delta_W: list[NMatrix] = Field(description=f"{PER_LAYER} The change added to W_k: W_after - W_before.")
    delta_b: list[NVector] = Field(description=f"{PER_LAYER} The change added to b_k.")
    state_before: OptimizerState = Field(description=f"{OPTIMIZER_STATE} Zeros where the network had none yet.")
    state_after: OptimizerState = Field(description=OPTIMIZER_STATE)


class StepResult(BackwardResult):
    """One update: the backward pass it used, the parameters before and after, and what the
    optimiser did (``update``)."""

    W_before: list[NMatrix] = Field(description=PER_LAYER)
    b_before: list[NVector] = Field(description=PER_LAYER)
    W_after: list[NMatrix] = Field(description=PER_LAYER)
    b_after: list[NVector] = Field(description=PER_LAYER)
    step: int = Field(description="The network's step counter after this update.")
    update: OptimizerUpdate = Field(description="The optimiser's numbers for this step (see OptimizerUpdate).")


class GradcheckEntry(BaseModel):
    index: list[int] = Field(description="[i, j] for W_k, [i] for b_k.")
    backprop: float | None
    numeric: float | None
    relative_error: float | None


class GradcheckTensor(BaseModel):
    name: Literal["W", "b"]
    layer: int
    max_relative_error: float | None
    entries: list[GradcheckEntry]


class GradcheckResult(BaseModel):
    """Central differences of the batch loss against backprop, per tensor (W_k then b_k, k = 1..L)."""

    tensors: list[GradcheckTensor]
    diverged: Divergence | None = Field(description=DIVERGED)


class Surface(BaseModel):
    """The network on a grid. Ranges default to the attached dataset's points padded by 10%, else [-1, 1]."""

    x1: Vector
    x2: Vector | None = Field(description="null for a 1-input network.")
    y_hat: list[NMatrix] = Field(
        description="[x2 rows][x1 columns][n_L]: row i is x2[i], column j is x1[j]; one row for a 1-input network."
    )
    diverged: Divergence | None = Field(description=DIVERGED)
