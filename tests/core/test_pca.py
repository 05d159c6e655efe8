"""PCA basis and projection (ffnn_core.pca): against NumPy's covariance eigenvectors, fixed signs,
shapes, degenerate inputs; the confusion matrix against a direct count."""

from __future__ import annotations

import numpy as np
import pytest

from ffnn_core.pca import confusion_matrix, fit_pca, predicted_classes, project


def test_components_are_the_covariance_eigenvectors_with_the_largest_variance() -> None:
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5)) + 3.0
    pca = fit_pca(Z)
    cov = np.cov(Z, rowvar=False)
    values, vectors = np.linalg.eigh(cov)
    top = vectors[:, ::-1][:, :2].T
    for got, want in zip(pca.components, top, strict=True):
        assert abs(abs(float(got @ want)) - 1.0) < 1e-9  # same direction up to sign
    np.testing.assert_allclose(pca.explained_variance_ratio, values[::-1][:2] / values.sum(), rtol=1e-9)
    np.testing.assert_allclose(pca.mean, Z.mean(axis=0))
    P = project(pca, Z)
    assert P.shape == (200, 2)
    np.testing.assert_allclose(P.mean(axis=0), 0.0, atol=1e-9)  # centred on the training mean
    np.testing.assert_allclose(P.var(axis=0, ddof=1), values[::-1][:2], rtol=1e-9)


def test_signs_are_fixed_so_the_same_data_gives_the_same_picture() -> None:
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(50, 3))
    a, b = fit_pca(Z), fit_pca(Z[::-1].copy())
    np.testing.assert_allclose(a.components, b.components, atol=1e-12)
    for c in a.components:
        assert c[np.abs(c).argmax()] > 0


def test_one_column_and_constant_data() -> None:
    pca = fit_pca(np.array([[1.0], [2.0], [4.0]]))
    assert pca.components.shape == (2, 1)
    np.testing.assert_allclose(pca.components, [[1.0], [0.0]])
    constant = fit_pca(np.ones((4, 3)))
    np.testing.assert_allclose(constant.explained_variance_ratio, 0.0)
    np.testing.assert_allclose(project(constant, np.ones((2, 3))), 0.0)


def test_bad_input_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="finite"):
        fit_pca(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="N >= 1"):
        fit_pca(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="fitted on 3 columns"):
        project(fit_pca(np.eye(3)), np.zeros((2, 4)))


def test_confusion_matrix_counts_true_against_predicted() -> None:
    labels = np.array([0, 0, 1, 2, 2, 2])
    y_hat = np.array([[0.9, 0.1, 0], [0.2, 0.7, 0.1], [0, 1, 0], [0, 0, 1], [0.5, 0.2, 0.3], [0, 0.4, 0.6]])
    predicted = predicted_classes(y_hat)
    counts = confusion_matrix(labels, predicted, 3)
    want = np.zeros((3, 3), dtype=int)
    for t, p in zip(labels, predicted, strict=True):
        want[t, p] += 1
    np.testing.assert_array_equal(counts, want)
    assert counts.sum() == 6 and counts[2, 0] == 1
    np.testing.assert_array_equal(predicted_classes(np.array([[0.2], [0.5], [0.9]])), [0, 1, 1])
