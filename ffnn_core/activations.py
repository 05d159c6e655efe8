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
    # g'(a) when h = g(a) is already known (backward's call), bit for bit ``g_prime(a)``: a function
    # (a, h) -> g'(a), called straight from the field (a method around it cost 2 us a [2, 8, 8, 2] step)
    g_prime_given: Callable[[Array, Array], Array]
    # sup |g(a)| where g is bounded (tanh, sigmoid: 1); None where |g(a)| <= |a| instead
    sup_abs: float | None = None


# The seed's forms in h, g(a)(1 - g(a)) and 1 - g(a)^2, are one multiply-add, but they subtract
# from 1 a number close to 1 where |h| nears 1 (exactly 0 once h rounds to 1: sigmoid a > 37, tanh
# |a| > 19, where sigmoid'(40) = 4.2e-18). Their relative error is about eps / g', so g' takes the
# form in h where its value is at least H_FORM_FLOOR = 2^-8 (error below 6e-14 relative, and
# that is every unit of a healthy layer: tanh |a| < 3.1, sigmoid |a| < 5.5) and the form in a
# (numerics) elsewhere, entry by entry: each value depends on its own a only, in any array.
H_FORM_FLOOR = 2.0**-8
TANH_H_FORM_FLOOR = SIGMOID_H_FORM_FLOOR = H_FORM_FLOOR


# One reduction decides a healthy layer (no entry below the floor, the usual case; the callers
# check) instead of a comparison + count: g' of a (150, 16) layer 23 -> 8 us, (256, 128) 54 -> 31 us
# (timeit medians, load 6). A NaN minimum is no proof: ``_accurate`` then leaves NaN entries as they are.
def _accurate(d: Array, a: Array, floor: float, a_form: Callable[[Array], Array]) -> Array:
    """d (g' from h), with ``a_form`` put in wherever d is below ``floor``."""
    low = d < floor
    n_low = int(np.count_nonzero(low))
    if n_low * 8 > low.size:  # many: the a-form on the whole array (fancy indexing costs more)
        np.copyto(d, a_form(a), where=low)
    elif n_low:
        d[low] = a_form(a[low])
    return d


def _sigmoid_prime_given(a: Array, s: Array) -> Array:
    d = s * (1.0 - s)  # g(z)(1 - g(z)), as in the seed
    if np.minimum.reduce(d, axis=None, initial=np.inf) >= SIGMOID_H_FORM_FLOOR:  # healthy: the usual case
        return d
    return _accurate(d, a, SIGMOID_H_FORM_FLOOR, sigmoid_prime)


def _tanh_prime_given(a: Array, t: Array) -> Array:
    d = 1.0 - t * t  # 1 - g(z)^2, as in the seed
    if np.minimum.reduce(d, axis=None, initial=np.inf) >= TANH_H_FORM_FLOOR:  # healthy: the usual case
        return d
    return _accurate(d, a, TANH_H_FORM_FLOOR, tanh_prime)


def _sigmoid_prime(a: Array) -> Array:
    return _sigmoid_prime_given(a, sigmoid(a))


def _tanh_prime(a: Array) -> Array:
    return _tanh_prime_given(a, np.tanh(a))


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
            "sigmoid", sigmoid, _sigmoid_prime, "1 / (1 + exp(-a))", "g(a) (1 - g(a))", _sigmoid_prime_given, 1.0
        ),
        Activation("tanh", np.tanh, _tanh_prime, "tanh(a)", "1 - g(a)^2", _tanh_prime_given, 1.0),
        Activation("linear", _linear, _linear_prime, "a", "1", lambda a, h: _linear_prime(a)),
        Activation("relu", _relu, _relu_prime, "max(0, a)", "1 if a > 0 else 0", lambda a, h: _relu_prime(a)),
        Activation(
            "leaky_relu",
            _leaky_relu,
            _leaky_relu_prime,
            f"a if a > 0 else {LEAKY_RELU_SLOPE} a",
            f"1 if a > 0 else {LEAKY_RELU_SLOPE}",
            lambda a, h: _leaky_relu_prime(a),
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
