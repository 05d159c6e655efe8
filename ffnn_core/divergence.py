"""Finding the first quantity that went non-finite (NaN or +-inf), in computation order.

Divergence is not an error: callers report it. The scan follows the order in which the
numbers were computed, so the answer names where the trouble started.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ffnn_core.network import Network
from ffnn_core.numerics import Array
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
