"""Two-dimensional views of any representation: PCA fitted on the training inputs, and the
confusion matrix of a classifier on a split.

A projection is fitted once (on X_train, or on h_k of X_train) and then kept: applying the same
fitted basis to the representation of a network that trains on shows how the points move,
without the axes themselves jumping from one epoch to the next.

PCA: mean = mean over rows of Z (N, d); the components are the first right singular vectors of
Z - mean (rows of a (2, d) matrix, unit length, the sign chosen so that each component's entry
of largest magnitude is positive: the same data always gives the same picture);
project(Z) = (Z - mean) @ components.T, shape (N, 2). With d = 1 the second component is zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ffnn_core.numerics import Array

N_COMPONENTS = 2


@dataclass(frozen=True)
class Pca:
    """A fitted 2-D PCA basis: mean (d,), components (2, d), explained_variance_ratio (2,)."""

    mean: Array
    components: Array
    explained_variance_ratio: Array

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])


def fit_pca(Z: npt.ArrayLike) -> Pca:
    """Fit the 2-D PCA basis of the rows of Z (N, d); N >= 1, finite values."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[0] < 1 or Z.shape[1] < 1:
        raise ValueError(f"PCA needs a matrix (N, d) with N >= 1 and d >= 1, got shape {Z.shape}")
    if not np.isfinite(Z).all():
        raise ValueError("PCA needs finite values: the representation has NaN or infinite entries")
    d = Z.shape[1]
    mean = Z.mean(axis=0)
    centred = Z - mean
    # Right singular vectors = eigenvectors of the covariance, largest variance first.
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(N_COMPONENTS, vt.shape[0])
    components = np.zeros((N_COMPONENTS, d))
    components[:k] = vt[:k]
    # Deterministic signs: the entry of largest magnitude of each component is positive.
    biggest = np.abs(components).argmax(axis=1)
    signs = np.sign(components[np.arange(N_COMPONENTS), biggest])
    components *= np.where(signs == 0, 1.0, signs)[:, None]
    variance = singular**2
    total = float(variance.sum())
    ratio = np.zeros(N_COMPONENTS)
    if total > 0:
        ratio[:k] = variance[:k] / total
    return Pca(mean=mean, components=components, explained_variance_ratio=ratio)


def project(pca: Pca, Z: npt.ArrayLike) -> Array:
    """The rows of Z (N, d) in the basis: (Z - mean) @ components.T, shape (N, 2)."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[1] != pca.dim:
        raise ValueError(f"the basis was fitted on {pca.dim} columns, got shape {Z.shape}")
    projected: Array = (Z - pca.mean) @ pca.components.T
    return projected


def predicted_classes(y_hat: Array) -> npt.NDArray[np.int64]:
    """The predicted class of each row: argmax, or y_hat >= 0.5 for a single output."""
    one = y_hat.shape[1] == 1
    predicted: npt.NDArray[np.int64] = (y_hat[:, 0] >= 0.5 if one else y_hat.argmax(axis=1)).astype(np.int64)
    return predicted


def confusion_matrix(
    labels: npt.NDArray[np.int64], predicted: npt.NDArray[np.int64], n_classes: int
) -> npt.NDArray[np.int64]:
    """counts[i, j] = number of examples of true class i predicted as class j, (k, k)."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts
