"""Finding the first quantity that went non-finite (NaN or +-inf), in computation order.

Divergence is not an error: callers report it. The scan follows the order in which the
numbers were computed, so the answer names where the trouble started.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ffnn_core.network import Network
from ffnn_core.numerics import Array
from ffnn_core.optimizers import Optimizer
from ffnn_core.propagation import BackwardTrace, ForwardTrace, TrainingTrace


@dataclass(frozen=True)
class Divergence:
    """Where values first became non-finite.

    stage: "forward", "backward" or "update"; quantity: "a", "h", "loss", "grad_a", "grad_h",
    "grad_W", "grad_b", "W" or "b"; layer: k (h and grad_h use their own index, 0..L).
    """

    stage: str
    quantity: str
    layer: int | None

    @property
    def message(self) -> str:
        name = self.quantity if self.layer is None else f"{self.quantity}_{self.layer}"
        return f"{name} became non-finite (NaN or infinity) in the {self.stage} pass"

    def as_dict(self) -> dict[str, object]:
        return {"stage": self.stage, "quantity": self.quantity, "layer": self.layer, "message": self.message}


def _finite(x: Array) -> bool:
    return bool(np.isfinite(x).all())


def first_non_finite_forward(trace: ForwardTrace) -> Divergence | None:
    for k in range(1, len(trace.a) + 1):
        if not _finite(trace.a[k - 1]):
            return Divergence("forward", "a", k)
        if not _finite(trace.h[k]):
            return Divergence("forward", "h", k)
    return None


def first_non_finite_backward(trace: BackwardTrace | TrainingTrace) -> Divergence | None:
    """The forward trace, the loss, then for k = L..1: grad_a_k, grad_W_k, grad_b_k, grad_h_{k-1}
    (a training step's trace has no grad_h_0)."""
    found = first_non_finite_forward(trace.forward)
    if found is not None:
        return found
    if not _finite(trace.losses):
        return Divergence("forward", "loss", None)
    grad_h = trace.grad_h if isinstance(trace.grad_h, dict) else dict(enumerate(trace.grad_h))
    for k in range(len(trace.grad_a), 0, -1):
        for quantity, array, index in (
            ("grad_a", trace.grad_a[k - 1], k),
            ("grad_W", trace.grad_W[k - 1], k),
            ("grad_b", trace.grad_b[k - 1], k),
            ("grad_h", grad_h.get(k - 1), k - 1),
        ):
            if array is not None and not _finite(array):
                return Divergence("backward", quantity, index)
    return None


def first_non_finite_parameters(network: Network) -> Divergence | None:
    for k in range(1, network.config.L + 1):
        if not _finite(network.W[k - 1]):
            return Divergence("update", "W", k)
        if not _finite(network.b[k - 1]):
            return Divergence("update", "b", k)
    return None


# Training (``training._first_non_finite``) clears a minibatch with one finite total. The a_k, W_k
# and b_k it would add to it (one reduction each, 9 of the 15 NumPy calls of a [2, 8, 8, 2]
# minibatch's check) are finite for certain while a bound of their entries, carried through plain
# SGD steps in a few Python floats, stays below FINITE_LIMIT: so far below the float64 maximum
# (1.8e308) that no rounding of the bound or of the sums matters.
FINITE_LIMIT = 1e280


def max_abs(arrays: Iterable[Array]) -> float:
    """max |entry| over the arrays; inf when one of them is not finite.

    The entries joined into one array, then one abs and one reduction (a maximum is exact in any
    order): ``SgdBound.start`` of a [2, 8, 8, 2] network and 150 inputs 21 -> 7.5 us (timeit)."""
    top = float(np.maximum.reduce(np.abs(np.concatenate([x.ravel() for x in arrays])), initial=0.0))
    return top if math.isfinite(top) else math.inf


@dataclass
class SgdBound:
    """P >= |every entry of every W_k and b_k| through plain SGD steps, and x_max >= |every input|.

    Then |a_k,j| <= sum_i |W_k,ji| |h_{k-1},i| + |b_k,j| <= (n_{k-1} H_{k-1} + 1) P = A_k, with H_0 = x_max,
    H_k = sup |g| (1) for tanh and sigmoid and H_k = A_k for the others (|g(a)| <= |a|). An SGD step moves
    an entry by eta |g|, and |g| <= ||grad_W_k||_F (+ lambda P with L2) for W_k, |grad_b_k,j| <= the RMS
    over the examples of ||grad_a_k|| for b_k (a mean of grad_a_k's rows): both are the history's norms.
    """

    p_max: float  # P
    x_max: float
    # 2 P at the last a_bound found below FINITE_LIMIT: A_k grows with P, so any P up to it is bounded too,
    # and the layer loop runs again only once P has doubled (4% off a [2, 8, 8, 2] minibatch, timed as in
    # bench_core: the loop on every step cost 7%, now 3%)
    p_checked: float = -math.inf

    @classmethod
    def start(cls, network: Network, X: Array) -> SgdBound:
        return cls(max_abs([*network.W, *network.b]), max_abs([X]))

    def after_step(self, network: Network, optimizer: Optimizer, W_norms: list[float], a_norms: list[float]) -> bool:
        """Account for the step just made; True when its a_k and the updated W_k, b_k are surely finite
        (the a_k were computed before the step, with entries at most the old P <= P)."""
        g_max = max(max(W_norms) + optimizer.l2 * self.p_max, max(a_norms))
        self.p_max = (self.p_max + optimizer.eta * g_max * (1.0 + 1e-9)) * (1.0 + 1e-12)  # margins for the rounding
        if self.p_max <= self.p_checked:  # NaN compares False and is checked below
            return True
        if self.a_bound(network, 2.0 * self.p_max) < FINITE_LIMIT:
            self.p_checked = 2.0 * self.p_max
            return True
        return self.a_bound(network) < FINITE_LIMIT  # A_1 >= P: the parameters too (NaN compares False)

    def a_bound(self, network: Network, p_max: float | None = None) -> float:
        """max_k A_k: at least |every entry of every a_k| of a forward pass with these bounds (with P = p_max
        if given)."""
        P = self.p_max if p_max is None else p_max
        H = self.x_max
        A_max = 0.0
        for n_prev, act in zip(network.config.sizes[:-1], (*network.config.hidden_activations, None), strict=True):
            A = (n_prev * H + 1.0) * P
            A_max = max(A_max, A)
            H = act.sup_abs if act is not None and act.sup_abs is not None else A
        return A_max
