"""Seeded toy datasets and two small real ones, split into train and test parts.

Shapes, with N = N_train + N_test points and d = ``info.n_inputs``:

* ``X_train`` (N_train, d) and ``X_test`` (N_test, d), float64.
* Classification: ``y_train`` (N_train,) and ``y_test`` (N_test,), int64 labels
  in ``0 .. n_classes - 1``.
* Regression: ``y_train`` (N_train, n_outputs) and ``y_test``
  (N_test, n_outputs), float64.

Synthetic datasets (xor, circles, moons, spiral, blobs, sine, plane) are drawn
from ``np.random.default_rng(seed)``; ``n`` is the total number of points and
``noise`` the standard deviation of the Gaussian noise. The real datasets
(iris, digits) are read from ``data/`` next to this file; the seed only
shuffles them before the split, and ``n`` / ``noise`` do not apply: they must
be left as ``None`` (or equal the fixed size and ``0.0``), anything else is
refused with a ``ValueError``.

Use :func:`make_dataset`; :data:`DATASETS` describes every dataset.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Task = Literal["classification", "regression"]

MAX_N = 5000
MIN_N = 4
MAX_TEST_FRACTION = 0.9
MIN_BLOB_CLASSES = 2
MAX_BLOB_CLASSES = 10

_DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class DatasetInfo:
    """Static description of one dataset.

    ``n_outputs`` is the number of classes for classification and the target
    width for regression. ``n`` and ``noise`` apply exactly when ``synthetic``
    is true; for real datasets ``default_n == max_n`` is the fixed size and
    ``default_noise`` is 0.
    """

    name: str
    title: str
    description: str
    task: Task
    n_inputs: int
    n_outputs: int
    n_classes: int | None
    default_n: int
    default_noise: float
    synthetic: bool
    max_n: int
    class_names: tuple[str, ...] | None
    feature_names: tuple[str, ...]
    image_shape: tuple[int, int] | None = None
    """(rows, columns) when each input x is an image, its pixels row by row; None otherwise."""

    @property
    def n_noise_apply(self) -> bool:
        """Whether ``n`` and ``noise`` may be chosen (true for synthetic data)."""
        return self.synthetic


@dataclass(frozen=True)
class Dataset:
    """A generated or loaded dataset, already split.

    X_train: (N_train, n_inputs) float64; X_test: (N_test, n_inputs) float64.
    y_train / y_test: (N,) int64 labels for classification, (N, n_outputs)
    float64 for regression. ``n`` is N_train + N_test. ``standardized`` means
    X was shifted and scaled with the train mean and std (y is never changed).
    """

    info: DatasetInfo
    X_train: FloatArray
    y_train: IntArray | FloatArray
    X_test: FloatArray
    y_test: IntArray | FloatArray
    seed: int
    n: int
    noise: float
    test_fraction: float
    standardized: bool


# --- synthetic generators ---------------------------------------------------
# Each takes (rng, n, noise, n_classes) and returns X (n, d) and y: (n,) int64
# labels or (n, 1) float64 targets. Labels are balanced (i % k), except xor's,
# which follow the signs; the points are shuffled later, with the split.

Generated = tuple[FloatArray, IntArray | FloatArray]
_GeneratorFn = Callable[[np.random.Generator, int, float, int], Generated]

PLANE_WEIGHTS = (1.5, -2.0)
PLANE_BIAS = 0.5


def _balanced_labels(n: int, k: int) -> IntArray:
    return np.arange(n, dtype=np.int64) % k


def _polar(r: FloatArray, theta: FloatArray) -> FloatArray:
    return np.column_stack((r * np.cos(theta), r * np.sin(theta)))


def _xor(rng: np.random.Generator, n: int, noise: float, k: int) -> Generated:
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    return x + noise * rng.standard_normal((n, 2)), y


def _circles(rng: np.random.Generator, n: int, noise: float, k: int) -> Generated:
    y = _balanced_labels(n, 2)
    r = np.where(y == 0, 1.0, 0.5)
    x = _polar(r, rng.uniform(0.0, 2.0 * np.pi, size=n))
    return x + noise * rng.standard_normal((n, 2)), y


def _moons(rng: np.random.Generator, n: int, noise: float, k: int) -> Generated:
    y = _balanced_labels(n, 2)
    t = rng.uniform(0.0, np.pi, size=n)
    upper = np.column_stack((np.cos(t), np.sin(t)))
    lower = np.column_stack((1.0 - np.cos(t), 0.5 - np.sin(t)))
    x = np.where((y == 0)[:, None], upper, lower) - np.array([0.5, 0.25])
    return x + noise * rng.standard_normal((n, 2)), y


def _spiral(rng: np.random.Generator, n: int, noise: float, k: int) -> Generated:
    y = _balanced_labels(n, 2)
    r = rng.uniform(0.0, 1.0, size=n)
    theta = 1.75 * 2.0 * np.pi * r + np.pi * y
    return _polar(r, theta) + noise * rng.standard_normal((n, 2)), y


def _blobs(rng: np.random.Generator, n: int, noise: float, k: int) -> Generated:
    y = _balanced_labels(n, k)
    angles = rng.uniform(0.0, 2.0 * np.pi) + 2.0 * np.pi * np.arange(k) / k
    centres = _polar(np.ones(k), angles)
    return centres[y] + noise * rng.standard_normal((n, 2)), y


def _sine(rng: np.random.Generator, n: int, noise: float, k: int) -> Generated:
    x = rng.uniform(-np.pi, np.pi, size=(n, 1))
    return x, np.sin(x) + noise * rng.standard_normal((n, 1))


def _plane(rng: np.random.Generator, n: int, noise: float, k: int) -> Generated:
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = x @ np.array(PLANE_WEIGHTS) + PLANE_BIAS + noise * rng.standard_normal(n)
    return x, y[:, None]


# --- real datasets ------------------------------------------------------------

IRIS_FEATURES = (
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
)
DIGITS_FEATURES = tuple(f"pixel_{i // 8}_{i % 8}" for i in range(64))
_REAL_FILES = {"iris": "iris.csv", "digits": "digits.csv.gz"}


def _open_text(path: Path) -> TextIO:
    """Open a UTF-8 text file, transparently gunzipping ``*.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


