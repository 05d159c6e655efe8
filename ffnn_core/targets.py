"""Targets: class labels become one-hot rows e(y); regression targets stay real rows.

Every loss works on target rows Y of shape (N, k), k = n_L.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ffnn_core.numerics import Array


@dataclass(frozen=True)
class Targets:
    """Y (N, k) as the loss sees it, and the class labels (N,) when there are any."""

    Y: Array
    labels: npt.NDArray[np.int64] | None


def encode_targets(y: npt.ArrayLike, n_out: int, loss: str, output: str | None = None) -> Targets:
    """Turn labels or target rows into ``Targets`` for a network with n_L = ``n_out``.

    - labels, shape (N,), integers: one-hot e(y) rows when n_out > 1 (labels in 0..n_out-1);
      with a single output (binary), the label itself (0 or 1) is the target.
    - rows, shape (N, n_out): used as they are (one-hot or probabilities for
      cross-entropy, any real numbers for squared error).
    Given the ``output`` function, softmax + cross-entropy rows must also sum to 1 within 1e-9,
    and rows that do not sum to exactly 1 are divided by their sum: the seed's
    grad_a_L = -(e(y) - y_hat) is the gradient of -sum_j y_j log y_hat_j only when sum_j y_j = 1
    (in general it is (sum_j y_j) y_hat - y), so the loss reported and its gradient use the same rows.
    """
    arr = np.asarray(y)
    if arr.ndim == 1:
        labels = _class_labels(arr, 2 if n_out == 1 else n_out, n_out)
        if n_out == 1:
            return Targets(labels[:, None].astype(np.float64), labels)
        Y = np.zeros((labels.shape[0], n_out))
        Y[np.arange(labels.shape[0]), labels] = 1.0
        return Targets(Y, labels)
    if arr.ndim == 2:
        if arr.shape[1] != n_out:
            raise ValueError(f"target rows must have {n_out} column(s) (n_L), got {arr.shape[1]}")
        Y = arr.astype(np.float64)
        if not np.all(np.isfinite(Y)):
            raise ValueError("targets must be finite numbers")
        if loss == "cross_entropy" and (np.any(Y < 0) or np.any(Y > 1)):
            raise ValueError("cross-entropy targets must lie in [0, 1] (one-hot rows or probabilities)")
        if loss == "cross_entropy" and output == "softmax":
            Y = _rows_summing_to_one(Y)
        return Targets(Y, _labels_if_one_hot(Y))
    raise ValueError(f"targets must be labels (N,) or rows (N, {n_out}), got an array of shape {arr.shape}")


ROW_SUM_TOLERANCE = 1e-9


def _class_labels(arr: npt.NDArray[Any], n_classes: int, n_out: int) -> npt.NDArray[np.int64]:
    """Labels (N,) as int64, checked in their own dtype first: 2^63 or 10^30 must not wrap around."""
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    # integers beyond int64 arrive as an object array of Python ints
    integers = arr.dtype.kind in "iu" or (
        arr.dtype.kind == "O" and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in arr)
    )
    whole = integers or (
        arr.dtype.kind == "f" and bool(np.all(np.isfinite(arr))) and bool(np.all(arr == np.round(arr)))
    )
    allowed = f"labels must be 0..{n_classes - 1} for a network with {n_out} output(s)"
    if not whole:
        raise ValueError(f"class labels must be whole numbers; {allowed}")
    bad = (arr < 0) | (arr >= n_classes)
    if bad.any():
        first = arr[bad][0]
        shown = int(first) if integers else f"{float(first):.17g}"
        raise ValueError(f"class label {shown} is out of range: {allowed}")
    return arr.astype(np.int64)


def _rows_summing_to_one(Y: Array) -> Array:
    """Softmax + cross-entropy rows: refused beyond ROW_SUM_TOLERANCE, else renormalised exactly."""
    sums = Y.sum(axis=1, keepdims=True)
    off = np.abs(sums[:, 0] - 1.0) > ROW_SUM_TOLERANCE
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"softmax + cross-entropy targets must be rows that sum to 1 (one-hot or probabilities), "
            f"within {ROW_SUM_TOLERANCE:g}; row {row} sums to {float(sums[row, 0]):.17g}"
        )
    if np.all(sums == 1.0):
        return Y
    renormalised: Array = Y / sums
    return renormalised


def _labels_if_one_hot(Y: Array) -> npt.NDArray[np.int64] | None:
    if Y.shape[1] > 1 and np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=1) == 1):
        labels: npt.NDArray[np.int64] = Y.argmax(axis=1).astype(np.int64)
        return labels
    return None


def accuracy(y_hat: Array, labels: npt.NDArray[np.int64]) -> float:
    """Share of examples whose predicted class (argmax, or y_hat >= 0.5 for one output) is right."""
    if labels.shape[0] == 0:
        return float("nan")
    predicted = (y_hat[:, 0] >= 0.5).astype(np.int64) if y_hat.shape[1] == 1 else y_hat.argmax(axis=1)
    # the count of right answers over N, the float (predicted == labels).mean() gives, 2 us less
    return int(np.count_nonzero(predicted == labels)) / len(labels)
