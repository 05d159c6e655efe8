"""Minibatch gradient descent over epochs, with seeded shuffling and a per-epoch history.

Each epoch shuffles the training rows with a generator seeded by (network seed, epoch
number), so the same network trained the same way gives the same history every time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ffnn_core.divergence import Divergence, SgdBound, first_non_finite_backward, first_non_finite_parameters
from ffnn_core.network import Network
from ffnn_core.numerics import Array
from ffnn_core.optimizers import Optimizer, update_parameters
from ffnn_core.propagation import (
    TrainingTrace,
    as_batch,
    batch_mean,
    check_targets,
    forward_with_losses,
    gradients,
)
from ffnn_core.targets import Targets, accuracy, encode_targets


@dataclass(frozen=True)
class Evaluation:
    """Batch loss (mean over examples) and accuracy (None without class labels)."""

    loss: float
    accuracy: float | None


@dataclass(frozen=True)
class EpochRecord:
    """One epoch's metrics. grad_W_norms[k-1] / grad_a_norms[k-1]: mean over the epoch's
    minibatches of ||grad_W_k||_F and of the RMS over examples of ||grad_a_k||."""

    epoch: int
    step: int
    train_loss: float
    train_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None
    grad_W_norms: list[float]
    grad_a_norms: list[float]


@dataclass
class TrainResult:
    history: list[EpochRecord] = field(default_factory=list)
    diverged: Divergence | None = None
    stopped: bool = False


def evaluate(network: Network, X: npt.ArrayLike, targets: Targets) -> Evaluation:
    """Loss and accuracy of the network on (X, targets), one forward pass."""
    X_batch = as_batch(X, network.config.sizes[0])
    N = X_batch.shape[0]
    if targets.Y.shape[0] != N:
        raise ValueError(f"got {N} example(s) but {targets.Y.shape[0]} target(s)")
    if N == 0:
        return Evaluation(float("nan"), None)
    with np.errstate(all="ignore"):  # a diverged network's loss is reported, not warned about
        return _evaluate(network, X_batch, targets)


def _evaluate(network: Network, X: Array, targets: Targets) -> Evaluation:
    """``evaluate`` of checked inputs (N >= 1) inside the caller's error state: y_hat and the l_n from
    one log-sum-exp, as a training step's trace takes them."""
    trace, losses = forward_with_losses(network, X, targets.Y)
    acc = accuracy(trace.y_hat, targets.labels) if targets.labels is not None else None
    return Evaluation(batch_mean(losses), acc)


# np.errstate as a decorator costs ~1 us a call, as a with-block ~2.5 us (NumPy 2.4): a diverging step's
# values are returned (``train`` reports them), not warned about.
@np.errstate(all="ignore")
def train_step(
    network: Network, X: npt.ArrayLike, y: npt.ArrayLike | Targets, optimizer: Optimizer
) -> TrainingTrace:
    """Forward, backward (without grad_h_0, which no update needs), then one update of every
    parameter. Returns what the step computed."""
    cfg = network.config
    X_batch = as_batch(X, cfg.sizes[0])
    targets = y if isinstance(y, Targets) else encode_targets(y, cfg.sizes[-1], cfg.loss, cfg.output)
    check_targets(X_batch, targets.Y)
    trace = gradients(network, X_batch, targets.Y)
    update_parameters(network, trace.grad_W, trace.grad_b, optimizer)  # Theta <- Theta - eta grad Theta
    return trace


