"""GET /meta: the names the API accepts, the configured limits and the formulas."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Limits(BaseModel):
    max_layers: int
    max_width: int
    max_parameters: int
    max_batch: int
    max_epochs: int
    max_train_batch_size: int
    max_train_seconds: float
    max_gradcheck_entries: int
    max_gradcheck_work: int
    max_surface_resolution: int
    max_body_bytes: int
    max_dataset_n: int
    ttl_seconds: float
    max_networks: int


class Formula(BaseModel):
    formula: str
    derivative: str | None = None


class Meta(BaseModel):
    activations: list[str]
    outputs: list[str]
    losses: list[str]
    valid_pairs: list[list[str]] = Field(description="[output, loss] pairs that may be combined.")
    inits: list[str]
    optimizers: list[str]
    datasets: list[str]
    limits: Limits
    formulas: dict[str, dict[str, Formula]] = Field(
        description='Plain-text formulas: {"activations": {name: {formula, derivative}}, "outputs": ..., '
        '"losses": ..., "inits": ...}.'
    )
