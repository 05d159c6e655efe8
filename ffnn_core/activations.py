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
    # g' in terms of h = g(a), as the seed writes it (sigmoid, tanh), and the value of it below
    # which that form may have lost precision (see ``g_prime_given``)
    g_prime_from_h: Callable[[Array], Array] | None = None
    h_form_floor: float = 0.0

    def g_prime_given(self, a: Array, h: Array) -> Array:
        """g'(a) when h = g(a) is already known (backward's call), as accurate as ``g_prime(a)``.

        The seed's forms in h, g(a)(1 - g(a)) and 1 - g(a)^2, are one multiply-add, but they
        subtract from 1 a number close to 1 where |h| nears 1 (exactly 0 once h rounds to 1:
        sigmoid a > 37, tanh |a| > 19, where sigmoid'(40) = 4.2e-18). They are kept where
        |h| <= 0.875 (their relative error is at most ~6 ulps there), i.e. where the value is at
        least ``h_form_floor``; the form in a replaces the others. Each entry's value depends on
        its own a and h only (a row or a single entry gives the same numbers as the whole layer).
        """
        if self.g_prime_from_h is None:
            return self.g_prime(a)
        d = self.g_prime_from_h(h)
        low = d < self.h_form_floor
        n_low = int(np.count_nonzero(low))
        if n_low == 0:
            return d
        if n_low * 8 > low.size:  # many: the a-form on the whole array, kept only where needed
            np.copyto(d, self.g_prime(a), where=low)
        else:
            d[low] = self.g_prime(a[low])
        return d


# 1 - h^2 (and 1 - s) lose about eps h^2 / (1 - h^2) in relative terms: 3.3 ulps at |h| = 0.875,
# where tanh' = 1 - 0.875^2 and sigmoid' = 0.875 (1 - 0.875). (A sigmoid' this small may also come
# from h < 0.125, where s (1 - s) is accurate: recomputing it there only costs time.)
H_FORM_LIMIT = 0.875
TANH_H_FORM_FLOOR = 1.0 - H_FORM_LIMIT**2
SIGMOID_H_FORM_FLOOR = H_FORM_LIMIT * (1.0 - H_FORM_LIMIT)


def _sigmoid_prime_from_h(s: Array) -> Array:
    return s * (1.0 - s)  # g'(z) = g(z)(1 - g(z)), as in the seed


def _tanh_prime_from_h(t: Array) -> Array:
    return 1.0 - t * t  # g'(z) = 1 - g(z)^2, as in the seed


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
        Activation(
            "sigmoid", sigmoid, sigmoid_prime, "1 / (1 + exp(-a))", "g(a) (1 - g(a))", _sigmoid_prime_from_h,
            SIGMOID_H_FORM_FLOOR,
        ),
        Activation("tanh", np.tanh, tanh_prime, "tanh(a)", "1 - g(a)^2", _tanh_prime_from_h, TANH_H_FORM_FLOOR),
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
