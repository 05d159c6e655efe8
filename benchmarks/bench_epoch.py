"""Time one epoch of ffnn_core.train as the server's Play stream calls it, once per frame.

Run:  python benchmarks/bench_epoch.py   (--repeats N, default 2000; --clock wall)

The call (app/training_loop.py): ``train(network, X_train, y_train, epochs=1, batch_size=...,
optimizer=..., X_test=..., y_test=..., should_stop=...)`` on a [2, 8, 8, 2] tanh network, moons
(the registry's defaults: 150 train and 50 test points), batch size N_train / 10 (10 minibatches),
plain SGD eta 0.1. Every timed epoch starts from the same network, trained for --start epochs
beforehand (the time of an epoch depends on how saturated the layers are), copied outside the timing.
Printed: the median per epoch, and the medians of its parts, timed alone on that network (the parts
overlap the epoch: they are a breakdown, not a sum). BLAS runs on one thread.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ffnn_core import Network, NetworkConfig, Optimizer, encode_targets, train
from ffnn_core.datasets import make_dataset
from ffnn_core.divergence import SgdBound
from ffnn_core.training import evaluate


def median_us(fn: Callable[[Network], object], start_from: Network, repeats: int, clock: Callable[[], int]) -> float:
    """Median time of fn(a fresh copy of start_from)."""
    times = []
    for i in range(max(3, repeats // 10) + repeats):
        network = start_from.copy()
        start = clock()
        fn(network)
        if i >= repeats // 10:
            times.append(clock() - start)
    return statistics.median(times) / 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--start", type=int, default=100, help="epochs trained before the timed one")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = parser.parse_args()
    clock = time.thread_time_ns if args.clock == "cpu" else time.perf_counter_ns
    data = make_dataset("moons", seed=0)
    network = Network.create(NetworkConfig.build([2, 8, 8, 2], "tanh", seed=0))
    optimizer = Optimizer("sgd", eta=0.1)
    batch_size = max(1, len(data.X_train) // 10)

    def epoch(network: Network) -> object:
        return train(
            network, data.X_train, data.y_train, epochs=1, batch_size=batch_size, optimizer=optimizer,
            X_test=data.X_test, y_test=data.y_test, should_stop=lambda: False,
        )  # fmt: skip

    for _ in range(args.start):
        epoch(network)
    cfg = network.config
    train_targets = encode_targets(data.y_train, cfg.sizes[-1], cfg.loss, cfg.output)
    test_targets = encode_targets(data.y_test, cfg.sizes[-1], cfg.loss, cfg.output)
    parts: dict[str, Callable[[Network], object]] = {
        "evaluate train": lambda net: evaluate(net, data.X_train, train_targets),
        "evaluate test": lambda net: evaluate(net, data.X_test, test_targets),
        "SgdBound.start": lambda net: SgdBound.start(net, data.X_train),
        "shuffle": lambda net: np.random.default_rng([0, net.epoch]).permutation(len(data.X_train)),
    }
    print(f"timed from epoch {network.epoch}, loss {evaluate(network, data.X_train, train_targets).loss:.17g}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"numpy {np.__version__}, load average {load}, {args.repeats} repeats ({args.clock} time)")
    print(f"[2, 8, 8, 2] tanh moons, {len(data.X_train)} train / {len(data.X_test)} test, batch {batch_size}")
    with threadpool_limits(limits=1, user_api="blas"):
        print(f"{'one epoch of train':<22}{median_us(epoch, network, args.repeats, clock):>9.1f} us")
        for name, fn in parts.items():
            print(f"  {name:<20}{median_us(fn, network, args.repeats, clock):>9.1f} us")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
