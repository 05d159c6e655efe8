"""Time one training step of ffnn_core against a minimal NumPy MLP doing the same work.

Run:  python benchmarks/bench_core.py   (add --quick for a tenth of the repeats)

For every shape (tanh hidden layers, softmax + cross-entropy, plain SGD, targets encoded once
beforehand as ``train`` does) four functions are timed in turns, one call of each per round, so
all four see the same machine load (the machine may be shared: only the ratios of one run mean
anything, and the load average is printed with them):
    minimal   a hand-written MLP step: forward, the notes' backward without grad_h_0
              (g' = 1 - h^2 as the notes write it for tanh), the loss, the SGD update
    step      ffnn_core.train_step: the same work through the core's code
    train     one minibatch of ffnn_core.train: the step, its history norms and divergence check
    matmuls   only the step's matrix products, on arrays of its shapes:
                forward  h_{k-1} @ W_k^T (k = 1..L); backward grad_a_k^T @ h_{k-1} (k = 1..L)
                and grad_a_k @ W_k (k = 2..L)
and the medians are printed with step / minimal, train / minimal and the BLAS share
matmuls / step. BLAS runs on one thread (threadpoolctl), as training does in the server; the
largest shape is timed again with BLAS on every CPU.

Target: step / minimal <= 1.2 at every shape.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ffnn_core import Network, NetworkConfig, Optimizer, Targets, encode_targets, train_step
from ffnn_core.numerics import Array
from ffnn_core.training import _train_minibatch

# (sizes, batch size, timed repeats)
SHAPES: tuple[tuple[tuple[int, ...], int, int], ...] = (
    ((2, 8, 8, 2), 32, 20000),
    ((4, 16, 16, 3), 150, 10000),
    ((784, 128, 64, 10), 256, 400),
    ((1024, 1024, 1024, 10), 512, 30),
)
TARGET_RATIO = 1.2


def interleaved_medians(fns: list[Callable[[], object]], repeats: int, warmup: int) -> list[float]:
    """Median wall time (ns) of one call of each function, timed in turns (f, g, f, g, ...)."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[int]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, t in zip(fns, times, strict=True):
            start = time.perf_counter_ns()
            fn()
            t.append(time.perf_counter_ns() - start)
    return [statistics.median(t) for t in times]


def minimal_mlp_step(X: Array, Y: Array, W: list[Array], b: list[Array], eta: float) -> Callable[[], None]:
    """A minimal hand-written MLP step: tanh hidden layers, softmax + cross-entropy, SGD."""
    N = X.shape[0]
    L = len(W)

    def run() -> None:
        h = [X]
        for k in range(1, L):
            h.append(np.tanh(h[k - 1] @ W[k - 1].T + b[k - 1]))
        a_L = h[L - 1] @ W[L - 1].T + b[L - 1]
        shifted = a_L - a_L.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        _loss = -(Y * (shifted - np.log(s))).sum() / N
        grad_a = e / s - Y
        for k in range(L, 0, -1):
            grad_W = grad_a.T @ h[k - 1] / N
            grad_b = grad_a.sum(axis=0) / N
            if k > 1:
                grad_a = (grad_a @ W[k - 1]) * (1.0 - h[k - 1] * h[k - 1])
            W[k - 1] -= eta * grad_W
            b[k - 1] -= eta * grad_b

    return run


def matmuls_of_step(network: Network, X: Array) -> Callable[[], None]:
    """Only the matrix products of one training step, on arrays of the step's shapes."""
    rng = np.random.default_rng(1)
    W = network.W
    L = len(W)
    h = [X] + [rng.standard_normal((X.shape[0], w.shape[0])) for w in W]  # h_0 .. h_L
    grad_a = [rng.standard_normal((X.shape[0], w.shape[0])) for w in W]  # grad_a_1 .. grad_a_L

    def run() -> None:
        for k in range(1, L + 1):
            h[k - 1] @ W[k - 1].T
        for k in range(L, 0, -1):
            grad_a[k - 1].T @ h[k - 1]
            if k > 1:
                grad_a[k - 1] @ W[k - 1]

    return run


def bench_shape(sizes: tuple[int, ...], batch: int, repeats: int) -> list[float]:
    """Medians (ns) of: the minimal MLP step, train_step, train's minibatch, the matmuls alone."""
    rng = np.random.default_rng(0)
    config = NetworkConfig.build(list(sizes), "tanh", output="softmax", loss="cross_entropy", seed=0)
    X = rng.standard_normal((batch, sizes[0]))
    targets = encode_targets(rng.integers(0, sizes[-1], size=batch), sizes[-1], config.loss)
    optimizer = Optimizer("sgd", eta=1e-3)
    minimal_net, step_net, train_net = (Network.create(config) for _ in range(3))
    fns: list[Callable[[], object]] = [
        minimal_mlp_step(X, targets.Y, minimal_net.W, minimal_net.b, optimizer.eta),
        lambda: train_step(step_net, X, targets, optimizer),
        lambda: _train_minibatch(train_net, X, Targets(targets.Y, None), optimizer),
        matmuls_of_step(step_net, X),
    ]
    return interleaved_medians(fns, repeats, warmup=max(3, repeats // 10))


def print_row(sizes: tuple[int, ...], batch: int, threads: int, repeats: int, medians: list[float]) -> float:
    minimal, step, minibatch, matmuls = medians
    ratio = step / minimal
    print(
        f"{list(sizes)!s:<24}{batch:>6}{threads:>5}{repeats:>8}{_time(minimal)}{_time(step)}{ratio:>7.2f}"
        f"{_time(minibatch)}{minibatch / minimal:>7.2f}{100 * matmuls / step:>7.0f}%"
    )
    return ratio


def _time(ns: float) -> str:
    return f"{ns / 1e3:>10.1f} us" if ns < 1e7 else f"{ns / 1e6:>10.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the repeats")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    cpus = os.cpu_count() or 1

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"numpy {np.__version__}, Python {platform.python_version()}, {cpus} CPU(s), load average {load}")
    print("medians of interleaved calls; ratio = ffnn_core / minimal MLP; BLAS share = matmuls / train_step")
    print(
        f"{'sizes':<24}{'batch':>6}{'BLAS':>5}{'repeats':>8}{'minimal':>13}{'train_step':>13}{'ratio':>7}"
        f"{'train/batch':>13}{'ratio':>7}{'BLAS':>8}"
    )
    ratios = []
    for sizes, batch, repeats in SHAPES:
        n = max(5, repeats // scale)
        with threadpool_limits(limits=1, user_api="blas"):
            ratios.append(print_row(sizes, batch, 1, n, bench_shape(sizes, batch, n)))
    sizes, batch, repeats = SHAPES[-1]
    n = max(5, repeats // scale)
    with threadpool_limits(limits=cpus, user_api="blas"):
        print_row(sizes, batch, cpus, n, bench_shape(sizes, batch, n))
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    worst = max(ratios)
    verdict = "met" if worst <= TARGET_RATIO else "MISSED"
    print(f"target train_step <= {TARGET_RATIO}x the minimal MLP at every shape (1 BLAS thread): "
          f"worst {worst:.2f}x ({verdict})")


if __name__ == "__main__":
    main()
