"""Time one training step of ffnn_core (forward + backward + SGD update) on a few shapes.

Run:  python benchmarks/bench_core.py   (add --quick for fewer repeats)

For every shape the script prints the median of many timed ``ffnn_core.train_step`` calls
(tanh hidden layers, softmax + cross-entropy, plain SGD, targets encoded once beforehand
as ``train`` does), and the median time of only the matrix products that step performs
(the two are timed in turns, so both see the same machine load):
    forward   h_{k-1} @ W_k^T           per layer
    backward  grad_a_k^T @ h_{k-1}      per layer   (grad_W_k)
              grad_a_k @ W_k            per layer   (grad_h_{k-1}, including grad_h_0)
The ratio step / matmuls shows how much the step costs beyond its BLAS work. The page faults
per call (step / matmuls) count first touches of fresh memory: a step keeps every array of its
trace, so after each step the allocator hands that memory back to the system and the next step
faults it in again, while the matmuls alone reuse one freed block after another.
A minimal hand-written vectorised MLP step for [2, 8, 8, 2] is timed as a reference.

Targets: [2, 8, 8, 2] batch 32 under 100 us median; [1024, 1024, 1024, 10] batch 512
within 1.25x of its matrix products.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ffnn_core import Network, NetworkConfig, Optimizer, encode_targets, train_step
from ffnn_core.numerics import Array

# (sizes, batch size, hidden activation, timed repeats). The last row repeats the largest
# shape with relu, to separate the cost of evaluating tanh itself from the step's overhead.
SHAPES: tuple[tuple[tuple[int, ...], int, str, int], ...] = (
    ((2, 8, 8, 2), 32, "tanh", 20000),
    ((4, 16, 16, 3), 150, "tanh", 10000),
    ((784, 128, 64, 10), 256, "tanh", 400),
    ((1024, 1024, 1024, 10), 512, "tanh", 30),
    ((1024, 1024, 1024, 10), 512, "relu", 30),
)
LARGEST = 3
SMALL_TARGET_US = 100.0
LARGE_TARGET_RATIO = 1.25


def interleaved_medians(fns: list[Callable[[], object]], repeats: int, warmup: int) -> list[float]:
    """Median wall time (ns) of one call of each function, timed in turns.

    Taking turns (f, g, f, g, ...) exposes every function to the same machine load, so the
    ratios between them hold up even when other processes share the CPUs.
    """
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


def matmuls_of_step(network: Network, X: Array) -> Callable[[], None]:
    """Only the matrix products of one training step, on arrays of the step's shapes."""
    rng = np.random.default_rng(1)
    W = network.W
    L = len(W)
    h = [X] + [rng.standard_normal((X.shape[0], w.shape[0])) for w in W]  # h_0 .. h_L
    grad_a = [rng.standard_normal((X.shape[0], w.shape[0])) for w in W]  # grad_a_1 .. grad_a_L

    def run() -> None:
        for k in range(L):
            h[k] @ W[k].T
        for k in range(L - 1, -1, -1):
            grad_a[k].T @ h[k]
            grad_a[k] @ W[k]

    return run


def reference_mlp_step(X: Array, Y: Array, W: list[Array], b: list[Array], eta: float) -> Callable[[], None]:
    """A minimal hand-written MLP step: tanh, tanh, softmax + cross-entropy, SGD."""
    N = X.shape[0]

    def run() -> None:
        h1 = np.tanh(X @ W[0].T + b[0])
        h2 = np.tanh(h1 @ W[1].T + b[1])
        a3 = h2 @ W[2].T + b[2]
        shifted = a3 - a3.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        _loss = -(Y * (shifted - np.log(s))).sum() / N
        g3 = (e / s - Y) / N
        g2 = (g3 @ W[2]) * (1.0 - h2 * h2)
        g1 = (g2 @ W[1]) * (1.0 - h1 * h1)
        W[2] -= eta * (g3.T @ h2)
        b[2] -= eta * g3.sum(axis=0)
        W[1] -= eta * (g2.T @ h1)
        b[1] -= eta * g2.sum(axis=0)
        W[0] -= eta * (g1.T @ X)
        b[0] -= eta * g1.sum(axis=0)

    return run


