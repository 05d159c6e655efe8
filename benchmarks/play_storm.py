"""A class presses Play at once (not a test): N students each create a [2, 8, 8, 2] tanh network on
moons and open the page's Play stream (POST .../train/stream with pace_ms 30 and a snapshot of a
36x36 decision surface and one traced example, as static/js/main.js sends it). Meanwhile a probe
sends a backward pass (batch 32) every 50 ms on a network of its own.

Prints frames (snapshot events) per second per student, median and minimum, the total, and the
probe's p50/p99, for each --workers setting in the same run (default: 1 and 2), with the load
average. Targets on a 2-core machine: 2 workers deliver >= 1.8x the frames of 1; no student below
half the median; 30 students >= 20 frames/s each with 2 workers; probe p99 < 100 ms.

    .venv/bin/python benchmarks/play_storm.py [--students 30] [--seconds 10] [--workers 1 2]

Each server is started here on 127.0.0.1 (`backprop-lab serve --workers W`, networks in an SQLite
file in a temporary folder) and stopped at the end; every stream is closed after the measurement.
The client is a lean asyncio HTTP/1.1 client that only counts events, to take little CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def start_server(workers: int, data_dir: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BACKPROP_")}
    env.update(BACKPROP_DATA_DIR=data_dir, BACKPROP_MAX_STREAMS="200")
    cmd = [sys.executable, "-m", "app.cli", "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
            raise SystemExit("the server did not start")
        time.sleep(0.2)


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


async def storm(port: int, students: int, seconds: float, warmup: float) -> tuple[list[int], list[float]]:
    ids = [await create(port) for _ in range(students)]
    probe_id = await create(port)
    start = asyncio.Event()
    now = time.monotonic()
    window = (now + warmup, now + warmup + seconds)
    tasks = [asyncio.create_task(student(port, network_id, start, window)) for network_id in ids]
    probing = asyncio.create_task(probe(port, probe_id, window))
    start.set()
    frames = await asyncio.gather(*tasks)
    return list(frames), await probing


def run(workers: int, students: int, seconds: float, warmup: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as data_dir:
        server, port = start_server(workers, data_dir)
        try:
            load_before = os.getloadavg()[0]
            frames, latencies = asyncio.run(storm(port, students, seconds, warmup))
            load_after = os.getloadavg()[0]
        finally:
            server.terminate()
            server.wait(timeout=30)
    per_student = [f / seconds for f in frames]
    median = statistics.median(per_student)
    result = {
        "median": median,
        "min": min(per_student),
        "total": sum(per_student),
        "below_half": sum(1 for f in per_student if f < median / 2),
        "p50": float(np.percentile(latencies, 50)) * 1000 if latencies else float("nan"),
        "p99": float(np.percentile(latencies, 99)) * 1000 if latencies else float("nan"),
    }
    print(
        f"--workers {workers}: {students} students, frames/s per student median {median:.1f} min {result['min']:.1f} "
        f"(total {result['total']:.0f}/s, {result['below_half']:.0f} below half the median); probe backward p50 "
        f"{result['p50']:.1f} ms p99 {result['p99']:.1f} ms; load average {load_before:.2f} -> {load_after:.2f}",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before the window opens")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()}", flush=True)
    results = {w: run(w, args.students, args.seconds, args.warmup) for w in args.workers}
    if 1 in results and 2 in results:
        ratio = results[2]["total"] / max(results[1]["total"], 1e-9)
        print(f"2 workers deliver {ratio:.2f}x the frames of 1 (target >= 1.8x)")


if __name__ == "__main__":
    main()
