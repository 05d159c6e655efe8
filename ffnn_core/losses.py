"""Losses and the gradient at the output layer, grad_a_L, for every valid (O, loss) pair.

Loss convention (the one place it is stated; the API and the page follow it):
    the loss of one example is a SUM over its k outputs,
        squared_error:  l = sum_j (y_hat_j - y_j)^2           (the seed's, no 1/2)
        cross_entropy:  l = -sum_j y_j log y_hat_j            (softmax: categorical)
                        l = -sum_j [y_j log y_hat_j + (1 - y_j) log(1 - y_hat_j)]  (sigmoid: binary)
    and the loss of a batch is the MEAN over its N examples, L = (1/N) sum_n l_n.
Per-example quantities (grad_a_k, grad_h_k rows) are gradients of that example's l_n;
parameter gradients grad_W_k, grad_b_k are gradients of the batch loss L (the mean
of the per-example ones).

Targets Y are always rows of shape (N, k): one-hot e(y) for class labels, or real
vectors for regression (see ``targets``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ffnn_core.numerics import Array, log_sigmoid, log_softmax, sigmoid_complement, softmax_and_log_softmax
from ffnn_core.outputs import OutputFunction, get_output


@dataclass(frozen=True)
class Loss:
    """A loss l(y_hat, y) per example and its gradient dl/dy_hat."""

    name: str
    grad_y_hat: Callable[[Array, Array], Array]  # (y_hat, Y) -> dl/dy_hat, (N, k)
    formula: str


def _squared_error_grad(y_hat: Array, Y: Array) -> Array:
    return 2.0 * (y_hat - Y)


def _cross_entropy_grad(y_hat: Array, Y: Array) -> Array:
    # Categorical form, -y / y_hat; the binary form is handled by the sigmoid pair.
    return -Y / y_hat


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("cross_entropy", _cross_entropy_grad, "-sum_j y_j log y_hat_j"),
        Loss("squared_error", _squared_error_grad, "sum_j (y_hat_j - y_j)^2"),
    )
}

# Every (output function, loss) pair that makes sense. Cross-entropy needs outputs
# that are probabilities, so it is refused on a linear output.
VALID_PAIRS: tuple[tuple[str, str], ...] = (
    ("softmax", "cross_entropy"),
    ("sigmoid", "cross_entropy"),
    ("softmax", "squared_error"),
    ("sigmoid", "squared_error"),
    ("linear", "squared_error"),
)


def valid_pairs_text() -> str:
    return ", ".join(f"{o} + {loss}" for o, loss in VALID_PAIRS)


@dataclass(frozen=True)
class OutputLoss:
    """The output function O together with the loss: everything the output layer needs."""

    output: OutputFunction
    loss: Loss

    @cached_property
    def has_shortcut(self) -> bool:
        """True for softmax/sigmoid + cross-entropy, where grad_a_L = -(e(y) - y_hat)."""
        return self.loss.name == "cross_entropy"

    @cached_property
    def _softmax_cross_entropy(self) -> bool:
        return self.output.name == "softmax" and self.has_shortcut

    def per_example_loss(self, a_L: Array, y_hat: Array, Y: Array) -> Array:
        """l_n for each example, shape (N,). Cross-entropy works from a_L in log space."""
        losses: Array
        if self.loss.name == "squared_error":
            diff = y_hat - Y
            losses = (diff * diff).sum(axis=1)
        elif self.output.name == "softmax":
            losses = -(Y * log_softmax(a_L)).sum(axis=1)
        else:  # binary cross-entropy; log(1 - sigmoid(a)) = log_sigmoid(-a)
            losses = -(Y * log_sigmoid(a_L) + (1.0 - Y) * log_sigmoid(-a_L)).sum(axis=1)
        return losses

    def output_and_losses(self, a_L: Array, Y: Array) -> tuple[Array, Array]:
        """y_hat = O(a_L) and ``per_example_loss``, bit for bit; softmax + cross-entropy takes both from
        one log-sum-exp (``softmax_and_log_softmax``) as a hand-written step would."""
        if self._softmax_cross_entropy:
            y_hat, log_y_hat = softmax_and_log_softmax(a_L)
            losses: Array = -(Y * log_y_hat).sum(axis=1)
            return y_hat, losses
        y_hat = self.output.O(a_L)
        return y_hat, self.per_example_loss(a_L, y_hat, Y)

    def grad_a_L(self, a_L: Array, y_hat: Array, Y: Array) -> Array:
        """dl_n/da_L per example, (N, k): the shortcut where it exists, else the chain rule.

        Sigmoid + cross-entropy writes y_hat - Y as (1 - Y) y_hat - Y (1 - y_hat), with 1 - y_hat
        from a_L: the same number, but it keeps its relative precision where y_hat rounds to 1.
        Softmax + cross-entropy needs rows Y summing to 1, which ``encode_targets`` guarantees.
        The result is stored row by row like the layers below, whatever the layout of a_L.
        """
        grad: Array
        if self._softmax_cross_entropy:
            # -(e(y) - y_hat) as y_hat - Y, one NumPy call fewer: the same numbers (0 has sign +)
            grad = np.subtract(y_hat, Y, order="C")
            return grad
        if not self.has_shortcut:
            grad = self.grad_a_L_chain_rule(a_L, y_hat, Y)
        else:  # sigmoid + binary cross-entropy
            grad = (1.0 - Y) * y_hat - Y * sigmoid_complement(a_L)
        return np.ascontiguousarray(grad)

    def grad_a_L_chain_rule(self, a_L: Array, y_hat: Array, Y: Array) -> Array:
        """General path: grad_a_L = J_O(a_L)^T dl/dy_hat, for any pair."""
        if self.loss.name == "cross_entropy" and self.output.name == "sigmoid":
            grad_y_hat = -Y / y_hat + (1.0 - Y) / sigmoid_complement(a_L)  # 1 - y_hat, from a_L
        else:
            grad_y_hat = self.loss.grad_y_hat(y_hat, Y)
        return self.output.vjp(a_L, y_hat, grad_y_hat)


def grad_a_L_shortcut(y_hat: Array, Y: Array) -> Array:
    """The seed's closed form for softmax + cross-entropy: grad_a_L = -(e(y) - y_hat).

    The same expression holds for sigmoid outputs with binary cross-entropy.
    Y holds e(y) (one-hot rows) or the binary targets, shape (N, k).
    """
    grad: Array = y_hat - Y  # -(e(y) - y_hat), one NumPy call fewer: the same numbers (0 has sign +)
    return grad


def get_output_loss(output: str, loss: str) -> OutputLoss:
    """The (O, loss) pair, or a ValueError that lists the valid pairs."""
    o = get_output(output)
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; allowed: {', '.join(LOSSES)}")
    if (output, loss) not in VALID_PAIRS:
        raise ValueError(
            f"the output function {output!r} cannot be paired with the loss {loss!r}; "
            f"valid pairs: {valid_pairs_text()}"
        )
    return OutputLoss(o, LOSSES[loss])
