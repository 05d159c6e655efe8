"""How long the start-up audit of the stored networks takes (app/audit.py: headers only), against
reading and decoding every stored record in full, for many stored networks.

    .venv/bin/python benchmarks/bench_startup.py                 (1000 x [2,8,8,2] and 1000 x [64,256,256,10])
    .venv/bin/python benchmarks/bench_startup.py --networks 200 --sizes 64,256,256,10

Each store is an SQLite file in a temporary folder, written once; then the audit and the full
decode run alternately (--repeats times each, medians printed), with the OS page cache warm for
both (a cold disk would widen the gap: the audit reads a few KB per network, the full decode all
of it). Times are wall-clock and CPU (time.process_time); on a busy machine trust the CPU figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from app import audit, records
from app.persistence import FILENAME, SqliteBackend
from ffnn_core import Network, NetworkConfig


def _fill(path: Path, n: int, sizes: tuple[int, ...]) -> int:
    backend = SqliteBackend(path)
    record = records.encode(Network.create(NetworkConfig.build(sizes, "tanh", seed=1)), {"name": "moons"})
    for i in range(n):
        backend.insert(f"{i:032x}", record, 1e12, None)
    backend.close()
    return len(record)


def _full_decode(backend: SqliteBackend) -> int:
    conn = backend._connect()  # the benchmark reads the rows the way the first-use decode would
    count = 0
    for (record,) in conn.execute("SELECT record FROM networks"):
        records.decode(bytes(record))
        count += 1
    return count


def _timed(fn: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(n: int, sizes: tuple[int, ...], repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / FILENAME
        size = _fill(path, n, sizes)
        backend = SqliteBackend(path)
        audits, decodes = [], []
        for _ in range(repeats):
            audits.append(_timed(lambda: audit.audit(backend)))
            decodes.append(_timed(lambda: _full_decode(backend)))
        backend.close()
        file_mb = sum(f.stat().st_size for f in Path(folder).iterdir()) / 1e6

    def med(rows: list[tuple[float, float]], i: int) -> float:
        return statistics.median(r[i] for r in rows) * 1000

    print(
        f"{n} x {list(sizes)} ({size / 1000:.1f} KB each, file {file_mb:.0f} MB): "
        f"audit {med(audits, 0):.1f} ms wall / {med(audits, 1):.1f} ms CPU; "
        f"full decode {med(decodes, 0):.1f} ms wall / {med(decodes, 1):.1f} ms CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", type=int, default=1000, help="stored networks per store (default 1000)")
    parser.add_argument("--sizes", help="one shape, e.g. 64,256,256,10 (default: [2,8,8,2] and [64,256,256,10])")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, interleaved (default 3)")
    args = parser.parse_args()
    shapes = [tuple(int(n) for n in args.sizes.split(","))] if args.sizes else [(2, 8, 8, 2), (64, 256, 256, 10)]
    print(f"load average: {os.getloadavg()[0]:.2f}")
    for sizes in shapes:
        measure(args.networks, sizes, args.repeats)


if __name__ == "__main__":
    main()
