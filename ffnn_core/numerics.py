"""Numerically safe building blocks shared by activations, outputs and losses.

All functions are element-wise or row-wise over float64 arrays and never emit
overflow warnings: logits of +-1000 give finite results.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def sigmoid(a: Array) -> Array:
    """Logistic function 1 / (1 + exp(-a)), written via tanh so it cannot overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def log_sigmoid(a: Array) -> Array:
    """log(sigmoid(a)) = -log(1 + exp(-a)), stable for large |a|."""
    return -np.logaddexp(0.0, -a)


def softmax(a: Array) -> Array:
    """Row-wise softmax of a (N, k) array; subtracting the row max keeps exp finite."""
    shifted = a - a.max(axis=1, keepdims=True)
    e: Array = np.exp(shifted)
    e /= e.sum(axis=1, keepdims=True)
    return e


def log_softmax(a: Array) -> Array:
    """Row-wise log(softmax(a)) of a (N, k) array, computed without exp overflow."""
    shifted: Array = a - a.max(axis=1, keepdims=True)
    log_sum: Array = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted - log_sum


def all_finite(x: Array) -> bool:
    """True when every entry is finite (no NaN, no +-inf)."""
    return bool(np.isfinite(x).all())
