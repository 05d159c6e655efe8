"""Weight initialisation schemes, all drawn from one seeded ``np.random.Generator``.

Each scheme fills W_k of shape (n_k, n_{k-1}); biases b_k start at zero.
``scale`` is r for ``uniform`` (U(-r, r)) and sigma for ``normal`` (N(0, sigma^2));
the other schemes derive their spread from the layer's fan-in/fan-out.
``zeros`` exists to show the symmetry problem: every hidden unit stays identical.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from ffnn_core.numerics import Array

Initializer = Callable[[np.random.Generator, int, int, float], Array]


def _xavier_uniform(rng: np.random.Generator, n_out: int, n_in: int, scale: float) -> Array:
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_out, n_in))


def _xavier_normal(rng: np.random.Generator, n_out: int, n_in: int, scale: float) -> Array:
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_out, n_in))


def _he(rng: np.random.Generator, n_out: int, n_in: int, scale: float) -> Array:
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))


def _uniform(rng: np.random.Generator, n_out: int, n_in: int, scale: float) -> Array:
    return rng.uniform(-scale, scale, size=(n_out, n_in))


def _normal(rng: np.random.Generator, n_out: int, n_in: int, scale: float) -> Array:
    return rng.normal(0.0, scale, size=(n_out, n_in))


def _zeros(rng: np.random.Generator, n_out: int, n_in: int, scale: float) -> Array:
    return np.zeros((n_out, n_in))


INITIALIZERS: dict[str, Initializer] = {
    "xavier_uniform": _xavier_uniform,
    "xavier_normal": _xavier_normal,
    "he": _he,
    "uniform": _uniform,
    "normal": _normal,
    "zeros": _zeros,
}

INIT_DESCRIPTIONS: dict[str, str] = {
    "xavier_uniform": "U(-r, r), r = sqrt(6 / (n_in + n_out))",
    "xavier_normal": "N(0, 2 / (n_in + n_out))",
    "he": "N(0, 2 / n_in)",
    "uniform": "U(-scale, scale)",
    "normal": "N(0, scale^2)",
    "zeros": "all weights 0 (shows the symmetry problem)",
}


def init_parameters(
    sizes: tuple[int, ...], scheme: str, scale: float, seed: int
) -> tuple[list[Array], list[Array]]:
    """W_1..W_L with W_k (n_k, n_{k-1}) and b_1..b_L (zeros, (n_k,)), from ``seed``.

    Same sizes, scheme, scale and seed give bit-identical parameters every time.
    """
    try:
        fill = INITIALIZERS[scheme]
    except KeyError:
        raise ValueError(f"unknown init {scheme!r}; allowed: {', '.join(INITIALIZERS)}") from None
    rng = np.random.default_rng(seed)
    W = [fill(rng, n_out, n_in, scale) for n_in, n_out in itertools.pairwise(sizes)]
    b = [np.zeros(n_out) for n_out in sizes[1:]]
    return W, b
