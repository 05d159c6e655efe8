"""What persistence adds to a step.

1. In process: the cost of one save (the store's export document, handing it over, and in the
   writer thread the JSON encoding and the SQLite commit) for networks from a lesson's size up
   to the largest the server allows.
2. Over HTTP: the latency of POST .../step against two servers started here on loopback, one
   with persistence off and one with it on (the default), same network, same requests; back to
   back (each step's save may wait for the previous one) and paced (as people click).

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

from app.persistence import FILENAME, SqlitePersistence, encode
from app.store import DatasetSpec, Entry
from ffnn_core import Network, NetworkConfig

ROOT = Path(__file__).resolve().parents[1]
SIZES = ([2, 4, 2], [2, 16, 16, 2], [64, 32, 10], [64, 128, 128, 10], [256, 256, 128, 10])


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def in_process(repeats: int) -> None:
    print(f"1. One save in process, median of {repeats} (microseconds).")
    print("   On the event loop: the store's export document, then handing it to the writer thread.")
    print("   In the writer thread, not waited for by the request: JSON encoding and the SQLite commit.")
    header = f"{'sizes':22s} {'params':>7s} {'JSON':>7s} | {'document':>9s} {'save()':>7s} {'on loop':>8s}"
    print(f"   {header} | {'written':>8s}")
    with tempfile.TemporaryDirectory() as tmp:
        store = SqlitePersistence(Path(tmp) / FILENAME)
        for sizes in SIZES:
            network = Network.create(NetworkConfig.build(sizes, "tanh", seed=0))
            entry = Entry("0" * 32, network, DatasetSpec("xor"), time.time())
            t_doc, t_save, t_write = [], [], []
            for i in range(repeats):
                network.W[0][0, 0] += 1e-3 * i  # a new document each time, as after a step
                t0 = time.perf_counter()
                document = entry.document()
                t1 = time.perf_counter()
                store.save(entry.id, document, time.time())
                t2 = time.perf_counter()
                store.flush()
                t3 = time.perf_counter()
                t_doc.append(t1 - t0)
                t_save.append(t2 - t1)
                t_write.append(t3 - t2)
            doc, save, write = (statistics.median(t) * 1e6 for t in (t_doc, t_save, t_write))
            size = len(encode(entry.document())) / 1024
            print(
                f"   {sizes!s:22s} {network.config.n_parameters:7d} {size:5.0f}kB | {doc:9.0f} {save:7.0f} "
                f"{doc + save:8.0f} | {write:8.0f}"
            )
        store.close()


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
