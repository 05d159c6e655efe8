"""A class presses Play at once (not a test): N students each create a [2, 8, 8, 2] tanh network on
moons and open the page's Play stream (POST .../train/stream with pace_ms 30 and a snapshot of a
36x36 decision surface and one traced example, as static/js/main.js sends it). Meanwhile a probe
sends a backward pass (batch 32) every 50 ms on a network of its own.

Prints frames (snapshot events) per second per student, median and minimum, the total, and the
probe's p50/p99, for each --workers setting in the same run (default: 1 and 2), with the load
average. Targets on a 2-core machine: 2 workers deliver >= 1.8x the frames of 1; no student below
half the median; 30 students >= 20 frames/s each with 2 workers; probe p99 < 100 ms.

    .venv/bin/python benchmarks/play_storm.py [--students 30] [--seconds 10] [--workers 1 2] [--unpinned]

Each server is started here on 127.0.0.1 (`backprop-lab serve --workers W`, networks in an SQLite
file in a temporary folder; the storm starts once every worker listens) and stopped at the end;
every stream is closed after the measurement. The client is one asyncio process on the same
machine (same cores, normal priority): a lean HTTP/1.1 client that reads every byte of every
stream but only counts the `event: snapshot` lines in them (it parses no JSON).

A second line per setting gives CPU time inside the measurement window, from /proc/<pid>/stat:
each worker's (with its established connections at mid-window, from /proc/net/tcp), the server's
total and this client's, and both per frame (CPU seconds / frames). CPU per frame depends little
on what else runs on the machine, unlike frames/s: use it to compare versions on a busy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
API = "/api/v1"
PLAY = {
    "epochs": 1000,
    "batch_size": 16,
    "optimizer": {"name": "sgd", "eta": 0.1},
    "pace_ms": 30,
    "snapshot": {"surface_resolution": 36, "trace": {"rows": [0], "split": "train"}},
}
PROBE_EVERY_S = 0.05


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def start_server(
    workers: int, data_dir: str, log: IO[bytes], unpinned: bool = False
) -> tuple[subprocess.Popen[bytes], int]:
    """The server, its stderr (and stdout) going to ``log`` (its tail is printed if the run fails);
    ``unpinned``: its workers not held to a CPU each (BACKPROP_PIN_WORKERS=0; app/cpu_claims.py)."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BACKPROP_")}
    env.update(BACKPROP_DATA_DIR=data_dir, BACKPROP_MAX_STREAMS="200", BACKPROP_PIN_WORKERS="0" if unpinned else "1")
    cmd = [sys.executable, "-m", "app.cli", "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            status, _ = asyncio.run(request("GET", port, f"{API}/meta"))
            if status == 200:
                return process, port
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.2)


