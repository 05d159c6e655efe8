"""Tests for ffnn_core.datasets: shapes, seeding, splits, validation, registry."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from ffnn_core import datasets as ds
from ffnn_core.datasets import DATASETS, Dataset, dataset_names, make_dataset

ALL = dataset_names()
SYNTHETIC = tuple(name for name in ALL if DATASETS[name].synthetic)
REAL = tuple(name for name in ALL if not DATASETS[name].synthetic)
CLASSIFICATION = tuple(n for n in ALL if DATASETS[n].task == "classification")
REGRESSION = tuple(n for n in ALL if DATASETS[n].task == "regression")


def _arrays(d: Dataset) -> tuple[np.ndarray, ...]:
    return d.X_train, d.y_train, d.X_test, d.y_test


def test_registry_names() -> None:
    assert ALL == (
        "xor", "circles", "moons", "spiral", "blobs", "sine", "plane", "iris", "digits"
    )  # fmt: skip
    assert list(DATASETS) == list(ALL)
    assert set(REAL) == {"iris", "digits"}
    assert set(REGRESSION) == {"sine", "plane"}
    for name, info in DATASETS.items():
        assert info.name == name
        assert info.title
        assert info.description
        assert "\n" not in info.description
        assert info.n_noise_apply == info.synthetic


@pytest.mark.parametrize("name", ALL)
def test_shapes_dtypes_and_metadata(name: str) -> None:
    info = DATASETS[name]
    d = make_dataset(name, seed=3)
    assert d.info == info
    assert d.n == info.default_n
    assert d.noise == info.default_noise
    assert d.X_train.dtype == np.float64
    assert d.X_test.dtype == np.float64
    assert d.X_train.shape[1] == d.X_test.shape[1] == info.n_inputs
    assert len(info.feature_names) == info.n_inputs
    assert len(d.X_train) + len(d.X_test) == info.default_n
    assert len(d.y_train) == len(d.X_train)
    assert len(d.y_test) == len(d.X_test)
    for X in (d.X_train, d.X_test):
        assert np.all(np.isfinite(X))
    if info.task == "classification":
        assert info.n_classes == info.n_outputs
        assert info.class_names is not None
        assert len(info.class_names) == info.n_classes
        for y in (d.y_train, d.y_test):
            assert y.dtype == np.int64
            assert y.ndim == 1
            assert y.min() >= 0
            assert y.max() < info.n_outputs
        all_labels = np.concatenate((d.y_train, d.y_test))
        assert set(all_labels.tolist()) == set(range(info.n_outputs))
    else:
        assert info.n_classes is None
        assert info.class_names is None
        for y in (d.y_train, d.y_test):
            assert y.dtype == np.float64
            assert y.shape[1:] == (info.n_outputs,)
            assert np.all(np.isfinite(y))


@pytest.mark.parametrize("name", ALL)
def test_same_seed_is_bit_identical(name: str) -> None:
    a = make_dataset(name, seed=42)
    b = make_dataset(name, seed=42)
    for x, y in zip(_arrays(a), _arrays(b), strict=True):
        assert x.dtype == y.dtype
        assert x.tobytes() == y.tobytes()


@pytest.mark.parametrize("name", ALL)
def test_different_seeds_differ(name: str) -> None:
    a = make_dataset(name, seed=1)
    b = make_dataset(name, seed=2)
    assert not np.array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_test, b.X_test)


@pytest.mark.parametrize("name", REAL)
def test_real_split_is_a_permutation(name: str) -> None:
    d = make_dataset(name, seed=5)
    X, y = ds._load_real(name)
    X_all = np.concatenate((d.X_train, d.X_test))
    y_all = np.concatenate((d.y_train, d.y_test))
    order = np.lexsort(X_all.T[::-1])
    ref = np.lexsort(X.T[::-1])
    np.testing.assert_array_equal(X_all[order], X[ref])
    assert sorted(y_all.tolist()) == sorted(y.tolist())


def test_iris() -> None:
    d = make_dataset("iris", test_fraction=0.0)
    assert d.X_train.shape == (150, 4)
    assert d.X_test.shape == (0, 4)
    assert d.y_test.shape == (0,)
    assert np.bincount(d.y_train).tolist() == [50, 50, 50]
    assert DATASETS["iris"].class_names == ("setosa", "versicolor", "virginica")
    assert d.X_train.min() > 0.0
    assert d.X_train.max() < 8.0


def test_digits() -> None:
    d = make_dataset("digits", test_fraction=0.0)
    assert d.X_train.shape == (1797, 64)
    assert np.bincount(d.y_train).size == 10
    assert d.X_train.min() == 0.0
    assert d.X_train.max() == 16.0
    np.testing.assert_array_equal(d.X_train, np.round(d.X_train))


@pytest.mark.parametrize("name", REAL)
def test_data_file_header_matches_registry(name: str) -> None:
    path = Path(ds.__file__).parent / "data" / ds._REAL_FILES[name]
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    assert tuple(header) == (*DATASETS[name].feature_names, "label")


def test_real_data_is_cached_and_read_only() -> None:
    X1, y1 = ds._load_real("iris")
    X2, _ = ds._load_real("iris")
    assert X1 is X2
    assert not X1.flags.writeable
    assert not y1.flags.writeable
    d = make_dataset("iris")
    d.X_train[0, 0] = -1.0  # returned arrays are copies
    assert X1.min() > 0.0


@pytest.mark.parametrize("name", ALL)
def test_standardize_uses_train_statistics(name: str) -> None:
    raw = make_dataset(name, seed=7)
    d = make_dataset(name, seed=7, standardize=True)
    assert d.standardized
    assert not raw.standardized
    mean = d.X_train.mean(axis=0)
    std = d.X_train.std(axis=0)
    np.testing.assert_allclose(mean, 0.0, atol=1e-10)
    raw_std = raw.X_train.std(axis=0)
    np.testing.assert_allclose(std[raw_std > 0], 1.0, rtol=1e-10)
    # constant columns (digits' border pixels) are only centred
    np.testing.assert_array_equal(d.X_train[:, raw_std == 0], 0.0)
    # the test part is transformed with the train mean and std
    scale = np.where(raw_std > 0, raw_std, 1.0)
    expected = (raw.X_test - raw.X_train.mean(axis=0)) / scale
    np.testing.assert_allclose(d.X_test, expected, rtol=1e-12, atol=1e-12)
    for a, b in ((raw.y_train, d.y_train), (raw.y_test, d.y_test)):
        np.testing.assert_array_equal(a, b)


def test_standardize_guards_zero_std() -> None:
    d = make_dataset("digits", seed=0, standardize=True)
    assert np.all(np.isfinite(d.X_train))
    assert np.all(np.isfinite(d.X_test))


@pytest.mark.parametrize(
    ("n", "fraction", "n_test"),
    [(100, 0.25, 25), (100, 0.0, 0), (4, 0.9, 3), (4, 0.01, 1), (5000, 0.9, 4500)],
)
def test_split_sizes(n: int, fraction: float, n_test: int) -> None:
    d = make_dataset("moons", n=n, test_fraction=fraction)
    assert d.X_test.shape == (n_test, 2)
    assert d.y_test.shape == (n_test,)
    assert d.X_train.shape == (n - n_test, 2)
    assert d.n == n
    assert d.test_fraction == fraction


@pytest.mark.parametrize("name", SYNTHETIC)
@pytest.mark.parametrize("fraction", [0.01, 0.5, 0.9])
def test_both_parts_non_empty_at_min_n(name: str, fraction: float) -> None:
    d = make_dataset(name, n=4, test_fraction=fraction)
    assert len(d.X_train) >= 1
    assert len(d.X_test) >= 1


def test_noise_zero_is_exact() -> None:
    d = make_dataset("sine", n=50, noise=0.0, test_fraction=0.0)
    np.testing.assert_allclose(d.y_train[:, 0], np.sin(d.X_train[:, 0]), atol=1e-15)
    d = make_dataset("plane", n=50, noise=0.0, test_fraction=0.0)
    (w1, w2), c = ds.PLANE_WEIGHTS, ds.PLANE_BIAS
    expected = w1 * d.X_train[:, 0] + w2 * d.X_train[:, 1] + c
    np.testing.assert_allclose(d.y_train[:, 0], expected, atol=1e-12)
    d = make_dataset("circles", n=50, noise=0.0, test_fraction=0.0)
    radius = np.hypot(d.X_train[:, 0], d.X_train[:, 1])
    np.testing.assert_allclose(radius, np.where(d.y_train == 0, 1.0, 0.5))
    d = make_dataset("xor", n=200, noise=0.0, test_fraction=0.0)
    opposite = d.X_train[:, 0] * d.X_train[:, 1] < 0
    np.testing.assert_array_equal(d.y_train, opposite.astype(np.int64))


def test_noise_changes_points() -> None:
    a = make_dataset("moons", seed=0, noise=0.0)
    b = make_dataset("moons", seed=0, noise=0.3)
    assert not np.array_equal(a.X_train, b.X_train)
    assert b.noise == 0.3


@pytest.mark.parametrize("k", [2, 5, 10])
def test_blobs_class_count(k: int) -> None:
    d = make_dataset("blobs", n=500, n_classes=k, test_fraction=0.0)
    assert d.info.n_classes == d.info.n_outputs == k
    assert d.info.class_names is not None
    assert len(d.info.class_names) == k
    assert np.bincount(d.y_train).tolist() == [500 // k] * k
    assert DATASETS["blobs"].n_classes == 3  # the registry is not changed


# --- validation ----------------------------------------------------------------


def test_unknown_name_lists_allowed_names() -> None:
    with pytest.raises(ValueError, match="unknown dataset") as exc:
        make_dataset("mnist")
    for name in ALL:
        assert name in str(exc.value)


@pytest.mark.parametrize("bad", ["XOR", "", "__class__", 3])
def test_unknown_name_variants(bad: object) -> None:
    with pytest.raises(ValueError, match="allowed names"):
        make_dataset(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [3, 0, -1, 5001, 2.5, True, "100"])
def test_bad_n(n: object) -> None:
    with pytest.raises(ValueError, match=r"n for 'moons' must be an integer from 4 to 5000"):
        make_dataset("moons", n=n)  # type: ignore[arg-type]


def test_n_bounds_are_inclusive() -> None:
    assert make_dataset("xor", n=4).n == 4
    assert make_dataset("xor", n=5000).n == 5000
    assert make_dataset("xor", n=np.int64(10)).n == 10  # type: ignore[arg-type]


@pytest.mark.parametrize("noise", [-0.1, float("nan"), float("inf"), "0.1", None])
def test_bad_noise(noise: object) -> None:
    if noise is None:  # None means "default", so it is fine
        assert make_dataset("spiral", noise=None).noise == DATASETS["spiral"].default_noise
        return
    with pytest.raises(ValueError, match=r"noise for 'spiral' must be a finite number >= 0"):
        make_dataset("spiral", noise=noise)  # type: ignore[arg-type]


@pytest.mark.parametrize("fraction", [-0.01, 0.91, 1.0, float("nan"), "0.2", None])
def test_bad_test_fraction(fraction: object) -> None:
    with pytest.raises(ValueError, match=r"test_fraction must be a number from 0 to 0\.9"):
        make_dataset("xor", test_fraction=fraction)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None, True])
def test_bad_seed(seed: object) -> None:
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        make_dataset("xor", seed=seed)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", REAL)
def test_real_refuses_n_and_noise(name: str) -> None:
    size = DATASETS[name].default_n
    with pytest.raises(ValueError, match=rf"n does not apply.*leave it as None.*{size}"):
        make_dataset(name, n=100)
    with pytest.raises(ValueError, match=r"noise does not apply.*leave it as None"):
        make_dataset(name, noise=0.1)
    # echoing the registry defaults back is accepted
    d = make_dataset(name, n=size, noise=0.0)
    assert d.n == size
    assert d.noise == 0.0


@pytest.mark.parametrize("k", [1, 11, 2.0, True])
def test_bad_blob_classes(k: object) -> None:
    with pytest.raises(ValueError, match="n_classes for 'blobs' must be an integer from 2 to 10"):
        make_dataset("blobs", n_classes=k)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["moons", "sine", "iris"])
def test_n_classes_only_for_blobs(name: str) -> None:
    with pytest.raises(ValueError, match="n_classes can only be chosen for 'blobs'"):
        make_dataset(name, n_classes=4)
