"""A class of students on one server: each opens the page, creates a network on a small dataset,
then alternates forward / backward / step / train with think time, for a fixed duration.

    .venv/bin/python benchmarks/load_classroom.py                 # 100 students, 60 s
    .venv/bin/python benchmarks/load_classroom.py --students 30 --duration 20

By default it starts its own server (`python -m app.cli serve`, one process, persistence on in
a temporary data directory) on 127.0.0.1 and reports, per operation, the number of requests,
errors, and latency percentiles, then the server's peak memory (VmHWM from /proc) and CPU time.
``--url`` points it at a running server instead (loopback addresses only; no memory figures).

Bounded: it stops after --duration seconds or --max-requests requests, whichever comes first,
and every request has a timeout. The client is a minimal HTTP/1.1 keep-alive client on asyncio
(one connection per student, like a browser tab), so that it takes as little of the machine's
CPU from the server as possible; its own CPU time is reported too.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
API = "/api/v1"
REQUEST_TIMEOUT_S = 30.0
STEP_OPERATIONS = ("forward", "backward", "step")
TARGET_P99_MS = 100.0
TRAIN_ROWS = 100  # every dataset below has at least this many training rows

# Small networks on small datasets, as in the lessons; each student gets one at random.
NETWORKS: tuple[dict[str, Any], ...] = (
    {"sizes": [2, 8, 2], "activation": "tanh", "dataset": {"name": "xor", "n": 200}},
    {"sizes": [2, 8, 8, 2], "activation": "relu", "init": "he", "dataset": {"name": "moons", "n": 200}},
    {"sizes": [2, 16, 2], "activation": "sigmoid", "dataset": {"name": "circles", "n": 200}},
    {"sizes": [2, 8, 3], "activation": "tanh", "dataset": {"name": "blobs", "n": 300}},
    {"sizes": [4, 8, 3], "activation": "tanh", "dataset": {"name": "iris"}},
)


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive HTTP/1.1 connection; requests on it go one at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None and self.writer is not None
        payload = b"" if body is None else json.dumps(body).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept-Encoding: gzip\r\n"
            f"Content-Length: {len(payload)}\r\n"
        )
        if body is not None:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + payload)
        try:
            status_line = await self.reader.readline()
            if not status_line:
                raise HttpError("connection closed by the server")
            status = int(status_line.split(b" ", 2)[1])
            length, close = None, False
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value.strip())
                elif name == b"transfer-encoding":
                    raise HttpError("chunked responses are not handled by this client")
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            data = await self.reader.readexactly(length) if length else b""
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    step_times: list[tuple[float, float]] = field(default_factory=list)  # (start, ms) of forward/backward/step
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    requests: int = 0


class Budget:
    """Shared stop condition: the deadline or the request cap."""

    def __init__(self, duration: float, max_requests: int) -> None:
        self.deadline = time.monotonic() + duration
        self.remaining = max_requests

    def take(self) -> bool:
        if self.remaining <= 0 or time.monotonic() >= self.deadline:
            return False
        self.remaining -= 1
        return True


async def call(
    conn: Connection,
    stats: Stats,
    budget: Budget,
    op: str,
    method: str,
    path: str,
    body: Any = None,
    expect: int = 200,
) -> Any:
    """One timed request; returns the decoded JSON body, or None on error or when out of budget."""
    if not budget.take():
        return None
    stats.requests += 1
    start = time.perf_counter()
    try:
        status, data = await asyncio.wait_for(conn.request(method, path, body), REQUEST_TIMEOUT_S)
    except (TimeoutError, OSError, HttpError, asyncio.IncompleteReadError) as exc:
        stats.errors[op] += 1
        if len(stats.error_samples) < 10:
            stats.error_samples.append(f"{op}: {type(exc).__name__}: {exc}")
        return None
    elapsed_ms = (time.perf_counter() - start) * 1e3
    stats.latencies[op].append(elapsed_ms)
    if op in STEP_OPERATIONS:
        stats.step_times.append((start, elapsed_ms))
    if status != expect:
        stats.errors[op] += 1
        if len(stats.error_samples) < 10:
            stats.error_samples.append(f"{op}: HTTP {status}: {data[:200]!r}")
        return None
    return json.loads(data) if data and data[:1] in (b"{", b"[") else data


async def student(index: int, host: str, port: int, stats: Stats, budget: Budget, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed * 1_000_003 + index)
    await asyncio.sleep(rng.uniform(0.0, args.join_seconds))  # the class opens the page over a few seconds
    conn = Connection(host, port)
    try:
        if not args.no_page:
            html = await call(conn, stats, budget, "page", "GET", "/")
            for path in page_assets(html if isinstance(html, bytes) else b""):
                await call(conn, stats, budget, "assets", "GET", path)
            for path in ("/meta", "/datasets", "/lessons"):
                await call(conn, stats, budget, "metadata", "GET", API + path)
        config: dict[str, Any] = {**rng.choice(NETWORKS), "seed": index}
        network = await call(conn, stats, budget, "create", "POST", API + "/networks", config, expect=201)
        if network is None:
            return
        base = f"{API}/networks/{network['id']}"
        optimizer = {"name": rng.choice(["sgd", "momentum", "adam"]), "eta": 0.05}
        cycle = ("forward", "backward", "step", "train")
        i = 0
        while time.monotonic() < budget.deadline and budget.remaining > 0:
            await asyncio.sleep(rng.uniform(args.think_min, args.think_max))
            op = cycle[i % len(cycle)]
            i += 1
            rows = rng.sample(range(TRAIN_ROWS), rng.randint(1, 16))
            if op == "train":
                body: dict[str, Any] = {"epochs": args.train_epochs, "batch_size": 16, "optimizer": optimizer}
            elif op == "step":
                body = {"rows": rows, "optimizer": optimizer}
            else:
                body = {"rows": rows}
            await call(conn, stats, budget, op, "POST", f"{base}/{op}", body)
    finally:
        conn.close()


def page_assets(html: bytes) -> list[str]:
    """What a browser fetches for the page: every /static file it names (styles, scripts, the
    Plotly.js bundle) and, from our own files, the JavaScript modules they import."""
    found: list[str] = []
    todo = [m.decode() for m in re.findall(rb'(?:src|href)="(/static/[^"]+)"', html)]
    while todo:
        path = todo.pop(0)
        if path in found:
            continue
        found.append(path)
        local = ROOT / path.lstrip("/")
        if path.endswith(".js") and "/vendor/" not in path and local.is_file():
            for module in re.findall(r'(?:from|import)\s*"(\.{1,2}/[^"]+)"', local.read_text()):
                todo.append(os.path.normpath(PurePosixPath(path).parent / module))
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(persist: bool, data_dir: str, workers: int = 1) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BACKPROP_")}
    env.update(BACKPROP_PERSIST="1" if persist else "0", BACKPROP_DATA_DIR=data_dir)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit("the server did not start") from None
            time.sleep(0.1)


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[rank]


async def run(host: str, port: int, args: argparse.Namespace) -> tuple[Stats, float]:
    stats = Stats()
    budget = Budget(args.duration, args.max_requests)
    start = time.monotonic()
    tasks = [asyncio.create_task(student(i, host, port, stats, budget, args)) for i in range(args.students)]
    await asyncio.wait_for(asyncio.gather(*tasks), args.duration + REQUEST_TIMEOUT_S + args.join_seconds + 10)
    return stats, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap on all requests (default 100000)")
    parser.add_argument("--think-min", type=float, default=0.5, help="seconds between a student's requests")
    parser.add_argument("--think-max", type=float, default=2.0)
    parser.add_argument("--join-seconds", type=float, default=5.0, help="students arrive over this many seconds")
    parser.add_argument("--train-epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-page", action="store_true", help="skip loading the page, Plotly.js and metadata")
    parser.add_argument("--no-persist", action="store_true", help="start the server with persistence off")
    parser.add_argument("--url", help="a running server on a loopback address (default: start one here)")
    args = parser.parse_args()

    process = None
    with tempfile.TemporaryDirectory() as data_dir:
        if args.url:
            parts = urlsplit(args.url)
            host = parts.hostname or ""
            if not (host == "localhost" or ipaddress.ip_address(host).is_loopback):
                raise SystemExit(f"refusing {host!r}: this load test only targets loopback addresses")
            port = parts.port or 80
        else:
            process, port = start_server(not args.no_persist, data_dir)
            host = "127.0.0.1"
        try:
            rss_start = proc_status(process.pid) if process else {}
            cpu_start = proc_cpu_seconds(process.pid) if process else 0.0
            client_start = resource.getrusage(resource.RUSAGE_SELF)
            load_before = os.getloadavg()[0]
            stats, elapsed = asyncio.run(run(host, port, args))
            load_after = os.getloadavg()[0]
            client_end = resource.getrusage(resource.RUSAGE_SELF)
            rss_end = proc_status(process.pid) if process else {}
            cpu_server = proc_cpu_seconds(process.pid) - cpu_start if process else 0.0
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=15)

    client_cpu = (client_end.ru_utime - client_start.ru_utime) + (client_end.ru_stime - client_start.ru_stime)
    print(
        f"{args.students} students, {elapsed:.1f} s, think time {args.think_min}-{args.think_max} s, "
        f"train {args.train_epochs} epochs; server: {'started here' if process else args.url}, "
        f"persistence {'off' if args.no_persist else 'on'}"
    )
    print(f"{'operation':10s} {'requests':>8s} {'errors':>6s} {'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}")
    total_errors = 0
    worst_step_p99 = 0.0
    order = ["page", "assets", "metadata", "create", "forward", "backward", "step", "train"]
    for op in order:
        values = stats.latencies.get(op, [])
        errors = stats.errors.get(op, 0)
        total_errors += errors
        if not values and not errors:
            continue
        p50, p99, worst = (percentile(values, 50), percentile(values, 99), max(values)) if values else (0, 0, 0)
        if op in STEP_OPERATIONS:
            worst_step_p99 = max(worst_step_p99, p99)
        print(f"{op:10s} {len(values) + errors:8d} {errors:6d} {p50:8.1f} {p99:8.1f} {worst:8.1f}")
    if stats.step_times:
        first = min(t for t, _ in stats.step_times)
        windows: dict[int, list[float]] = defaultdict(list)
        for t, ms in stats.step_times:
            windows[int((t - first) // 10)].append(ms)
        print(
            "forward/backward/step p99 per 10 s:",
            " ".join(f"{percentile(w, 99):.0f}" for _, w in sorted(windows.items())),
            "ms",
        )
    print(f"all: {stats.requests} requests ({stats.requests / elapsed:.0f}/s), {total_errors} errors")
    for sample in stats.error_samples:
        print("  error:", sample)
    if process is not None:
        peak, at_start, at_end = (kb / 1024 for kb in (rss_end["VmHWM"], rss_start["VmRSS"], rss_end["VmRSS"]))
        print(
            f"server: peak RSS (VmHWM) {peak:.0f} MB (at start {at_start:.0f} MB, at end {at_end:.0f} MB); "
            f"CPU {cpu_server:.1f} s = {100 * cpu_server / elapsed:.0f}% of one core"
        )
    print(f"client: CPU {client_cpu:.1f} s = {100 * client_cpu / elapsed:.0f}% of one core")
    print(f"machine: {os.cpu_count()} cores, load average (1 min) {load_before:.1f} before, {load_after:.1f} after")
    verdict = "met" if worst_step_p99 < TARGET_P99_MS and total_errors == 0 else "NOT met"
    print(
        f"target (zero errors, p99 < {TARGET_P99_MS:.0f} ms for forward/backward/step): {verdict} "
        f"(worst p99 {worst_step_p99:.1f} ms)"
    )
    if verdict != "met":
        sys.exit(1)


if __name__ == "__main__":
    main()