def worker_pids(server: subprocess.Popen[bytes]) -> list[int]:
    """The processes that serve requests: uvicorn's workers (spawned by multiprocessing under its
    supervisor), or the server itself with one worker. A child that exits while it is read is left
    out (e.g. the supervisor's multiprocessing helper right after start-up)."""
    children = []
    for task in Path(f"/proc/{server.pid}/task").iterdir():
        with contextlib.suppress(OSError):
            children += [int(pid) for pid in (task / "children").read_text().split()]
    workers = []
    for pid in children:
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers.append(pid)
    return workers or [server.pid]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tcp_sockets(pid: int, port: int, state: str) -> int:
    """TCP sockets on ``port`` in ``state`` (/proc/net/tcp: "01" established, i.e. the clients this
    process accepted; "0A" listening) whose file descriptor this process holds."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == state and cols[9] in inodes:
            count += 1
    return count


def wait_listening(server: subprocess.Popen[bytes], workers: int, port: int) -> list[int]:
    """The worker pids once every worker listens (with one socket per worker, a worker that has not
    started yet would get no connections; the shared socket of a single worker is held by the
    server). The pids are read again while waiting: a process that vanished is not a worker."""
    deadline = time.monotonic() + 60
    while True:
        pids = worker_pids(server)
        try:
            if len(pids) == (workers if workers > 1 else 1) and all(tcp_sockets(pid, port, "0A") for pid in pids):
                return pids
        except FileNotFoundError:  # /proc/<pid>/fd of a process that exited meanwhile
            pass
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"not every worker listens after 60 s (workers found: {pids})")
        time.sleep(0.1)


def _request_bytes(method: str, path: str, body: Any = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return status, await reader.readexactly(length)


async def request(method: str, port: int, path: str, body: Any = None) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(_request_bytes(method, path, body))
        return await _read_response(reader)
    finally:
        writer.close()


async def create(port: int) -> str:
    body = {"sizes": [2, 8, 8, 2], "activation": "tanh", "seed": 0, "dataset": {"name": "moons"}}
    status, answer = await request("POST", port, f"{API}/networks", body)
    if status != 201:
        raise RuntimeError(f"create: {status} {answer[:200]!r}")
    network_id: str = json.loads(answer)["id"]
    return network_id


async def student(port: int, network_id: str, start: asyncio.Event, window: tuple[float, float]) -> int:
    """Opens the Play stream; counts snapshot events that arrive inside the measurement window."""
    await start.wait()
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(_request_bytes("POST", f"{API}/networks/{network_id}/train/stream", PLAY))
    frames = 0
    tail = b""
    try:
        await reader.readuntil(b"\r\n\r\n")
        while time.monotonic() < window[1]:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), timeout=window[1] - time.monotonic() + 0.01)
            except TimeoutError:
                break
            if not chunk:
                break
            data = tail + chunk
            if window[0] <= time.monotonic():
                frames += data.count(b"event: snapshot") - tail.count(b"event: snapshot")
            tail = data[-32:]
    finally:
        writer.close()  # closing the stream stops its training
    return frames


async def probe(port: int, network_id: str, window: tuple[float, float]) -> list[float]:
    rng = np.random.default_rng(0)
    body = {"x": rng.normal(size=(32, 2)).tolist(), "y": rng.integers(0, 2, size=32).tolist()}
    reader, writer = await asyncio.open_connection(HOST, port)
    message = _request_bytes("POST", f"{API}/networks/{network_id}/backward", body)
    latencies = []
    try:
        while time.monotonic() < window[1]:
            t0 = time.monotonic()
            writer.write(message)
            status, _ = await _read_response(reader)
            if status != 200:
                raise RuntimeError(f"probe: status {status}")
            if t0 >= window[0]:
                latencies.append(time.monotonic() - t0)
            await asyncio.sleep(max(0.0, PROBE_EVERY_S - (time.monotonic() - t0)))
    finally:
        writer.close()
    return latencies


@dataclass
class Usage:
    """CPU seconds inside the measurement window, per server worker and for this client, and each
    worker's established connections at the window's middle."""

    worker_cpu: dict[int, float] = field(default_factory=dict)
    worker_connections: dict[int, int] = field(default_factory=dict)
    client_cpu: float = 0.0


async def measure_usage(pids: list[int], port: int, window: tuple[float, float], usage: Usage) -> None:
    await asyncio.sleep(max(0.0, window[0] - time.monotonic()))
    cpu_start = {pid: cpu_seconds(pid) for pid in pids}
    client_start = time.process_time()
    await asyncio.sleep(max(0.0, (window[0] + window[1]) / 2 - time.monotonic()))
    usage.worker_connections = {pid: tcp_sockets(pid, port, "01") for pid in pids}
    await asyncio.sleep(max(0.0, window[1] - time.monotonic()))
    usage.client_cpu = time.process_time() - client_start
    usage.worker_cpu = {pid: cpu_seconds(pid) - cpu_start[pid] for pid in pids}


async def storm(
    port: int, pids: list[int], students: int, seconds: float, warmup: float
) -> tuple[list[int], list[float], Usage]:
    ids = [await create(port) for _ in range(students)]
    probe_id = await create(port)
    start = asyncio.Event()
    now = time.monotonic()
    window = (now + warmup, now + warmup + seconds)
    usage = Usage()
    measuring = asyncio.create_task(measure_usage(pids, port, window, usage))
    tasks = [asyncio.create_task(student(port, network_id, start, window)) for network_id in ids]
    probing = asyncio.create_task(probe(port, probe_id, window))
    start.set()
    frames = await asyncio.gather(*tasks)
    await measuring
    return list(frames), await probing, usage


def _print_tail(log: IO[bytes], lines: int = 40) -> None:
    log.flush()
    log.seek(0)
    tail = log.read().decode(errors="replace").splitlines()[-lines:]
    print(f"--- the server's last {len(tail)} lines of output:", *tail, "---", sep="\n", file=sys.stderr, flush=True)


def run(workers: int, students: int, seconds: float, warmup: float, unpinned: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data_dir, tempfile.TemporaryFile() as log:
        server: subprocess.Popen[bytes] | None = None
        try:
            server, port = start_server(workers, data_dir, log, unpinned)
            pids = wait_listening(server, workers, port)
            load_before = os.getloadavg()[0]
            frames, latencies, usage = asyncio.run(storm(port, pids, students, seconds, warmup))
            load_after = os.getloadavg()[0]
        except BaseException:
            if server is not None and server.poll() is None:
                server.terminate()
                server.wait(timeout=30)
            _print_tail(log)
            raise
        server.terminate()
        server.wait(timeout=30)
    per_student = [f / seconds for f in frames]
    median = statistics.median(per_student)
    total_frames = max(sum(frames), 1)
    server_cpu = sum(usage.worker_cpu.values())
    result = {
        "median": median,
        "min": min(per_student),
        "total": sum(per_student),
        "below_half": sum(1 for f in per_student if f < median / 2),
        "p50": float(np.percentile(latencies, 50)) * 1000 if latencies else float("nan"),
        "p99": float(np.percentile(latencies, 99)) * 1000 if latencies else float("nan"),
        "server_ms_per_frame": server_cpu / total_frames * 1000,
        "client_ms_per_frame": usage.client_cpu / total_frames * 1000,
    }
    print(
        f"--workers {workers}: {students} students, frames/s per student median {median:.1f} min {result['min']:.1f} "
        f"(total {result['total']:.0f}/s, {result['below_half']:.0f} below half the median); probe backward p50 "
        f"{result['p50']:.1f} ms p99 {result['p99']:.1f} ms; load average {load_before:.2f} -> {load_after:.2f}",
        flush=True,
    )
    per_worker = ", ".join(
        f"{usage.worker_connections[pid]} connections {usage.worker_cpu[pid] / seconds:.0%} of a core" for pid in pids
    )
    print(
        f"    CPU in the window: server {server_cpu / seconds:.0%} of a core ({per_worker}), "
        f"this client {usage.client_cpu / seconds:.0%}; per frame: server {result['server_ms_per_frame']:.2f} ms, "
        f"client {result['client_ms_per_frame']:.2f} ms",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before the window opens")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--unpinned", action="store_true", help="workers not held to a CPU each (BACKPROP_PIN_WORKERS=0), for an A/B"
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()}", flush=True)
    results = {w: run(w, args.students, args.seconds, args.warmup, args.unpinned) for w in args.workers}
    if 1 in results and 2 in results:
        ratio = results[2]["total"] / max(results[1]["total"], 1e-9)
        print(f"2 workers deliver {ratio:.2f}x the frames of 1 (target >= 1.8x)")


if __name__ == "__main__":
    main()
