"""Shared helpers for the ffnn_core tests: networks, targets and finite differences.

Finite differences are central: (f(x + eps) - f(x - eps)) / (2 eps), eps = 1e-6 as in
``gradient_check``. Their rounding error is about 1e-16 |f| / eps, ~1e-10 |f| (measured over
1500 random networks: at most 5.2e-10 max(1, |f|)). So an entry is accepted when its relative
error is below 1e-6, or when the absolute difference is below ``ABS_FLOOR`` max(1, |f|) =
5e-9 max(1, |f|), where both numbers are rounding noise. A real backprop mistake (a missing
factor, a wrong index) shows up in the entries above that floor.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

import ffnn_core as f
from ffnn_core.numerics import Array

RTOL = 1e-6
ABS_FLOOR = 5e-9  # per unit of loss, see the module docstring
EPS = 1e-6


def build(
    sizes: list[int] | tuple[int, ...],
    activation: str | list[str] = "tanh",
    output: str = "softmax",
    loss: str = "cross_entropy",
    **kwargs: object,
) -> f.Network:
    config = f.NetworkConfig.build(list(sizes), activation, output=output, loss=loss, **kwargs)
    return f.Network.create(config)


def random_targets(rng: np.random.Generator, output: str, loss: str, N: int, n_out: int) -> npt.NDArray[np.generic]:
    """Raw targets that fit the (output, loss) pair: labels or rows, chosen at random."""
    if loss == "squared_error":
        return rng.normal(size=(N, n_out))
    if output == "softmax":
        if rng.random() < 0.5:
            return rng.integers(0, n_out, size=N)
        p = rng.random((N, n_out)) + 0.05
        return p / p.sum(axis=1, keepdims=True)
    # sigmoid + binary cross-entropy: 0/1 labels or any numbers in [0, 1]
    if n_out == 1 and rng.random() < 0.5:
        return rng.integers(0, 2, size=N)
    return rng.random((N, n_out))


def batch_loss(network: f.Network, X: Array, Y: Array) -> float:
    """The batch loss L = mean_n l_n, straight from a forward pass."""
    trace = f.forward(network, X)
    return float(network.config.output_loss.per_example_loss(trace.a[-1], trace.y_hat, Y).mean())


def per_example_losses_from(network: f.Network, k: int, values: Array, Y: Array, *, is_h: bool) -> Array:
    """l_n for every example when the forward pass resumes from layer k.

    ``is_h``: ``values`` is h_k (k = 0..L-1) and layer k + 1 comes next; otherwise ``values``
    is a_k (k = 1..L) and h_k = g_k(a_k) (or O(a_L)) is applied first.
    """
    cfg = network.config
    L = cfg.L
    pair = cfg.output_loss
    if is_h:
        h, a_L = values, None
        start = k + 1
    else:
        h = pair.output.O(values) if k == L else cfg.hidden_activations[k - 1].g(values)
        a_L = values if k == L else None
        start = k + 1
    for j in range(start, L + 1):
        a = h @ network.W[j - 1].T + network.b[j - 1]
        h = pair.output.O(a) if j == L else cfg.hidden_activations[j - 1].g(a)
        a_L = a
    assert a_L is not None
    return pair.per_example_loss(a_L, h, Y)


def numeric_gradient(fn: Callable[[], float], x: Array, eps: float = EPS) -> Array:
    """Central differences of the scalar fn() with respect to every entry of x (changed in place, restored)."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        x[idx] = original + eps
        plus = fn()
        x[idx] = original - eps
        minus = fn()
        x[idx] = original
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def numeric_gradient_rows(fn: Callable[[], Array], x: Array, eps: float = EPS) -> Array:
    """Central differences of the per-row values fn() (N,) w.r.t. x (N, m): row n of the result is
    d fn()[n] / d x[n, :], the per-example gradient (rows do not interact)."""
    grad = np.zeros_like(x)
    for j in range(x.shape[1]):
        original = x[:, j].copy()
        x[:, j] = original + eps
        plus = fn()
        x[:, j] = original - eps
        minus = fn()
        x[:, j] = original
        grad[:, j] = (plus - minus) / (2 * eps)
    return grad


def mismatches(analytic: Array, numeric: Array, loss: float | Array = 1.0, rtol: float = RTOL) -> list[str]:
    """Entries where analytic and numeric disagree: relative error >= rtol and
    |difference| >= ABS_FLOOR max(1, |loss|). ``loss``: the differentiated value, a scalar or
    per-row (N, 1) for per-example gradients."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    assert analytic.shape == numeric.shape, (analytic.shape, numeric.shape)
    diff = np.abs(analytic - numeric)
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-300)
    floor = ABS_FLOOR * np.maximum(1.0, np.abs(loss))
    bad = (diff / scale >= rtol) & (diff >= floor)
    return [
        f"{tuple(int(i) for i in idx)}: analytic {analytic[idx]!r}, numeric {numeric[idx]!r}, "
        f"rel {diff[idx] / scale[idx]:.2e}"
        for idx in zip(*np.nonzero(bad), strict=True)
    ]


def check_mismatches(checks: list[f.TensorCheck], loss: float, rtol: float = RTOL) -> list[str]:
    """Entries of a ``gradient_check`` of the batch loss ``loss`` that fail the rule of ``mismatches``."""
    floor = ABS_FLOOR * max(1.0, abs(loss))
    return [
        f"{c.name}_{c.layer}{e.index}: backprop {e.backprop!r}, numeric {e.numeric!r}, rel {e.relative_error:.2e}"
        for c in checks
        for e in c.entries
        if e.relative_error >= rtol and abs(e.backprop - e.numeric) >= floor
    ]


def checked(network: f.Network, x: object, y: object, **kwargs: object) -> list[str]:
    """Run ``gradient_check`` and return its mismatches (empty when backprop agrees)."""
    loss = f.backward(network, x, y).loss  # type: ignore[arg-type]
    return check_mismatches(f.gradient_check(network, x, y, **kwargs), loss)  # type: ignore[arg-type]


def snapshot(network: f.Network) -> dict[str, object]:
    """Everything a network holds, as bytes, to compare bit for bit."""
    return {
        "W": [w.tobytes() for w in network.W],
        "b": [v.tobytes() for v in network.b],
        "W_meta": [(w.shape, w.dtype.str, w.flags.writeable) for w in network.W],
        "b_meta": [(v.shape, v.dtype.str, v.flags.writeable) for v in network.b],
        "step": network.step,
        "epoch": network.epoch,
        "optimizer_state": {k: [x.tobytes() for x in v] for k, v in network.optimizer_state.items()},
        "attributes": sorted(vars(network)),
        "config": network.config,
    }