@functools.cache
def _load_real(name: str) -> tuple[FloatArray, IntArray]:
    """Read a shipped CSV (header: features then ``label``) once; read-only arrays.

    Returns X (N, n_inputs) float64 and y (N,) int64.
    """
    info = DATASETS[name]
    path = _DATA_DIR / _REAL_FILES[name]
    with _open_text(path) as fh:
        header = fh.readline()
        table = np.loadtxt(fh, delimiter=",", dtype=np.float64, ndmin=2)
    expected = (*info.feature_names, "label")
    if tuple(header.strip().split(",")) != expected or table.shape != (
        info.max_n,
        len(expected),
    ):
        raise RuntimeError(f"data file {path} does not match the {name!r} dataset")
    x = np.ascontiguousarray(table[:, :-1])
    y = table[:, -1].astype(np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


# --- registry -----------------------------------------------------------------


def _info(
    name: str,
    title: str,
    description: str,
    features: tuple[str, ...],
    classes: tuple[str, ...] | None,
    n: int,
    noise: float,
    *,
    synthetic: bool = True,
    image_shape: tuple[int, int] | None = None,
) -> DatasetInfo:
    """Registry entry; ``classes`` None means a 1-output regression dataset."""
    return DatasetInfo(
        name=name,
        title=title,
        description=description,
        task="regression" if classes is None else "classification",
        n_inputs=len(features),
        n_outputs=1 if classes is None else len(classes),
        n_classes=None if classes is None else len(classes),
        default_n=n,
        default_noise=noise,
        synthetic=synthetic,
        max_n=MAX_N if synthetic else n,
        class_names=classes,
        feature_names=features,
        image_shape=image_shape,
    )


def _blob_names(k: int) -> tuple[str, ...]:
    return tuple(f"blob {i}" for i in range(k))


_XY = ("x1", "x2")
_W1, _W2 = PLANE_WEIGHTS
_BLOBS = f"{MIN_BLOB_CLASSES}..{MAX_BLOB_CLASSES}"

_ENTRIES = (
    _info(
        "xor", "XOR", "Points in [-1, 1]^2; class 1 where x1 and x2 differ in sign.",
        _XY, ("same sign", "opposite sign"), n=200, noise=0.05,
    ),
    _info(
        "circles", "Circles", "Two concentric rings: radius 1 (class 0), 0.5 (class 1).",
        _XY, ("outer", "inner"), n=200, noise=0.08,
    ),
    _info(
        "moons", "Moons", "Two interleaving half circles.",
        _XY, ("upper", "lower"), n=200, noise=0.1,
    ),
    _info(
        "spiral", "Spiral", "Two interleaved spiral arms of 1.75 turns each.",
        _XY, ("arm A", "arm B"), n=300, noise=0.03,
    ),
    _info(
        "blobs", "Blobs", f"k = {_BLOBS} Gaussian blobs on the unit circle (std noise).",
        _XY, _blob_names(3), n=300, noise=0.2,
    ),
    _info(
        "sine", "Sine", "y = sin(x) + noise for x in [-pi, pi].",
        ("x",), None, n=100, noise=0.1,
    ),
    _info(
        "plane", "Plane", f"y = {_W1}*x1 {_W2:+}*x2 {PLANE_BIAS:+} + noise, x in [-1, 1]^2.",
        _XY, None, n=200, noise=0.1,
    ),
    _info(
        "iris", "Iris", "Fisher's iris flowers: 4 measurements, 3 species, 150 samples.",
        IRIS_FEATURES, ("setosa", "versicolor", "virginica"), n=150, noise=0.0,
        synthetic=False,
    ),
    _info(
        "digits", "Digits 8x8", "Handwritten digits 0-9 as 8x8 images, pixels 0..16.",
        DIGITS_FEATURES, tuple(str(i) for i in range(10)), n=1797, noise=0.0,
        synthetic=False, image_shape=(8, 8),
    ),
)  # fmt: skip

DATASETS: dict[str, DatasetInfo] = {info.name: info for info in _ENTRIES}
"""Public registry: dataset name -> :class:`DatasetInfo`."""

_GENERATORS: dict[str, _GeneratorFn] = {
    "xor": _xor,
    "circles": _circles,
    "moons": _moons,
    "spiral": _spiral,
    "blobs": _blobs,
    "sine": _sine,
    "plane": _plane,
}


def dataset_names() -> tuple[str, ...]:
    """Public dataset names, in registry order."""
    return tuple(DATASETS)


# --- make_dataset ---------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_n(info: DatasetInfo, n: int | None) -> int:
    if n is None:
        return info.default_n
    if not info.synthetic:
        if _is_int(n) and int(n) == info.default_n:
            return info.default_n
        raise ValueError(
            f"n does not apply to the real dataset {info.name!r}: "
            f"leave it as None (it always has {info.default_n} points), got {n!r}"
        )
    if not _is_int(n) or not MIN_N <= int(n) <= info.max_n:
        raise ValueError(f"n for {info.name!r} must be an integer from {MIN_N} to {info.max_n}, got {n!r}")
    return int(n)


def _check_noise(info: DatasetInfo, noise: float | None) -> float:
    if noise is None:
        return info.default_noise
    if not info.synthetic:
        if _is_real(noise) and float(noise) == 0.0:
            return 0.0
        raise ValueError(
            f"noise does not apply to the real dataset {info.name!r}: leave it as None (or 0.0), got {noise!r}"
        )
    if not _is_real(noise) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise for {info.name!r} must be a finite number >= 0, got {noise!r}")
    return float(noise)


def _check_test_fraction(test_fraction: float) -> float:
    if not _is_real(test_fraction) or not math.isfinite(test_fraction) or not 0.0 <= test_fraction <= MAX_TEST_FRACTION:
        raise ValueError(f"test_fraction must be a number from 0 to {MAX_TEST_FRACTION}, got {test_fraction!r}")
    return float(test_fraction)


def _check_n_classes(info: DatasetInfo, n_classes: int | None) -> int:
    if info.name == "blobs":
        if n_classes is None:
            return info.n_outputs
        if _is_int(n_classes) and MIN_BLOB_CLASSES <= int(n_classes) <= MAX_BLOB_CLASSES:
            return int(n_classes)
        raise ValueError(
            f"n_classes for 'blobs' must be an integer from {MIN_BLOB_CLASSES} to {MAX_BLOB_CLASSES}, got {n_classes!r}"
        )
    if n_classes is None or (_is_int(n_classes) and int(n_classes) == info.n_classes):
        return info.n_outputs
    raise ValueError(
        f"n_classes can only be chosen for 'blobs'; {info.name!r} has fixed "
        f"n_classes={info.n_classes}, got {n_classes!r}"
    )


def _n_test(n: int, test_fraction: float) -> int:
    """round(n * test_fraction), kept in [1, n - 1] when test_fraction > 0."""
    if test_fraction == 0.0:
        return 0
    return min(max(round(n * test_fraction), 1), n - 1)


def _standardize(x_train: FloatArray, x_test: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Scale columns with the train mean and std (std 0 is replaced by 1)."""
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std > 0.0, std, 1.0)
    return (x_train - mean) / std, (x_test - mean) / std


def make_dataset(
    name: str,
    *,
    seed: int = 0,
    n: int | None = None,
    noise: float | None = None,
    test_fraction: float = 0.25,
    standardize: bool = False,
    n_classes: int | None = None,
) -> Dataset:
    """Build the dataset ``name`` and split it into train and test parts.

    ``seed`` (integer >= 0) drives ``np.random.default_rng`` for both the points
    and the shuffle before the split: equal arguments give bit-identical arrays.
    ``n`` (MIN_N .. info.max_n) and ``noise`` (finite, >= 0) default to the
    registry values and apply only to synthetic datasets. ``test_fraction`` is
    in [0, 0.9]: when it is > 0 both parts are non-empty, when it is 0 the test
    part has shape (0, n_inputs). ``standardize`` scales X with train
    statistics. ``n_classes`` (2..10) is the number of blobs for "blobs" only.

    Returns a :class:`Dataset`; for "blobs" its ``info`` reflects ``n_classes``.
    Raises ``ValueError`` naming the allowed values for any bad argument.
    """
    info = DATASETS.get(name) if isinstance(name, str) else None
    if info is None:
        raise ValueError(f"unknown dataset {name!r}; allowed names: {', '.join(DATASETS)}")
    if not _is_int(seed) or int(seed) < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    seed = int(seed)
    n_points = _check_n(info, n)
    noise_value = _check_noise(info, noise)
    fraction = _check_test_fraction(test_fraction)
    k = _check_n_classes(info, n_classes)
    if k != info.n_outputs:
        names = _blob_names(k)
        info = dataclasses.replace(info, n_outputs=k, n_classes=k, class_names=names)

    rng = np.random.default_rng(seed)
    x: FloatArray
    y: IntArray | FloatArray
    generate = _GENERATORS.get(info.name)
    if generate is None:
        x, y = _load_real(info.name)
    else:
        x, y = generate(rng, n_points, noise_value, k)

    order = rng.permutation(n_points)
    test_idx, train_idx = np.split(order, [_n_test(n_points, fraction)])
    x_train, x_test = x[train_idx], x[test_idx]
    if standardize:
        x_train, x_test = _standardize(x_train, x_test)
    return Dataset(
        info=info,
        X_train=x_train,
        y_train=y[train_idx],
        X_test=x_test,
        y_test=y[test_idx],
        seed=seed,
        n=n_points,
        noise=noise_value,
        test_fraction=fraction,
        standardized=bool(standardize),
    )
