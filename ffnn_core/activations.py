"""Hidden activation functions g, each with its derivative g' beside it.

Every function maps an array of pre-activations ``a`` (any shape) to an array of
the same shape, element-wise:  h = g(a)  and  g'(a) = dh/da.
The registry keys are the names the API and the page accept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ffnn_core.numerics import Array, sigmoid, sigmoid_prime, tanh_prime

LEAKY_RELU_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """A hidden activation: g and its derivative g', both element-wise.

    Both return a new array (backward multiplies grad_h into the g' array in place).
    """

    name: str
    g: Callable[[Array], Array]
    g_prime: Callable[[Array], Array]
    formula: str  # g(a) as plain text, for documentation and the page
    derivative: str  # g'(a) as plain text

    def g_prime_given(self, a: Array, h: Array) -> Array:
        """g'(a) when h = g(a) is already known (backward's call): ``g_prime(a)``. The forms of
        g' in h lose all precision where h rounds to 1, so h is not used (see below)."""
        return self.g_prime(a)


# g' is computed from a, not from h = g(a) as the seed writes it (g(a)(1 - g(a)), 1 - g(a)^2):
# where h rounds to 1 (sigmoid a > 37, tanh |a| > 19) the forms in h give exactly 0, the forms
# in a keep their relative precision (sigmoid'(40) = 4.2e-18). Same numbers elsewhere to an ulp.


def _linear(a: Array) -> Array:
    return a.copy()


def _linear_prime(a: Array) -> Array:
    return np.ones_like(a)


def _relu(a: Array) -> Array:
    return np.maximum(a, 0.0)


def _relu_prime(a: Array) -> Array:
    # The derivative at exactly 0 is taken as 0 (the usual sub-gradient choice).
    return (a > 0.0).astype(np.float64)


def _leaky_relu(a: Array) -> Array:
    return np.where(a > 0.0, a, LEAKY_RELU_SLOPE * a)


def _leaky_relu_prime(a: Array) -> Array:
    return np.where(a > 0.0, 1.0, LEAKY_RELU_SLOPE)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", sigmoid, sigmoid_prime, "1 / (1 + exp(-a))", "g(a) (1 - g(a))"),
        Activation("tanh", np.tanh, tanh_prime, "tanh(a)", "1 - g(a)^2"),
        Activation("linear", _linear, _linear_prime, "a", "1"),
        Activation("relu", _relu, _relu_prime, "max(0, a)", "1 if a > 0 else 0"),
        Activation(
            "leaky_relu",
            _leaky_relu,
            _leaky_relu_prime,
            f"a if a > 0 else {LEAKY_RELU_SLOPE} a",
            f"1 if a > 0 else {LEAKY_RELU_SLOPE}",
        ),
    )
}


def get_activation(name: str) -> Activation:
    """Look up a hidden activation by name; unknown names list the allowed ones."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; allowed: {', '.join(ACTIVATIONS)}"
        ) from None
