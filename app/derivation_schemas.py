"""Request and answer schemas of the derivation and paths operations (see ``ffnn_core.derivation``
and ``ffnn_core.paths``). Indices are 0-based array positions: W_k[i,j] is W[k-1][i][j]."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.schemas import DIVERGED, Divergence, NMatrix, NVector, TargetsRequest
from ffnn_core.derivation import QUANTITIES
from ffnn_core.paths import MAX_PATHS

Quantity = Literal["a", "h", "grad_a", "grad_h", "grad_W", "grad_b"]
assert set(Quantity.__args__) == set(QUANTITIES)  # type: ignore[attr-defined]

EXAMPLE = "Row of the batch (0..N-1) whose factors are shown."
Nonneg = Annotated[int, Field(ge=0)]


class DerivationRequest(TargetsRequest):
    """Examples and targets as for backward, and the entry to derive."""

    quantity: Quantity = Field(description="Which trace quantity the entry belongs to.")
    layer: int = Field(ge=0, description="k: 1..L (a, grad_a, grad_W, grad_b), 0..L (h, h_0 = x), 0..L-1 (grad_h).")
    index: list[Nonneg] = Field(
        min_length=1, max_length=2, description="[i] for vectors, [i, j] for grad_W_k (shape (n_k, n_{k-1}))."
    )
    example: Nonneg = Field(
        default=0, description=f"{EXAMPLE} For a, h, grad_a, grad_h the entry is that example's; "
        "grad_W and grad_b are batch means, derived over every example.",
    )  # fmt: skip


class PathsRequest(TargetsRequest):
    """Examples and targets as for backward, and the weight W_k[i,j] whose paths are wanted."""

    layer: int = Field(ge=1, description="k of W_k, 1..L.")
    i: Nonneg = Field(description="Row of W_k: the neuron a_k[i], 0..n_k-1.")
    j: Nonneg = Field(description="Column of W_k: the input h_{k-1}[j], 0..n_{k-1}-1.")
    max_paths: int = Field(default=100, ge=1, le=MAX_PATHS, description=f"Most paths listed (limit {MAX_PATHS}).")
    example: Nonneg = Field(default=0, description=EXAMPLE)


class FactorOut(BaseModel):
    """One factor and where it lives (highlight quantity_layer[index] of batch row ``example``)."""

    symbol: str = Field(examples=["grad_a_2[1]"])
    value: float | None
    quantity: str = Field(
        description="a, h, W, b, grad_a, grad_h, g_prime (g'(a_k[i])), y (target), grad_y_hat (dl/dy_hat), "
        "jacobian (dy_hat[p]/da_L[m], index [p, m]) or constant."
    )
    layer: int | None = Field(description="k of that quantity (h: 0..L); null for a constant.")
    index: list[int]
    example: int | None = Field(description="Batch row for per-example quantities; null for W, b, constants.")


class TermOut(BaseModel):
    """coefficient x the product of the factors."""

    factors: list[FactorOut]
    coefficient: float
    value: float | None


class ActivationCurveOut(BaseModel):
    """g and g' sampled on a range around the current a, for a plot with a marked."""

    name: str
    a: NVector
    g: NVector
    g_prime: NVector
    at_a: float | None
    at_g: float | None
    at_g_prime: float | None


class DerivationResult(BaseModel):
    """The notes' scalar formula for one entry, its terms with every factor's value, and the result."""

    quantity: str
    layer: int
    index: list[int]
    example: int | None = Field(description="The batch row (per-example quantities); null for grad_W, grad_b.")
    formula: str = Field(examples=["grad_a_1[0] = grad_h_1[0] g'(a_1[0]),  g'(a) = 1 - g(a)^2"])
    rule: Literal["sum", "mean", "g", "O"] = Field(
        description="How the terms give the result: their sum, their mean over the batch, g of the one "
        "term (h_k = g(a_k)), or O of the terms a_L[0..n_L-1], entry i."
    )
    terms: list[TermOut]
    value: float | None = Field(description="The formula evaluated from its terms.")
    trace_value: float | None = Field(description="The same entry as the backward trace computes it.")
    kind: Literal["shortcut", "chain_rule"] | None = Field(
        description="grad_a_L only: the notes' shortcut -(y - y_hat) (softmax/sigmoid + cross-entropy), or the "
        "chain rule through O's Jacobian (any other pair)."
    )
    jacobian: NMatrix | None = Field(
        description="dy_hat[p]/da_L[m] of this example, (n_L, n_L), row p, column m (h_L and grad_a_L only)."
    )
    curve: ActivationCurveOut | None = Field(description="Hidden h_k and grad_a_k: g and g' around a_k[i].")
    diverged: Divergence | None = Field(description=DIVERGED)


class PathOut(BaseModel):
    """One path: a_k[i] = neurons[0], a_{k+1}[neurons[1]], ..., a_L[neurons[-1]], then y_hat[output]."""

    neurons: list[int]
    output: int
    factors: list[FactorOut] = Field(
        description="The chosen example's factors, from the loss down to da_k[i]/dW_k[i,j]."
    )
    product: float | None = Field(description="Their product (the chosen example).")
    share: float | None = Field(description="The batch mean of this path's product: its part of grad_W_k[i,j].")


class PathsResult(BaseModel):
    """Every path from W_k[i,j] to the loss: the largest listed, the rest summed; they add up to grad_W_k[i,j]."""

    layer: int
    i: int
    j: int
    example: int
    N: int
    count: float = Field(description="Number of paths (exact below 2^53; see count_exact).")
    count_exact: str = Field(description="Number of paths, exact, as decimal digits.")
    paths: list[PathOut]
    ranked_by: Literal["share", "example"] = Field(
        description='"share": all paths enumerated, largest |share| first; "example": too many to enumerate '
        "(count x N > 1,000,000), the chosen example's largest |product| found by best-first search."
    )
    total: float | None = Field(description="Sum over all paths of the shares (layer by layer), = grad_W_k[i,j].")
    total_example: float | None = Field(description="Sum over all paths of the chosen example's products.")
    listed_sum: float | None = Field(description="Sum of the listed paths' shares.")
    remainder_count: float = Field(description="Paths not listed.")
    remainder_sum: float | None = Field(description="Sum of the unlisted paths' shares.")
    remainder_method: Literal["summed", "total_minus_listed"]
    grad_W: float | None = Field(description="grad_W_k[i,j] from the backward trace, for comparison.")
    diverged: Divergence | None = Field(description=DIVERGED)