def minor_faults_per_call(fn: Callable[[], object], calls: int = 5) -> float:
    """Page faults (first touches of fresh memory) per call, from getrusage."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


def bench_shape(
    sizes: tuple[int, ...], batch: int, activation: str, repeats: int, with_reference: bool
) -> tuple[list[float], list[float]]:
    """Medians (ns) of: the core's training step, its matrix products alone, [the reference step];
    and the page faults per call of the first two."""
    rng = np.random.default_rng(0)
    config = NetworkConfig.build(list(sizes), activation, output="softmax", loss="cross_entropy", seed=0)
    network = Network.create(config)
    X = rng.standard_normal((batch, sizes[0]))
    targets = encode_targets(rng.integers(0, sizes[-1], size=batch), sizes[-1], config.loss)
    optimizer = Optimizer("sgd", eta=1e-3)
    fns: list[Callable[[], object]] = [
        lambda: train_step(network, X, targets, optimizer),
        matmuls_of_step(network, X),
    ]
    if with_reference:
        ref_net = network.copy()
        fns.append(reference_mlp_step(X, targets.Y, ref_net.W, ref_net.b, optimizer.eta))
    medians = interleaved_medians(fns, repeats, warmup=max(3, repeats // 10))
    return medians, [minor_faults_per_call(fn) for fn in fns[:2]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the repeats")
    args = parser.parse_args()
    scale = 10 if args.quick else 1

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"numpy {np.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPU(s), load average {load}")
    print("one training step = ffnn_core.train_step (forward + backward + SGD update); medians")
    print(
        f"{'sizes':<24}{'batch':>6}{'g':>6}{'repeats':>9}{'step':>13}{'matmuls':>13}{'ratio':>8}"
        f"{'page faults/call':>22}"
    )
    results: list[list[float]] = []
    for i, (sizes, batch, activation, repeats) in enumerate(SHAPES):
        n = max(5, repeats // scale)
        medians, faults = bench_shape(sizes, batch, activation, n, with_reference=i == 0)
        results.append(medians)
        step, mm = medians[0], medians[1]
        print(
            f"{list(sizes)!s:<24}{batch:>6}{activation:>6}{n:>9}{step / 1e3:>10.1f} us{mm / 1e3:>10.1f} us"
            f"{step / mm:>8.2f}{faults[0]:>12.0f} /{faults[1]:>8.0f}"
        )

    small_step, _, ref = results[0]
    print(f"reference: minimal hand-written vectorised MLP step, [2, 8, 8, 2] batch 32: {ref / 1e3:.1f} us")
    print(
        f"target [2, 8, 8, 2] batch 32 < {SMALL_TARGET_US:.0f} us: {small_step / 1e3:.1f} us "
        f"({'met' if small_step / 1e3 < SMALL_TARGET_US else 'MISSED'}; {small_step / ref:.2f}x the reference)"
    )
    for i in (LARGEST, LARGEST + 1):
        ratio = results[i][0] / results[i][1]
        print(
            f"target [1024, 1024, 1024, 10] batch 512 ({SHAPES[i][2]}) <= {LARGE_TARGET_RATIO}x its matmuls: "
            f"{ratio:.2f}x ({'met' if ratio <= LARGE_TARGET_RATIO else 'MISSED'})"
        )
    A = np.random.default_rng(0).standard_normal((512, 1024))
    tanh = interleaved_medians([lambda: np.tanh(A)], max(5, 30 // scale), 3)[0]
    print(
        f"for scale: np.tanh of one (512, 1024) hidden layer takes {tanh / 1e6:.1f} ms; the tanh step "
        f"evaluates it twice ({2 * tanh / results[LARGEST][1]:.2f}x of the matmul time on its own)"
    )


if __name__ == "__main__":
    main()
