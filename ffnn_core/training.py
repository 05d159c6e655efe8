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

from ffnn_core.divergence import Divergence, first_non_finite_backward, first_non_finite_parameters
from ffnn_core.network import Network
from ffnn_core.optimizers import Optimizer, _apply_update
from ffnn_core.propagation import BackwardTrace, _backward, as_batch, forward
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
    trace = forward(network, X)
    with np.errstate(all="ignore"):
        losses = network.config.output_loss.per_example_loss(trace.a[-1], trace.y_hat, targets.Y)
    if losses.shape[0] == 0:
        return Evaluation(float("nan"), None)
    acc = accuracy(trace.y_hat, targets.labels) if targets.labels is not None else None
    return Evaluation(float(losses.mean()), acc)


def train_step(
    network: Network, X: npt.ArrayLike, y: npt.ArrayLike | Targets, optimizer: Optimizer
) -> BackwardTrace:
    """Forward, backward, then one update of every parameter. Returns the backward trace."""
    cfg = network.config
    X_batch = as_batch(X, cfg.sizes[0])
    targets = y if isinstance(y, Targets) else encode_targets(y, cfg.sizes[-1], cfg.loss)
    with np.errstate(all="ignore"):  # divergence is reported by ``train``, not warned about
        trace = _backward(network, X_batch, targets, None, None)
        _apply_update(network, trace.grad_W, trace.grad_b, optimizer)
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
    """
    cfg = network.config
    X_train = np.asarray(X, dtype=np.float64)
    train_targets = encode_targets(y, cfg.sizes[-1], cfg.loss)
    N = X_train.shape[0]
    if N == 0:
        raise ValueError("there are no training examples")
    if not batch_size >= 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    batch_size = min(batch_size, N)
    test_targets = None
    if X_test is not None and y_test is not None and np.asarray(X_test).shape[0] > 0:
        test_targets = encode_targets(y_test, cfg.sizes[-1], cfg.loss)
    result = TrainResult()
    L = cfg.L
    for _ in range(epochs):
        rng = np.random.default_rng([cfg.seed, network.epoch])
        order = rng.permutation(N)
        sum_W_norms = [0.0] * L
        sum_a_norms = [0.0] * L
        n_batches = 0
        for start in range(0, N, batch_size):
            if should_stop is not None and should_stop():
                result.stopped = True
                return result
            idx = order[start : start + batch_size]
            batch_targets = Targets(train_targets.Y[idx], None)
            trace = train_step(network, X_train[idx], batch_targets, optimizer)
            n_batches += 1
            for k in range(L):
                sum_W_norms[k] += float(np.linalg.norm(trace.grad_W[k]))
                sum_a_norms[k] += float(np.sqrt((trace.grad_a[k] ** 2).sum(axis=1).mean()))
            if not math.isfinite(trace.loss):
                result.diverged = first_non_finite_backward(trace) or Divergence("forward", "loss", None)
                return result
        network.epoch += 1
        diverged = first_non_finite_parameters(network)
        train_eval = evaluate(network, X_train, train_targets)
        test_eval = evaluate(network, np.asarray(X_test), test_targets) if test_targets is not None else None
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
        if diverged is not None:
            result.diverged = diverged
            return result
    return result
