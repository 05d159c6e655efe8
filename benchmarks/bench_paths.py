"""Time ``ffnn_core.paths`` (every path from one weight to the loss) and ``derive`` at the server's limits.

Run:  python benchmarks/bench_paths.py

The paths answer lists at most MAX_PATHS = 1000 paths. Small path sets are enumerated (count x N
<= ENUMERATE_LIMIT); larger ones are searched (best-first, exact), so the time should stay bounded
however many paths there are. Each case prints the number of paths, the method, the median time of
``paths`` (backward pass excluded) and of ``derive`` for the same weight's grad_W entry. The machine
may be shared: the load average is printed with the figures.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from ffnn_core import Network, NetworkConfig, backward
from ffnn_core.derivation import derive
from ffnn_core.paths import MAX_PATHS, paths

# (sizes, N): the [2,3,3,2] network of the issue, a deep thin one, and shapes at the default limits
# (max_width 256, max_layers 10, max_parameters 100,000, max_batch 1000).
CASES = [
    ([2, 3, 3, 2], 1),
    ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 1),
    ([2, 10, 10, 10, 3], 1000),
    ([2, 100, 100, 100, 100, 100, 100, 100, 100, 100, 10], 1),
    ([2, 100, 100, 100, 100, 100, 100, 100, 100, 100, 10], 1000),
    ([256, 256, 128, 10], 1000),
]
REPEATS = 5


def median_seconds(fn: object, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    print(f"load average: {os.getloadavg()}")
    print(f"{'sizes':<48} {'N':>5} {'paths':>12} {'method':>9} {'paths ms':>9} {'derive ms':>9}")
    for sizes, N in CASES:
        net = Network.create(NetworkConfig.build(sizes, "tanh", output="softmax" if sizes[-1] > 1 else "sigmoid"))
        rng = np.random.default_rng(0)
        X = rng.normal(size=(N, sizes[0]))
        y = rng.integers(0, max(sizes[-1], 2), size=N)
        trace = backward(net, X, y)
        result = paths(net, trace, 1, 0, 0, max_paths=MAX_PATHS)
        t_paths = median_seconds(lambda: paths(net, trace, 1, 0, 0, max_paths=MAX_PATHS))  # noqa: B023
        t_derive = median_seconds(lambda: derive(net, trace, "grad_W", 1, [0, 0]))  # noqa: B023
        assert abs(result.total - result.grad_W) <= 1e-9 * max(1.0, abs(result.grad_W))
        label = str(sizes) if len(str(sizes)) <= 48 else f"{str(sizes)[:44]}...]"
        count = f"{result.count:.3g}" if result.count >= 1e6 else str(result.count)
        print(f"{label:<48} {N:>5} {count:>12} {result.ranked_by:>9} {1e3 * t_paths:>9.1f} {1e3 * t_derive:>9.2f}")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
