"""Time one training step of ffnn_core against a minimal NumPy MLP doing the same work.

Run:  python benchmarks/bench_core.py   (--quick: a tenth of the repeats; --shapes 0 1: some shapes;
      --clock wall: elapsed time instead of this thread's CPU time, the default)

For every shape (tanh hidden layers, softmax + cross-entropy, plain SGD, targets encoded once
beforehand as ``train`` does) five functions are timed in turns, one call of each per round in an
order shuffled afresh every round, so all of them see the same machine load (the machine may be
shared: only the ratios of one run mean anything, and the load average is printed with them) and
none always follows the same function. Each function has its own network, so none inherits
another's cache or freed memory:
    minimal   a hand-written MLP step: forward (y_hat = softmax(a_L), one shift and exp), the notes'
              backward without grad_h_0 (grad_a_L = y_hat - e(y); g' = 1 - h^2 as the notes write it
              for tanh), the SGD update. No loss: a training step reads none (``train`` checks
              divergence without it while plain SGD keeps the parameters bounded, and its history
              evaluates the loss once an epoch), so neither side computes it
    +numerics the same minimal step calling the core's numerics where the core has its own: softmax
              (numerics), grad_a_L (losses), g' (activations.g_prime_given, accurate where 1 - h^2 is
              not: one reduction per hidden layer finds the healthy case), the update (optimizers)
    step      ffnn_core.train_step: checks its inputs, then forward, backward, update through the core's
              code; it returns the whole trace, whose loss is worked out when first read
    train     one minibatch of ffnn_core.train (inputs already checked, as ``train`` checks them once):
              the step, its history norms and divergence check, inside the floating-point error state
              that ``train`` sets once an epoch: entered and left outside the timed call, as ``train``
              pays for it once for all of an epoch's minibatches, not per minibatch
    matmuls   only the step's matrix products, on arrays of its shapes:
                forward  h_{k-1} @ W_k^T (k = 1..L); backward grad_a_k^T @ h_{k-1} (k = 1..L)
                and grad_a_k @ W_k (k = 2..L)
and the medians are printed with step / minimal (the target's ratio), step / +numerics, train /
minimal and the BLAS share matmuls / step. BLAS runs on one thread (threadpoolctl), as training
does in the server; the largest shape is timed again with BLAS on every CPU (wall time there, as
CPU time adds up over the BLAS threads).

Target: step / minimal <= 1.2 at every shape, and train / minimal too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ffnn_core import Network, NetworkConfig, Optimizer, encode_targets, train_step
from ffnn_core.divergence import SgdBound
from ffnn_core.numerics import Array, softmax
from ffnn_core.optimizers import update_parameters
from ffnn_core.training import _train_minibatch

# (sizes, batch size, timed repeats)
SHAPES: tuple[tuple[tuple[int, ...], int, int], ...] = (
    ((2, 8, 8, 2), 32, 20000),
    ((4, 16, 16, 3), 150, 10000),
    ((784, 128, 64, 10), 256, 400),
    ((1024, 1024, 1024, 10), 512, 30),
)
TARGET_RATIO = 1.2


def interleaved_medians(
    fns: list[Callable[[], object]],
    repeats: int,
    warmup: int,
    clock: Callable[[], int] = time.thread_time_ns,
    quiet: frozenset[int] = frozenset(),
) -> list[float]:
    """Median time (ns) of one call of each function, timed in turns: each round calls every function
    once, in an order shuffled afresh (seeded) every round. The functions numbered in ``quiet`` run
    inside np.errstate(all="ignore"), entered before the clock starts and left after it stops.

    A call pays for what the call before it left behind (at [784, 128, 64, 10] a step that frees its
    trace costs the next call page faults, ~1 ms), so no function may always follow the same one: in a
    fixed rotation (f, g, h, then g, h, f, ...) train_step always followed +numerics, and the same code
    ran 4% faster there than in the place after it ([2, 8, 8, 2]; shuffled, two copies agree to 0.5%).
    """
    n = len(fns)

    def state(i: int) -> contextlib.AbstractContextManager[object]:
        return np.errstate(all="ignore") if i in quiet else contextlib.nullcontext()

    for _ in range(warmup):
        for i, fn in enumerate(fns):
            with state(i):
                fn()
    order = list(range(n))
    shuffle = random.Random(0).shuffle
    times: list[list[int]] = [[] for _ in fns]
    for _ in range(repeats):
        shuffle(order)
        for i in order:
            with state(i):
                start = clock()
                fns[i]()
                times[i].append(clock() - start)
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
        grad_a = e / s - Y  # grad_a_L = y_hat - e(y); no loss, as a training step computes none
        for k in range(L, 0, -1):
            grad_W = grad_a.T @ h[k - 1] / N
            grad_b = grad_a.sum(axis=0) / N
            if k > 1:
                grad_a = (grad_a @ W[k - 1]) * (1.0 - h[k - 1] * h[k - 1])
            W[k - 1] -= eta * grad_W
            b[k - 1] -= eta * grad_b

    return run


def minimal_step_with_core_numerics(network: Network, X: Array, Y: Array, optimizer: Optimizer) -> Callable[[], None]:
    """``minimal_mlp_step`` with the core's softmax, grad_a_L, g' and update in place of its own lines."""
    N = X.shape[0]
    W, b, L = network.W, network.b, len(network.W)
    pair = network.config.output_loss
    g = network.config.hidden_activations

    def run() -> None:
        a, h = [], [X]
        for k in range(1, L):
            a.append(h[k - 1] @ W[k - 1].T + b[k - 1])
            h.append(np.tanh(a[k - 1]))
        a_L = h[L - 1] @ W[L - 1].T + b[L - 1]
        y_hat = softmax(a_L)
        grad_a = pair.grad_a_L(a_L, y_hat, Y)
        grad_W: list[Array] = []
        grad_b: list[Array] = []
        for k in range(L, 0, -1):
            grad_W.insert(0, grad_a.T @ h[k - 1] / N)
            grad_b.insert(0, grad_a.sum(axis=0) / N)
            if k > 1:
                grad_a = (grad_a @ W[k - 1]) * g[k - 2].g_prime_given(a[k - 2], h[k - 1])
        update_parameters(network, grad_W, grad_b, optimizer)

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


def bench_shape(sizes: tuple[int, ...], batch: int, repeats: int, clock: Callable[[], int]) -> list[float]:
    """Medians (ns) of: the minimal MLP step, with the core's numerics, train_step, train's minibatch,
    the matmuls alone."""
    rng = np.random.default_rng(0)
    config = NetworkConfig.build(list(sizes), "tanh", output="softmax", loss="cross_entropy", seed=0)
    X = rng.standard_normal((batch, sizes[0]))
    targets = encode_targets(rng.integers(0, sizes[-1], size=batch), sizes[-1], config.loss)
    optimizer = Optimizer("sgd", eta=1e-3)
    # one network each: a function that shares another's arrays finds them in the cache
    minimal_net, numerics_net, step_net, train_net, matmul_net = (Network.create(config) for _ in range(5))
    bound = SgdBound.start(train_net, X)  # as ``train`` prepares once per call
    fns: list[Callable[[], object]] = [
        minimal_mlp_step(X, targets.Y, minimal_net.W, minimal_net.b, optimizer.eta),
        minimal_step_with_core_numerics(numerics_net, X, targets.Y, optimizer),
        lambda: train_step(step_net, X, targets, optimizer),
        lambda: _train_minibatch(train_net, X, targets.Y, optimizer, bound),  # in the error state (quiet)
        matmuls_of_step(matmul_net, X),
    ]
    return interleaved_medians(fns, repeats, max(3, repeats // 10), clock, quiet=frozenset({3}))


def print_row(sizes: tuple[int, ...], batch: int, threads: int, repeats: int, medians: list[float]) -> float:
    minimal, numerics, step, minibatch, matmuls = medians
    ratio = step / minimal
    print(
        f"{list(sizes)!s:<22}{batch:>6}{threads:>5}{repeats:>8}{_time(minimal)}{_time(numerics)}{_time(step)}"
        f"{ratio:>7.2f}{step / numerics:>7.2f}{_time(minibatch)}{minibatch / minimal:>7.2f}"
        f"{100 * matmuls / step:>6.0f}%"
    )
    return ratio


def _time(ns: float) -> str:
    return f"{ns / 1e3:>10.1f} us" if ns < 1e7 else f"{ns / 1e6:>10.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the repeats")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="cpu (default): this thread's CPU time, which a busy machine disturbs less; wall: elapsed time",
    )
    parser.add_argument("--shapes", type=int, nargs="*", help="indices (0-3) of the shapes to time; default all")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    cpus = os.cpu_count() or 1
    clock = time.thread_time_ns if args.clock == "cpu" else time.perf_counter_ns
    shapes = [SHAPES[i] for i in args.shapes] if args.shapes else list(SHAPES)

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"numpy {np.__version__}, Python {platform.python_version()}, {cpus} CPU(s), load average {load}")
    print(f"medians of interleaved calls ({args.clock} time); ratios: train_step / minimal, train_step / +numerics,")
    print("train / minimal (train's minibatch: the step, its history norms and divergence check);")
    print("BLAS share = the step's matmuls alone / train_step; BLAS = BLAS threads")
    print(
        f"{'sizes':<22}{'batch':>6}{'BLAS':>5}{'repeats':>8}{'minimal':>13}{'+numerics':>13}{'train_step':>13}"
        f"{'ratio':>7}{'/+num':>7}{'train/batch':>13}{'ratio':>7}{'BLAS':>7}"
    )
    ratios = []
    for sizes, batch, repeats in shapes:
        n = max(5, repeats // scale)
        with threadpool_limits(limits=1, user_api="blas"):
            ratios.append(print_row(sizes, batch, 1, n, bench_shape(sizes, batch, n, clock)))
    if shapes[-1] == SHAPES[-1] and cpus > 1:
        sizes, batch, repeats = SHAPES[-1]
        n = max(5, repeats // scale)
        with threadpool_limits(limits=cpus, user_api="blas"):  # CPU time adds up over the BLAS threads
            print_row(sizes, batch, cpus, n, bench_shape(sizes, batch, n, time.perf_counter_ns))
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    worst = max(ratios)
    verdict = "met" if worst <= TARGET_RATIO else "MISSED"
    print(
        f"target train_step <= {TARGET_RATIO}x the minimal MLP at every shape (1 BLAS thread): "
        f"worst {worst:.2f}x ({verdict})"
    )


if __name__ == "__main__":
    main()
