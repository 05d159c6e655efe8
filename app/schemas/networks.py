"""Networks: creating one, its public view, its parameters, its optimiser state, the export document."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.schemas.common import (
    DIVERGED,
    MAX_COUNT,
    MAX_INDEX,
    MAX_INIT_SCALE,
    PER_LAYER,
    STATE_DOCUMENT,
    ActivationName,
    Divergence,
    InitName,
    LossName,
    Matrix,
    NMatrix,
    NVector,
    OutputName,
    Seed,
    StrictModel,
    Vector,
)
from app.schemas.datasets import DatasetSpec


class NetworkCreate(StrictModel):
    """A new network. Hidden layers use ``activation``; the output layer uses ``output``."""

    sizes: list[Annotated[int, Field(ge=1, le=MAX_INDEX)]] = Field(
        min_length=2,
        description="Layer widths [n_0, ..., n_L]: n_0 inputs, n_L outputs; L = len(sizes) - 1 "
        "(limits: max_layers, max_width, max_parameters in GET /meta).",
        examples=[[2, 4, 2]],
    )
    activation: ActivationName | list[ActivationName] = Field(
        default="tanh", description="One hidden activation g for all hidden layers, or one per hidden layer (L - 1)."
    )
    output: OutputName = Field(default="softmax", description="Output function O.")
    loss: LossName = Field(default="cross_entropy", description="Loss; see valid_pairs in GET /meta.")
    init: InitName = Field(default="xavier_uniform", description="Weight initialisation; biases start at 0.")
    init_scale: float = Field(
        default=1.0,
        ge=0,
        le=MAX_INIT_SCALE,
        description='r of "uniform" U(-r, r), sigma of "normal"; unused otherwise.',
    )
    seed: Seed = 0
    dataset: DatasetSpec | None = Field(
        default=None,
        description="Attach a dataset: n_0 must equal its n_inputs, n_L its n_outputs (or 1 for 2 classes).",
    )


class NetworkConfig(StrictModel):
    sizes: list[Annotated[int, Field(ge=1, le=MAX_INDEX)]] = Field(min_length=2)
    activations: list[ActivationName] = Field(description="Hidden activation of layer k at index k-1 (L - 1).")
    output: OutputName
    loss: LossName
    init: InitName
    init_scale: float = Field(ge=0, le=MAX_INIT_SCALE)
    seed: Seed


class NetworkPublic(BaseModel):
    """A stored network: its configuration, all its parameters and its counters."""

    id: str = Field(description="32 hex characters (128 random bits).", pattern="^[0-9a-f]{32}$")
    config: NetworkConfig
    dataset: DatasetSpec | None
    W: list[NMatrix] = Field(description=f"{PER_LAYER} W_k: n_k rows of n_(k-1) numbers.")
    b: list[NVector] = Field(description=f"{PER_LAYER} b_k: n_k numbers.")
    step: int = Field(description="Parameter updates since initialisation.")
    epoch: int = Field(description="Training epochs completed.")
    n_parameters: int
    diverged: Divergence | None = Field(description="Non-null when a parameter is non-finite (after a diverged step).")


class ParametersPut(StrictModel):
    """All parameters at once; shapes must match the network's sizes."""

    W: list[Matrix] = Field(description=f"{PER_LAYER} W_k: n_k rows of n_(k-1) numbers.")
    b: list[Vector] = Field(description=f"{PER_LAYER} b_k: n_k numbers.")


class ParameterPatch(StrictModel):
    """One number: W_k[i, j] (name "W") or b_k[i] (name "b", j null); i and j are 0-based."""

    name: Literal["W", "b"]
    layer: int = Field(ge=1, le=MAX_INDEX, description="k, 1..L.")
    i: int = Field(ge=0, le=MAX_INDEX, description="Row: unit of layer k, 0..n_k - 1.")
    j: int | None = Field(
        default=None, ge=0, le=MAX_INDEX, description='Column for "W": unit of layer k-1, 0..n_(k-1) - 1; null for "b".'
    )
    value: float


COUNTER = "[[t]]: the updates this optimiser has made since it was chosen."


class OptimizerState(StrictModel):
    """An optimiser's state, one array per layer (index k-1 holds layer k) shaped like W_k (keys
    ending in _W) or b_k (_b), and its step counter ("<name>.t"). Only the keys of the optimiser in use
    are present."""

    momentum_u_W: list[NMatrix] | None = Field(default=None, alias="momentum.u_W")
    momentum_u_b: list[NVector] | None = Field(default=None, alias="momentum.u_b")
    rmsprop_v_W: list[NMatrix] | None = Field(default=None, alias="rmsprop.v_W")
    rmsprop_v_b: list[NVector] | None = Field(default=None, alias="rmsprop.v_b")
    adam_m_W: list[NMatrix] | None = Field(default=None, alias="adam.m_W")
    adam_m_b: list[NVector] | None = Field(default=None, alias="adam.m_b")
    adam_v_W: list[NMatrix] | None = Field(default=None, alias="adam.v_W")
    adam_v_b: list[NVector] | None = Field(default=None, alias="adam.v_b")
    sgd_t: list[NVector] | None = Field(default=None, alias="sgd.t", description=COUNTER)
    momentum_t: list[NVector] | None = Field(default=None, alias="momentum.t", description=COUNTER)
    rmsprop_t: list[NVector] | None = Field(default=None, alias="rmsprop.t", description=COUNTER)
    adam_t: list[NVector] | None = Field(default=None, alias="adam.t", description=COUNTER)


class NetworkDocument(StrictModel):
    """The whole network as one JSON document: what GET .../export answers and POST /networks/import
    takes. Numbers are null only in the export of a diverged network (see ``diverged``); import
    needs finite numbers and ignores ``diverged``."""

    format: Literal["backprop-lab/network"]
    version: Literal[1]
    config: NetworkConfig
    dataset: DatasetSpec | None = None
    W: list[NMatrix] = Field(description=f"{PER_LAYER} W_k: n_k rows of n_(k-1) numbers.")
    b: list[NVector] = Field(description=f"{PER_LAYER} b_k: n_k numbers.")
    step: int = Field(default=0, ge=0, le=MAX_COUNT, description="Updates made, 0..2^53 - 1.")
    epoch: int = Field(default=0, ge=0, le=MAX_COUNT, description="Epochs completed, 0..2^53 - 1.")
    optimizer_state: OptimizerState = Field(default_factory=lambda: OptimizerState(), description=STATE_DOCUMENT)
    diverged: Divergence | None = Field(default=None, description=f"{DIVERGED} Ignored on import.")
