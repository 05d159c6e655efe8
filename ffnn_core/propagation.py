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

``backward`` (the trace routes) computes all of it. Training (``training.train_step``) uses
``gradients``, which stops at grad_W_1 and grad_b_1: grad_h_0, the gradient with respect to
the input, is a product as large as the first layer's that no parameter update needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ffnn_core.losses import OutputLoss
from ffnn_core.network import Network
from ffnn_core.numerics import Array
from ffnn_core.targets import Targets, encode_targets

# The traces are plain records, not frozen: frozen dataclasses' __init__ cost a training step (two
# traces) about 2 us more, 2% of the [2, 8, 8, 2] train_step in benchmarks/bench_core.py.


@dataclass(slots=True)
class ForwardTrace:
    """Every a_k and h_k of a forward pass.

    a[k-1] = a_k, (N, n_k), k = 1..L.    h[k] = h_k, (N, n_k), k = 0..L (h_0 = x, h_L = y_hat).
    """

    a: list[Array]
    h: list[Array]

    @property
    def y_hat(self) -> Array:
        return self.h[-1]


@dataclass(slots=True)
class TrainingTrace:
    """What one training step computes: the forward trace and every gradient but grad_h_0.

    grad_a[k-1] = grad_a_k (N, n_k), k = 1..L;   grad_h[k] = grad_h_k (N, n_k), k = 1..L-1 (no key 0);
    grad_W[k-1] = grad_W_k (n_k, n_{k-1});        grad_b[k-1] = grad_b_k (n_k,);
    Y (N, n_L) the target rows; losses (N,) per example and loss = losses.mean(), the batch loss, are
    worked out when first read (the bits ``backward`` gives): a training step itself uses neither.
    """

    forward: ForwardTrace
    Y: Array
    output_loss: OutputLoss
    grad_a: list[Array]
    grad_h: dict[int, Array]
    grad_W: list[Array]
    grad_b: list[Array]
    _losses: Array | None = None

    @property
    def losses(self) -> Array:
        if self._losses is None:
            with np.errstate(all="ignore"):  # a diverged step's losses are reported, not warned about
                self._losses = self.output_loss.per_example_loss(self.forward.a[-1], self.forward.y_hat, self.Y)
        return self._losses

    @property
    def loss(self) -> float:
        return batch_mean(self.losses)


@dataclass(slots=True)
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
    """Forward (unless ``trace`` is given) then backward for targets ``y``, down to grad_h_0;
    changes no parameter.

    ``drop_g_prime_layer`` breaks backprop on purpose, for teaching: the factor g'(a_k) of that
    hidden layer k is left out, so the gradient check can be watched failing.
    """
    cfg = network.config
    X = trace.h[0] if trace is not None else as_batch(x, cfg.sizes[0])
    targets = y if isinstance(y, Targets) else encode_targets(y, cfg.sizes[-1], cfg.loss, cfg.output)
    check_targets(X, targets.Y)
    with np.errstate(all="ignore"):
        if trace is None:
            fwd, losses = forward_with_losses(network, X, targets.Y)
        else:
            fwd, losses = trace, cfg.output_loss.per_example_loss(trace.a[-1], trace.y_hat, targets.Y)
        grad_a, grad_h, grad_W, grad_b = _backward(network, fwd, targets.Y, True, drop_g_prime_layer)
    return BackwardTrace(
        forward=fwd,
        targets=targets,
        grad_a=grad_a,
        grad_h=[grad_h[k] for k in range(len(grad_a))],
        grad_W=grad_W,
        grad_b=grad_b,
        losses=losses,
        loss=batch_mean(losses),
    )


def gradients(network: Network, X: Array, Y: Array) -> TrainingTrace:
    """Forward then backward for a batch X (N, n_0) with target rows Y (N, n_L), without grad_h_0:
    what a training step needs. The caller (``training``) checks the shapes and sets the floating-point
    error state."""
    fwd = _forward(network, X)
    grad_a, grad_h, grad_W, grad_b = _backward(network, fwd, Y, False, None)
    return TrainingTrace(
        forward=fwd,
        Y=Y,
        output_loss=network.config.output_loss,
        grad_a=grad_a,
        grad_h=grad_h,
        grad_W=grad_W,
        grad_b=grad_b,
    )


def batch_mean(losses: Array) -> float:
    """losses.mean(), the same float (the batch loss, the mean of the l_n): np.mean's own overhead costs
    ~2 us a call (bench_core, [2, 8, 8, 2])."""
    return float(np.add.reduce(losses)) / len(losses)


def check_targets(X: Array, Y: Array) -> None:
    N = X.shape[0]
    if Y.shape[0] != N:
        raise ValueError(f"got {N} example(s) but {Y.shape[0]} target(s)")
    if N == 0:
        raise ValueError("backward needs at least one example")