def train(
    network: Network,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    epochs: int,
    batch_size: int,
    optimizer: Optimizer,
    X_test: npt.ArrayLike | None = None,
    y_test: npt.ArrayLike | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainResult:
    """Run ``epochs`` epochs of minibatch gradient descent (batch_size 1 .. N).

    Stops early, reporting it, when values go non-finite or ``should_stop()`` turns true
    (checked between minibatches). ``on_epoch`` receives each record as it is made.
    Every value of every step is watched: ``diverged`` names the first non-finite one
    (forward, loss, backward, then the update), and that step ends the run.
    """
    cfg = network.config
    X_train = as_batch(X, cfg.sizes[0])
    train_targets = encode_targets(y, cfg.sizes[-1], cfg.loss, cfg.output)
    N = X_train.shape[0]
    if N == 0:
        raise ValueError("there are no training examples")
    _check_count("X", N, "y", train_targets)
    if not batch_size >= 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    batch_size = min(batch_size, N)
    X_eval = None
    test_targets = None
    if X_test is not None and y_test is not None and np.asarray(X_test).shape[0] > 0:
        X_eval = as_batch(X_test, cfg.sizes[0])
        test_targets = encode_targets(y_test, cfg.sizes[-1], cfg.loss, cfg.output)
        _check_count("X_test", X_eval.shape[0], "y_test", test_targets)
    result = TrainResult()
    L = cfg.L
    bound = SgdBound.start(network, X_train) if optimizer.name == "sgd" else None
    for _ in range(epochs):
        rng = np.random.default_rng([cfg.seed, network.epoch])
        order = rng.permutation(N)
        sum_W_norms = [0.0] * L
        sum_a_norms = [0.0] * L
        n_batches = 0
        # once per epoch, the evaluations included: huge or non-finite values are reported, not warned about
        with np.errstate(all="ignore"):
            for start in range(0, N, batch_size):
                if should_stop is not None and should_stop():
                    result.stopped = True
                    return result
                idx = order[start : start + batch_size]
                # take(idx, axis=0): the rows X_train[idx], 1-2 us less per minibatch at [2, 8, 8, 2] batch 32
                W_norms, a_norms, diverged = _train_minibatch(
                    network, X_train.take(idx, axis=0), train_targets.Y.take(idx, axis=0), optimizer, bound
                )
                n_batches += 1
                if diverged is not None:
                    result.diverged = diverged
                    return result
                for k in range(L):
                    sum_W_norms[k] += W_norms[k]
                    sum_a_norms[k] += a_norms[k]
            network.epoch += 1
            train_eval = _evaluate(network, X_train, train_targets)
            test_eval = None
            if X_eval is not None and test_targets is not None:
                test_eval = _evaluate(network, X_eval, test_targets)
        record = EpochRecord(
            epoch=network.epoch,
            step=network.step,
            train_loss=train_eval.loss,
            train_accuracy=train_eval.accuracy,
            test_loss=test_eval.loss if test_eval else None,
            test_accuracy=test_eval.accuracy if test_eval else None,
            grad_W_norms=[s / n_batches for s in sum_W_norms],
            grad_a_norms=[s / n_batches for s in sum_a_norms],
        )
        result.history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return result


def _train_minibatch(
    network: Network, X: Array, Y: Array, optimizer: Optimizer, bound: SgdBound | None
) -> tuple[list[float], list[float], Divergence | None]:
    """One minibatch of ``train`` (which sets the error state): the step, then its history norms
    (||grad_W_k||_F, and the RMS over the examples of ||grad_a_k||, which is ||grad_a_k||_F / sqrt(N))
    and its divergence check; ``bound`` (plain SGD) follows the parameters' size from step to step."""
    trace = gradients(network, X, Y)
    update_parameters(network, trace.grad_W, trace.grad_b, optimizer)  # Theta <- Theta - eta grad Theta
    W_norms = [_norm(g) for g in trace.grad_W]
    root_N = math.sqrt(len(X))
    a_norms = [_norm(g) / root_N for g in trace.grad_a]
    bounded = bound is not None and bound.after_step(network, optimizer, W_norms, a_norms)
    return W_norms, a_norms, _first_non_finite(trace, network, W_norms + a_norms, bounded)


def _norm(g: Array) -> float:
    """||g||_F, the same float as np.linalg.norm(g) (the root of x . x, x = g flattened), without
    its checks: 0.8 us less per call, 6 calls per [2, 8, 8, 2] minibatch (bench_core)."""
    x = g.ravel()
    return math.sqrt(x.dot(x))


def _first_non_finite(
    trace: TrainingTrace, network: Network, norms: list[float], bounded: bool
) -> Divergence | None:
    """The step's first non-finite quantity in computation order, or None.

    A sum with a NaN or an infinity in it is not finite, so one finite total clears the whole step:
    the loss, the gradient norms (grad_a_k, grad_W_k; grad_b_k is a mean of grad_a_k's rows and a
    non-finite grad_h_k makes grad_a_k non-finite), every a_k (h_k = g(a_k) is finite where a_k is;
    relu would hide a_k = -inf) and the updated parameters, unless ``bounded`` (``SgdBound``) shows
    that these are finite; then a_L is finite, and so is the cross-entropy of finite a_L (not the
    squared error, whose targets may be huge). Otherwise the scan in computation order finds the
    culprit, or nothing when only the total overflowed.
    """
    total = sum(norms)
    if not bounded:
        total += sum(float(x.sum()) for x in (*trace.forward.a, *network.W, *network.b))
    if not (bounded and network.config.loss == "cross_entropy"):
        total += trace.loss  # the only reader of the loss in training (the history evaluates each epoch)
    if math.isfinite(total):
        return None
    return first_non_finite_backward(trace) or first_non_finite_parameters(network)


def _check_count(x_name: str, N: int, y_name: str, targets: Targets) -> None:
    if targets.Y.shape[0] != N:
        raise ValueError(f"{x_name} has {N} example(s) but {y_name} has {targets.Y.shape[0]} target(s)")
