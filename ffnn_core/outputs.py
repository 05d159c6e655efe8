"""Output functions O: y_hat = h_L = O(a_L), row-wise over a batch.

Each output function carries ``vjp``, the product of its Jacobian with a
gradient: given grad_y_hat = dL/dy_hat (N, k) it returns
grad_a_L = J_O(a_L)^T grad_y_hat (N, k). This is the general chain rule used for
every (O, loss) pair that has no closed-form shortcut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ffnn_core.numerics import Array, sigmoid, sigmoid_prime, softmax


@dataclass(frozen=True)
class OutputFunction:
    """An output function O and the vector-Jacobian product through it."""

    name: str
    O: Callable[[Array], Array]  # noqa: E741 - the seed's name
    vjp: Callable[[Array, Array, Array], Array]  # (a_L, y_hat, grad_y_hat) -> grad_a_L
    formula: str


def _linear(a: Array) -> Array:
    return a.copy()


def _linear_vjp(a: Array, y_hat: Array, grad_y_hat: Array) -> Array:
    return grad_y_hat.copy()  # J = I


def _sigmoid_vjp(a: Array, y_hat: Array, grad_y_hat: Array) -> Array:
    # J = diag(y_hat (1 - y_hat)), taken from a_L: 1 - y_hat is exactly 0 once y_hat rounds to 1.
    return grad_y_hat * sigmoid_prime(a)


def _softmax_vjp(a: Array, y_hat: Array, grad_y_hat: Array) -> Array:
    # J = diag(y_hat) - y_hat y_hat^T (symmetric), so
    # J^T g = y_hat * (g - <g, y_hat>) row by row.
    inner: Array = (grad_y_hat * y_hat).sum(axis=1, keepdims=True)
    return y_hat * (grad_y_hat - inner)


OUTPUTS: dict[str, OutputFunction] = {
    o.name: o
    for o in (
        OutputFunction("softmax", softmax, _softmax_vjp, "exp(a_L,j) / sum_i exp(a_L,i)"),
        OutputFunction("linear", _linear, _linear_vjp, "a_L"),
        OutputFunction("sigmoid", sigmoid, _sigmoid_vjp, "1 / (1 + exp(-a_L,j))"),
    )
}


def get_output(name: str) -> OutputFunction:
    """Look up an output function by name; unknown names list the allowed ones."""
    try:
        return OUTPUTS[name]
    except KeyError:
        raise ValueError(f"unknown output function {name!r}; allowed: {', '.join(OUTPUTS)}") from None


def softmax_jacobian(y_hat: Array) -> Array:
    """Full softmax Jacobian per example, (N, k, k): dy_hat_i/da_j = y_hat_i (1[i=j] - y_hat_j).

    Only for teaching and tests; backward uses the cheaper ``vjp``.
    """
    eye = np.eye(y_hat.shape[1])
    return y_hat[:, :, None] * (eye[None, :, :] - y_hat[:, None, :])