# The two passes themselves, in the notes' indices: a[k-1] = a_k and h[k] = h_k as in the traces,
# and grad_h keyed by k itself (grad_h[k] = grad_h_k). Callers set the floating-point error state
# once around them.


def _forward(network: Network, X: Array) -> ForwardTrace:
    a, h = _hidden_layers(network, X)
    h.append(network.config.output_loss.output.O(a[-1]))  # y_hat = h_L = O(a_L)
    return ForwardTrace(a=a, h=h)


def forward_with_losses(network: Network, X: Array, Y: Array) -> tuple[ForwardTrace, Array]:
    """The forward trace and the losses l_n of target rows Y, y_hat and l_n computed together (the bits
    of ``forward`` and ``per_example_loss``); the caller sets the floating-point error state."""
    a, h = _hidden_layers(network, X)
    y_hat, losses = network.config.output_loss.output_and_losses(a[-1], Y)  # y_hat = O(a_L); l(y_hat, y)
    h.append(y_hat)
    return ForwardTrace(a=a, h=h), losses


def _hidden_layers(network: Network, X: Array) -> tuple[list[Array], list[Array]]:
    """a_1..a_L and h_0..h_{L-1}: everything of the forward pass before the output function."""
    W, b, L = network.W, network.b, len(network.W)
    g = network.config.hidden_activations  # g[k-1]: layer k's activation
    a: list[Array] = []
    h: list[Array] = [X]  # h_0 = x
    for k in range(1, L):
        a.append(h[k - 1] @ W[k - 1].T + b[k - 1])  # a_k = b_k + W_k h_{k-1}
        h.append(g[k - 1].g(a[k - 1]))  # h_k = g(a_k)
    # a_L = b_L + W_L h_{L-1}, the examples as columns as in the notes: the same numbers, stored column
    # by column, so O and the loss reduce each example's k outputs in vectorised steps (row-wise
    # reductions of a row-major (N, k) array are not): 30% off the output layer at [4, 16, 16, 3]
    a.append((W[L - 1] @ h[L - 1].T).T + b[L - 1])
    return a, h


def _backward(
    network: Network, fwd: ForwardTrace, Y: Array, with_grad_h_0: bool, drop_g_prime_layer: int | None
) -> tuple[list[Array], dict[int, Array], list[Array], list[Array]]:
    """grad_a, grad_W, grad_b in layer order (k = 1..L) and grad_h keyed by k (grad_h_0 only if asked);
    the loop runs in the notes' k, from the top layer down.

    Each layer's gradients are appended as the loop reaches it, top layer first, and the lists turned
    round at the end: dictionaries keyed by k, put in layer order afterwards, cost a [2, 8, 8, 2]
    training step 3% more (bench_core)."""
    W, L = network.W, len(network.W)
    g_prime: Sequence[Callable[[Array, Array], Array | float]] = network.config.hidden_g_primes
    if drop_g_prime_layer is not None:  # the teaching fault: that layer's g'(a_k) left out
        g_prime = [_left_out if k == drop_g_prime_layer else gp for k, gp in enumerate(g_prime, start=1)]
    a, h = fwd.a, fwd.h
    N = len(Y)
    grad_a_k = network.config.output_loss.grad_a_L(a[L - 1], h[L], Y)  # grad_a_L = -(e(y) - y_hat)
    grad_a: list[Array] = []
    grad_h: dict[int, Array] = {}
    grad_W: list[Array] = []
    grad_b: list[Array] = []
    for k in range(L, 0, -1):
        grad_a.append(grad_a_k)
        grad_W.append(grad_a_k.T @ h[k - 1] / N)  # grad_W_k = grad_a_k h_{k-1}^T   (mean over the batch)
        grad_b.append(np.add.reduce(grad_a_k, axis=0) / N)  # grad_b_k = grad_a_k    (mean over the batch)
        if k > 1 or with_grad_h_0:
            grad_h[k - 1] = grad_a_k @ W[k - 1]  # grad_h_{k-1} = W_k^T grad_a_k
        if k > 1:
            grad_a_k = grad_h[k - 1] * g_prime[k - 2](a[k - 2], h[k - 1])  # grad_a_{k-1} = grad_h_{k-1} (.) g'(a_{k-1})
    grad_a.reverse()
    grad_W.reverse()
    grad_b.reverse()
    return grad_a, grad_h, grad_W, grad_b


def _left_out(a: Array, h: Array) -> float:
    """g' taken as 1 (x * 1.0 is x, bit for bit): a layer's g'(a_k) left out on purpose."""
    return 1.0
