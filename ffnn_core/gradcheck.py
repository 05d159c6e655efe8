"""Gradient check: central finite differences of the batch loss against backprop.

For a parameter entry theta: (L(theta + eps) - L(theta - eps)) / (2 eps), compared with
grad_theta from ``backward`` by the relative error
    |numeric - backprop| / max(|numeric| + |backprop|, tiny).
Checks every entry, or a seeded sample of at most ``max_entries`` per tensor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ffnn_core.network import Network
from ffnn_core.numerics import Array
from ffnn_core.propagation import as_batch, backward, forward
from ffnn_core.targets import Targets, encode_targets

_TINY = 1e-12  # both gradients below this are treated as agreeing


@dataclass(frozen=True)
class EntryCheck:
    index: tuple[int, ...]
    backprop: float
    numeric: float
    relative_error: float


@dataclass(frozen=True)
class TensorCheck:
    """The check of one tensor ("W" or "b" of layer k)."""

    name: str
    layer: int
    entries: list[EntryCheck]

    @property
    def max_relative_error(self) -> float:
        return max((e.relative_error for e in self.entries), default=0.0)


def relative_error(numeric: Array, analytic: Array) -> Array:
    scale = np.abs(numeric) + np.abs(analytic)
    return np.where(scale > _TINY, np.abs(numeric - analytic) / np.maximum(scale, _TINY), 0.0)


def _batch_loss(network: Network, X: Array, targets: Targets) -> float:
    trace = forward(network, X)
    pair = network.config.output_loss
    return float(pair.per_example_loss(trace.a[-1], trace.y_hat, targets.Y).mean())


def gradient_check(
    network: Network,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    eps: float = 1e-6,
    max_entries: int | None = None,
    seed: int = 0,
    layers: list[int] | None = None,
    drop_g_prime_layer: int | None = None,
) -> list[TensorCheck]:
    """Compare backprop with central differences for W_k and b_k of each layer (default all).

    ``drop_g_prime_layer`` passes the teaching fault to backprop, so the check shows it.
    The network's parameters are restored exactly afterwards.
    """
    cfg = network.config
    X = as_batch(x, cfg.sizes[0])
    targets = encode_targets(y, cfg.sizes[-1], cfg.loss, cfg.output)
    trace = backward(network, X, targets, drop_g_prime_layer=drop_g_prime_layer)
    rng = np.random.default_rng(seed)
    probe = network.copy()
    results: list[TensorCheck] = []
    for k in layers or list(range(1, cfg.L + 1)):
        if not 1 <= k <= cfg.L:
            raise ValueError(f"layer must be 1..{cfg.L}, got {k}")
        for name, params, grads in (("W", probe.W, trace.grad_W), ("b", probe.b, trace.grad_b)):
            param, grad = params[k - 1], grads[k - 1]
            flat = np.arange(param.size)
            if max_entries is not None and param.size > max_entries:
                flat = np.sort(rng.choice(param.size, size=max_entries, replace=False))
            entries = []
            for f in flat:
                idx = np.unravel_index(f, param.shape)
                original = param[idx]
                param[idx] = original + eps
                loss_plus = _batch_loss(probe, X, targets)
                param[idx] = original - eps
                loss_minus = _batch_loss(probe, X, targets)
                param[idx] = original
                numeric = (loss_plus - loss_minus) / (2 * eps)
                analytic = float(grad[idx])
                err = float(relative_error(np.array(numeric), np.array(analytic)))
                entries.append(EntryCheck(tuple(int(i) for i in idx), analytic, numeric, err))
            results.append(TensorCheck(name, k, entries))
    return results
