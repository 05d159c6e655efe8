"""What the computation routes take: examples (x or dataset rows), their targets, the optimiser, a
surface's grid."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.schemas.common import MAX_INDEX, Matrix, OptimizerName, Seed, Split, StrictModel


class OptimizerSpec(StrictModel):
    """Update rule and hyper-parameters; eta is the learning rate."""

    name: OptimizerName = "sgd"
    eta: float = Field(default=0.1, ge=0, description="Learning rate.")
    beta: float = Field(default=0.9, ge=0, lt=1, description="momentum and rmsprop.")
    beta1: float = Field(default=0.9, ge=0, lt=1, description="adam.")
    beta2: float = Field(default=0.999, ge=0, lt=1, description="adam.")
    eps: float = Field(default=1e-8, ge=0, description="rmsprop and adam.")
    l2: float = Field(default=0.0, ge=0, description="Weight decay lambda on W (not b).")


X_DESCRIPTION = "N rows of n_0 numbers (a flat list of n_0 numbers is also taken, as one row: N = 1)."
ROWS_DESCRIPTION = "Indices of rows of the attached dataset's split (instead of x); their targets are used as y."


class ForwardRequest(StrictModel):
    """Examples: either ``x`` or ``rows`` (+ ``split``) of the attached dataset."""

    x: Matrix | None = Field(default=None, description=X_DESCRIPTION)
    rows: list[Annotated[int, Field(ge=0, le=MAX_INDEX)]] | None = Field(
        default=None, min_length=1, description=ROWS_DESCRIPTION
    )
    split: Split = "train"

    @field_validator("x", mode="before")
    @classmethod
    def _one_example_as_a_row(cls, x: object) -> object:
        """One shape in the schema (rows), the old shortcut still taken: a flat list is one row."""
        if isinstance(x, list) and x and all(isinstance(v, int | float) and not isinstance(v, bool) for v in x):
            return [x]
        return x

    @model_validator(mode="after")
    def _x_or_rows(self) -> ForwardRequest:
        if (self.x is None) == (self.rows is None):
            raise ValueError("give either x or rows (examples of the attached dataset), not both and not neither")
        return self


class TargetsRequest(ForwardRequest):
    """Examples and targets: ``x`` with ``y``, or ``rows`` (+ ``split``) of the attached dataset."""

    y: list[int] | Matrix | None = Field(
        default=None,
        description="With x: N class labels (0..n_L-1; 0/1 for one output) or N target rows of n_L numbers.",
    )

    @model_validator(mode="after")
    def _y_with_x(self) -> TargetsRequest:
        if self.x is not None and self.y is None:
            raise ValueError("y is required with x (class labels or target rows)")
        if self.rows is not None and self.y is not None:
            raise ValueError("y must not be given with rows: the dataset's own targets are used")
        return self


DROP_G_PRIME = "Teaching fault: leave out g'(a_k) of this hidden layer k (1..L-1)."


class BackwardRequest(TargetsRequest):
    drop_g_prime_layer: int | None = Field(default=None, ge=1, le=MAX_INDEX, description=DROP_G_PRIME)


class StepRequest(TargetsRequest):
    optimizer: OptimizerSpec = OptimizerSpec()


class GradcheckRequest(TargetsRequest):
    eps: float = Field(default=1e-6, gt=0, le=1, description="Finite-difference step.")
    max_entries: int | None = Field(
        default=None, ge=1, le=MAX_INDEX, description="Check at most this many (seeded sample) per tensor."
    )
    seed: Seed = 0
    layers: list[Annotated[int, Field(ge=1, le=MAX_INDEX)]] | None = Field(
        default=None, min_length=1, description="Layers k; null = all."
    )
    drop_g_prime_layer: int | None = Field(default=None, ge=1, le=MAX_INDEX, description=DROP_G_PRIME)


class SurfaceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    resolution: int = Field(
        default=50, ge=2, le=MAX_INDEX, description="Points per axis (limit: max_surface_resolution)."
    )
    x1_min: float | None = Field(default=None, ge=-1e6, le=1e6)
    x1_max: float | None = Field(default=None, ge=-1e6, le=1e6)
    x2_min: float | None = Field(default=None, ge=-1e6, le=1e6)
    x2_max: float | None = Field(default=None, ge=-1e6, le=1e6)
