"""What every API model shares: the strict request base, the names the core accepts, the bounds
of numbers, the array types, the error bodies and the divergence report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app import suggest
from ffnn_core import ACTIVATIONS, INITIALIZERS, LOSSES, OPTIMIZERS, OUTPUTS
from ffnn_core.datasets import DATASETS
from ffnn_core.optimizers import MAX_COUNT as OPTIMIZER_MAX_COUNT

# Names accepted by the API: the keys of the core registries.
if TYPE_CHECKING:
    ActivationName = str
    OutputName = str
    LossName = str
    InitName = str
    OptimizerName = str
    DatasetName = str
else:
    ActivationName = Literal[tuple(ACTIVATIONS)]
    OutputName = Literal[tuple(OUTPUTS)]
    LossName = Literal[tuple(LOSSES)]
    InitName = Literal[tuple(INITIALIZERS)]
    OptimizerName = Literal[tuple(OPTIMIZERS)]
    DatasetName = Literal[tuple(DATASETS)]

SEED_MAX = 2**32 - 1
# Every integer a request may hold is bounded, so none can overflow int64 (numpy) or SQLite:
# counters (step, epoch) at 2^53 - 1 (exact as float64 and in JavaScript), all others (widths,
# indices, counts) at 2^31 - 1; the configured limits (GET /meta) are checked after these.
MAX_COUNT = OPTIMIZER_MAX_COUNT
MAX_INDEX = 2**31 - 1
MAX_INIT_SCALE = 100.0
MAX_NOISE = 10.0

Split = Literal["train", "test"]
Seed = Annotated[int, Field(ge=0, le=SEED_MAX, description=f"Random seed, 0..{SEED_MAX}.")]

# Finite numbers in requests; numbers or null (non-finite) in responses.
Vector = list[float]
Matrix = list[list[float]]
NVector = list[float | None]
NMatrix = list[NVector]

PER_LAYER = "Index k-1 holds layer k (k = 1..L)."
ROWS = "N rows, one per example."
STATE_DOCUMENT = (
    'Optimiser state, e.g. "adam.m_W": [one array per layer shaped like W_k], and "<optimiser>.t": [[t]], '
    "the updates that optimiser has made since it was chosen (0..2^53 - 1). Only the last optimiser used "
    "has state: choosing another starts it afresh (zero state, t = 1)."
)


class StrictModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: object) -> object:
        """Unknown keys are refused with the field that was probably meant (X: did you mean x?)."""
        if isinstance(data, dict):
            allowed = [field.alias or name for name, field in cls.model_fields.items()]
            wrong = [key for key in data if key not in allowed]
            if wrong:
                raise ValueError("; ".join(suggest.unknown(str(key), allowed) for key in wrong))
        return data


# --- errors ------------------------------------------------------------------------------


class ValidationErrorItem(BaseModel):
    type: str
    loc: list[str | int]
    msg: str


class ErrorBody(BaseModel):
    """Every 4xx answer. ``detail`` says what is wrong and what is allowed."""

    detail: str = Field(description="What is wrong and what is allowed, for people.")
    errors: list[ValidationErrorItem] | None = Field(
        default=None, description="422 from request validation only: pydantic's list of errors."
    )


class Divergence(BaseModel):
    """The FIRST quantity that went non-finite (NaN or infinity), in computation order."""

    model_config = ConfigDict(strict=True, extra="forbid")

    stage: Literal["forward", "backward", "update"]
    quantity: str = Field(
        description='"a", "h", "loss", "grad_a", "grad_h", "grad_W", "grad_b", "W" or "b"; '
        '"optimizer_state" (a step only) when only the optimiser\'s own numbers overflowed.'
    )
    layer: int | None = Field(description="k of the quantity (h and grad_h: their own index 0..L); null for loss.")
    message: str = Field(examples=["grad_a_2 became non-finite (NaN or infinity) in the backward pass"])


DIVERGED = "Where values first went non-finite (they are null in this answer); null when all are finite."
