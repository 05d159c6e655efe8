"""What persistence adds to a step.

1. In process: the cost of one save (the binary record and the SQLite transaction that writes
   it, in the thread the store uses) for networks from a lesson's size up to the largest the
   server allows.
2. Over HTTP: the latency of POST .../step against two servers started here on loopback (one
   worker each), one with networks in memory and one with the SQLite store (the default), same
   network, same requests; back to back and paced (as people click).

    .venv/bin/python benchmarks/bench_persistence.py [--steps 1000] [--pause 0.02]

Loopback only; every loop is bounded by --steps.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from load_classroom import start_server  # same folder: benchmarks/

from app import records
from app.backends import Loaded
from app.persistence import FILENAME, SqliteBackend
from app.store import DatasetSpec
from ffnn_core import Network, NetworkConfig

ROOT = Path(__file__).resolve().parents[1]
SIZES = ([2, 4, 2], [2, 16, 16, 2], [64, 32, 10], [64, 128, 128, 10], [256, 256, 128, 10])


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def in_process(repeats: int) -> None:
    print(f"1. One save in process, median of {repeats} (microseconds), in the thread the store uses.")
    print("   The binary record (app.records), then one SQLite transaction writing it under the lease.")
    header = f"{'sizes':22s} {'params':>7s} {'record':>7s} | {'encode':>7s} {'write':>7s} {'total':>7s}"
    print(f"   {header}")
    with tempfile.TemporaryDirectory() as tmp:
        backend = SqliteBackend(Path(tmp) / FILENAME)
        for sizes in SIZES:
            network = Network.create(NetworkConfig.build(sizes, "tanh", seed=0))
            spec = DatasetSpec("xor").as_dict()
            network_id = "0" * 32
            backend.insert(network_id, records.encode(network, spec), time.time(), None)
            loaded = backend.acquire(network_id, "bench:1", 60.0, None, 0.0)
            assert isinstance(loaded, Loaded)
            version = loaded.version
            t_encode, t_write = [], []
            for i in range(repeats):
                network.W[0][0, 0] += 1e-3 * i  # a new record each time, as after a step
                t0 = time.perf_counter()
                record = records.encode(network, spec)
                t1 = time.perf_counter()
                written = backend.write(network_id, "bench:1", version, record, 60.0)
                assert isinstance(written, int), written
                version = written
                t2 = time.perf_counter()
                t_encode.append(t1 - t0)
                t_write.append(t2 - t1)
            backend.delete(network_id)
            enc, write = (statistics.median(t) * 1e6 for t in (t_encode, t_write))
            size = len(records.encode(network, spec)) / 1024
            print(
                f"   {sizes!s:22s} {network.config.n_parameters:7d} {size:5.0f}kB | "
                f"{enc:7.0f} {write:7.0f} {enc + write:7.0f}"
            )
        backend.close()


def _serve(persist: bool, data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    process, port = start_server(persist, data_dir)
    return process, f"http://127.0.0.1:{port}/api/v1"


def over_http(steps: int, pause: float) -> None:
    pacing = f"{pause * 1e3:.0f} ms between steps" if pause else "back to back"
    print(f"\n2. POST .../step over loopback, {steps} steps per network and server, {pacing} (milliseconds)")
    print("   Both servers run at once and take turns, so both see the same machine load.")
    print(f"   {'network':22s} {'persistence':12s} {'p50':>7s} {'p99':>7s} {'mean':>7s}")
    cases = (
        ("[2, 4, 2] xor", {"sizes": [2, 4, 2], "dataset": {"name": "xor"}}, {"rows": [0, 1, 2, 3]}),
        ("[64, 32, 10] digits", {"sizes": [64, 32, 10], "dataset": {"name": "digits"}}, {"rows": list(range(16))}),
        ("[64, 128, 128, 10]", {"sizes": [64, 128, 128, 10], "dataset": {"name": "digits"}}, {"rows": [0, 1]}),
    )
    with tempfile.TemporaryDirectory() as off_dir, tempfile.TemporaryDirectory() as on_dir:
        servers = {"off": _serve(False, off_dir), "on": _serve(True, on_dir)}
        try:
            with httpx.Client(timeout=30) as client:
                for name, create, rows in cases:
                    body = {**rows, "optimizer": {"name": "adam", "eta": 0.001}}
                    urls = {}
                    for mode, (_, url) in servers.items():
                        network_id = client.post(url + "/networks", json=create).json()["id"]
                        urls[mode] = f"{url}/networks/{network_id}/step"
                    times: dict[str, list[float]] = {mode: [] for mode in servers}
                    for i in range(min(50, steps) + steps):  # the first 50 warm up
                        for mode, url in urls.items():
                            t0 = time.perf_counter()
                            response = client.post(url, json=body)
                            elapsed = (time.perf_counter() - t0) * 1e3
                            response.raise_for_status()
                            if i >= min(50, steps):
                                times[mode].append(elapsed)
                            time.sleep(pause)
                    for mode, values in times.items():
                        print(
                            f"   {name:22s} {mode:12s} {percentile(values, 50):7.2f} "
                            f"{percentile(values, 99):7.2f} {statistics.fmean(values):7.2f}"
                        )
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000, help="steps per network over HTTP (default 1000)")
    parser.add_argument("--pause", type=float, default=0.02, help="seconds between paced steps (default 0.02)")
    parser.add_argument("--repeats", type=int, default=200, help="saves per size in process (default 200)")
    args = parser.parse_args()
    in_process(args.repeats)
    over_http(args.steps, 0.0)  # worst case: a network's next change waits for its previous one
    over_http(args.steps, args.pause)  # like people: each change is written before the next


if __name__ == "__main__":
    main()
