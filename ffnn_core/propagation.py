"""Forward and backward propagation, exactly the seed's pseudocode, vectorised over a batch.

A batch is rows: X has shape (N, n_0). Every per-layer array below has the batch
as its first axis. Nothing is stored on the network; both passes return traces.

Forward (k = 1..L):
    a_k = b_k + W_k h_{k-1}        ->  a[k-1] = h[k-1] @ W_k^T + b_k      (N, n_k)
    h_k = g(a_k),  h_L = O(a_L)    ->  h[k]                               (N, n_k)

Backward (per example, then averaged for the parameters; see ``losses`` for the convention):
    grad_a_L     = -(e(y) - y_hat)  (softmax/sigmoid + cross-entropy), else J_O^T dl/dy_hat
    for k = L..1:
      grad_W_k   = grad_a_k h_{k-1}^T      (mean over the batch)    (n_k, n_{k-1})
      grad_b_k   = grad_a_k                (mean over the batch)    (n_k,)
      grad_h_{k-1} = W_k^T grad_a_k        ->  grad_a_k @ W_k        (N, n_{k-1})
      grad_a_{k-1} = grad_h_{k-1} (.) g'(a_{k-1})   (k > 1)          (N, n_{k-1})
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ffnn_core.network import Network
from ffnn_core.numerics import Array
from ffnn_core.targets import Targets, encode_targets


@dataclass(frozen=True)
class ForwardTrace:
    """Every a_k and h_k of a forward pass.

    a[k-1] = a_k, (N, n_k), k = 1..L.    h[k] = h_k, (N, n_k), k = 0..L (h_0 = x, h_L = y_hat).
    """

    a: list[Array]
    h: list[Array]

    @property
    def y_hat(self) -> Array:
        return self.h[-1]


@dataclass(frozen=True)
class BackwardTrace:
    """Every gradient of a backward pass, with the forward trace it started from.

    grad_a[k-1] = grad_a_k (N, n_k), k = 1..L;   grad_h[k] = grad_h_k (N, n_k), k = 0..L-1;
    grad_W[k-1] = grad_W_k (n_k, n_{k-1});        grad_b[k-1] = grad_b_k (n_k,);
    losses (N,) per example; loss = losses.mean(), the batch loss.
    """

    forward: ForwardTrace
    targets: Targets
    grad_a: list[Array]
    grad_h: list[Array]
    grad_W: list[Array]
    grad_b: list[Array]
    losses: Array
    loss: float


def as_batch(x: npt.ArrayLike, n_0: int) -> Array:
    """One example (n_0,) or a batch (N, n_0) as a float64 (N, n_0) array; checks the width."""
    X = np.asarray(x, dtype=np.float64)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] != n_0:
        raise ValueError(f"x must have n_0 = {n_0} input(s) per example, got an array of shape {X.shape}")
    return X


def forward(network: Network, x: npt.ArrayLike) -> ForwardTrace:
    """Forward pass for one example or a batch; see the module docstring."""
    X = as_batch(x, network.config.sizes[0])
    with np.errstate(all="ignore"):  # non-finite values are reported (``divergence``), not warned about
        return _forward(network, X)


def backward(
    network: Network,
    x: npt.ArrayLike,
    y: npt.ArrayLike | Targets,
    *,
    trace: ForwardTrace | None = None,
    drop_g_prime_layer: int | None = None,
) -> BackwardTrace:
    """Forward (unless ``trace`` is given) then backward for targets ``y``; changes no parameter.

    ``drop_g_prime_layer`` breaks backprop on purpose, for teaching: the factor g'(a_k) of that
    hidden layer k is left out, so the gradient check can be watched failing.
    """
    cfg = network.config
    X = trace.h[0] if trace is not None else as_batch(x, cfg.sizes[0])
    targets = y if isinstance(y, Targets) else encode_targets(y, cfg.sizes[-1], cfg.loss, cfg.output)
    with np.errstate(all="ignore"):
        return _backward(network, X, targets, trace, drop_g_prime_layer)


_UNSET: Array = np.empty(0)

# The two passes themselves. Callers set the floating-point error state once around them
# (``forward``, ``backward`` and ``training.train_step``), which keeps small steps cheap.


def _forward(network: Network, X: Array) -> ForwardTrace:
    cfg = network.config
    gs = cfg.hidden_activations
    O = cfg.output_loss.output.O  # noqa: E741 - the seed's name
    L = cfg.L
    h_prev = X
    a: list[Array] = []
    h: list[Array] = [X]
    for k in range(1, L + 1):
        a_k = h_prev @ network.W[k - 1].T
        a_k += network.b[k - 1]
        h_k = gs[k - 1].g(a_k) if k < L else O(a_k)
        a.append(a_k)
        h.append(h_k)
        h_prev = h_k
    return ForwardTrace(a=a, h=h)


def _backward(
    network: Network,
    X: Array,
    targets: Targets,
    trace: ForwardTrace | None,
    drop_g_prime_layer: int | None,
) -> BackwardTrace:
    cfg = network.config
    fwd = trace if trace is not None else _forward(network, X)
    N = fwd.h[0].shape[0]
    if targets.Y.shape[0] != N:
        raise ValueError(f"got {N} example(s) but {targets.Y.shape[0]} target(s)")
    if N == 0:
        raise ValueError("backward needs at least one example")
    pair = cfg.output_loss
    gs = cfg.hidden_activations
    L = cfg.L
    grad_a: list[Array] = [_UNSET] * L  # every entry is set below, from layer L down to 1
    grad_h: list[Array] = [_UNSET] * L
    grad_W: list[Array] = [_UNSET] * L
    grad_b: list[Array] = [_UNSET] * L
    losses = pair.per_example_loss(fwd.a[-1], fwd.y_hat, targets.Y)
    grad_a_k = pair.grad_a_L(fwd.a[-1], fwd.y_hat, targets.Y)
    inv_N = 1.0 / N
    for k in range(L, 0, -1):
        grad_a[k - 1] = grad_a_k
        grad_W_k = grad_a_k.T @ fwd.h[k - 1]
        grad_W_k *= inv_N
        grad_W[k - 1] = grad_W_k
        grad_b[k - 1] = grad_a_k.sum(axis=0) * inv_N
        grad_h_prev = grad_a_k @ network.W[k - 1]
        grad_h[k - 1] = grad_h_prev
        if k > 1:
            if drop_g_prime_layer == k - 1:
                grad_a_k = grad_h_prev
            else:
                # grad_a_{k-1} = grad_h_{k-1} (.) g'(a_{k-1}), multiplied into the fresh g' array
                grad_a_k = gs[k - 2].g_prime_given(fwd.a[k - 2], fwd.h[k - 1])
                grad_a_k *= grad_h_prev
    return BackwardTrace(
        forward=fwd,
        targets=targets,
        grad_a=grad_a,
        grad_h=grad_h,
        grad_W=grad_W,
        grad_b=grad_b,
        losses=losses,
        loss=float(losses.sum()) / N,  # the mean, without np.mean's per-call overhead
    )
