"""Numerically safe building blocks shared by activations, outputs and losses.

All functions are element-wise or row-wise over float64 arrays and never emit
overflow warnings: logits of +-1000 give finite results. The sigmoid family is accurate in
relative terms over the whole float64 range: no value is a difference of two numbers close to 1
(0.5 (1 + tanh(a/2)) is, and returns exactly 0 below a = -37 where the true value is 1e-16);
the derivatives are built from e = exp(-|a|), which lies in (0, 1].
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def _exp_minus_abs(a: Array) -> Array:
    e: Array = np.abs(a)
    np.negative(e, out=e)
    np.exp(e, out=e)  # in place: these run on whole layers in backward
    return e


# exp(708) = 3e307: 1 / (1 + exp(-a)) stays a normal float64 down to a = -708; below it the
# value is exp(a) to the last bit (and subnormal from a = -708.4 on).
_EXP_MAX = 708.0


def sigmoid(a: Array) -> Array:
    """Logistic function 1 / (1 + exp(-a)), accurate in relative terms over the whole range.

    For a < 0 exp(-a) is large and 1 + exp(-a) loses nothing, so the quotient keeps its relative
    precision (0.5 (1 + tanh(a/2)) does not: 1.7e-4 relative error at -30, exactly 0 below -37).
    -a is capped at 708 so nothing overflows; below a = -708 the value is exp(a).
    """
    s: Array = np.negative(a)
    np.minimum(s, _EXP_MAX, out=s)
    np.exp(s, out=s)
    s += 1.0
    np.reciprocal(s, out=s)
    deep = a < -_EXP_MAX
    if deep.any():
        s[deep] = np.exp(a[deep])
    return s


def sigmoid_complement(a: Array) -> Array:
    """1 - sigmoid(a) = sigmoid(-a), without the cancellation of 1 - sigmoid(a) near 1."""
    e = _exp_minus_abs(a)
    s: Array = np.where(a >= 0.0, e, 1.0) / (1.0 + e)
    return s


def sigmoid_prime(a: Array) -> Array:
    """sigmoid'(a) = sigmoid(a) sigmoid(-a) = e / (1 + e)^2 with e = exp(-|a|) (symmetric in a)."""
    e = _exp_minus_abs(a)
    one_plus = e + 1.0
    one_plus *= one_plus
    e /= one_plus
    return e


def tanh_prime(a: Array) -> Array:
    """tanh'(a) = 1 - tanh(a)^2 = 4 e / (1 + e)^2 with e = exp(-2|a|): no cancellation where
    tanh(a) rounds to +-1 (|a| > 19), where 1 - tanh^2 would give exactly 0."""
    e = _exp_minus_abs(a)
    e *= e  # exp(-2|a|); -2|a| itself would overflow for |a| > 9e307
    one_plus = e + 1.0
    one_plus *= one_plus
    e /= one_plus
    e *= 4.0
    return e


def log_sigmoid(a: Array) -> Array:
    """log(sigmoid(a)) = -log(1 + exp(-a)), stable for large |a|."""
    return -np.logaddexp(0.0, -a)


def softmax(a: Array) -> Array:
    """Row-wise softmax of a (N, k) array; subtracting the row max keeps exp finite."""
    # np.maximum.reduce, np.add.reduce: what a.max(...), e.sum(...) call behind a Python wrapper, the same
    # bits for ~0.3 us less a call; with grad_b_k's sum, a [2, 8, 8, 2] training step 1.7% less (bench_core)
    shifted = a - np.maximum.reduce(a, axis=1, keepdims=True)
    e: Array = np.exp(shifted)
    e /= np.add.reduce(e, axis=1, keepdims=True)
    return e


def log_softmax(a: Array) -> Array:
    """Row-wise log(softmax(a)) of a (N, k) array, computed without exp overflow (see below)."""
    return softmax_and_log_softmax(a)[1]


def softmax_and_log_softmax(a: Array) -> tuple[Array, Array]:
    """softmax(a) and log(softmax(a)) of a (N, k) array, from one shift and one exp (the bits of each
    function alone): the training step's y_hat and loss, 5 NumPy calls fewer than one after the other.

    log sum_i exp(a_i - max) = log1p(sum over the entries other than one maximum), so the log
    probability of a confident class keeps its relative precision (about -exp(-gap), not 0).
    """
    shifted: Array = a - np.maximum.reduce(a, axis=1, keepdims=True)
    e = np.exp(shifted)
    p: Array = e / np.add.reduce(e, axis=1, keepdims=True)  # as in ``softmax``
    below_max = shifted < 0.0  # False at each row's maximum (exp(0) = 1, left out below) and at NaN
    others = np.where(below_max, e, 0.0)  # a mask costs half an argmax (bench_core, [4, 16, 16, 3])
    if np.count_nonzero(below_max) != e.size - len(e):  # a tie or a NaN: leave out one maximum per row
        others = e
        others[np.arange(len(e)), shifted.argmax(axis=1)] = 0.0
    log_p: Array = shifted - np.log1p(others.sum(axis=1, keepdims=True))
    return p, log_p


def all_finite(x: Array) -> bool:
    """True when every entry is finite (no NaN, no +-inf)."""
    return bool(np.isfinite(x).all())
