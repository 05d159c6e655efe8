"""Benchmark the backward operation over real HTTP (not a test).

Starts the server (uvicorn subprocess, 127.0.0.1, one worker, garbage-collection pause logging
on), creates a [2, 8, 8, 2] network, then POSTs .../backward with a batch of 32 (the answer
holds every per-layer array) using a lean asyncio HTTP/1.1 keep-alive client on raw sockets:

* sequentially, on one connection: p50 / p99 / mean latency;
* with 32 concurrent clients (one keep-alive connection each): requests per second.

Targets: p50 under 1 ms, over 2,000 requests/s. Every garbage-collection pause over 10 ms in
the server process is reported (BACKPROP_GC_LOG=1 makes the server log them).

    .venv/bin/python benchmarks/bench_api.py [--requests 5000] [--seconds 5] [--clients 32] [--httpx]

``--httpx`` also times httpx.Client on the same requests, to show that client's own overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SIZES = [2, 8, 8, 2]
BATCH = 32
EXPECTED_KEYS = {"a", "h", "y_hat", "y", "grad_a", "grad_h", "grad_W", "grad_b", "losses", "loss", "diverged"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def start_server(port: int, log_path: Path, cpu: int | None = None) -> subprocess.Popen[bytes]:
    # Networks in memory only (no persistence file); log garbage-collection pauses over 10 ms.
    env = {**os.environ, "BACKPROP_PERSIST": "0", "BACKPROP_GC_LOG": "1", "BACKPROP_GC_LOG_MS": "10"}
    cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", HOST, "--port", str(port)]
    cmd += ["--log-level", "warning", "--no-access-log"]
    log = log_path.open("wb")
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    if cpu is not None:
        os.sched_setaffinity(server.pid, {cpu})
    return server


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(base + "/api/v1/meta", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not answer in time")


def post_json(url: str, body: Any) -> Any:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


# --- a lean HTTP/1.1 keep-alive client --------------------------------------------------------


class Connection:
    """One keep-alive connection sending the same prepared request again and again."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> None:
        self.reader, self.writer, self.request = reader, writer, request

    @classmethod
    async def open(cls, port: int, request: bytes) -> Connection:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer, request)

    async def call(self) -> tuple[int, bytes]:
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        if match is None:
            raise RuntimeError("the answer has no Content-Length")
        body = await self.reader.readexactly(int(match.group(1)))
        return status, body

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def build_request(path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


async def once(port: int, request: bytes) -> tuple[int, bytes]:
    conn = await Connection.open(port, request)
    try:
        return await conn.call()
    finally:
        await conn.close()


async def sequential(port: int, request: bytes, n: int, warmup: int) -> list[float]:
    conn = await Connection.open(port, request)
    for _ in range(warmup):
        await conn.call()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        status, _ = await conn.call()
        times.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(f"status {status}")
    await conn.close()
    return times


async def concurrent(port: int, request: bytes, clients: int, seconds: float) -> tuple[int, float, list[float]]:
    conns = [await Connection.open(port, request) for _ in range(clients)]
    for conn in conns:  # warm up each connection
        await conn.call()
    stop_at = 0.0
    latencies: list[float] = []

    async def client(conn: Connection) -> int:
        done = 0
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            status, _ = await conn.call()
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"status {status}")
            done += 1
        return done

    start = time.perf_counter()
    stop_at = start + seconds
    counts = await asyncio.gather(*(client(c) for c in conns))
    elapsed = time.perf_counter() - start
    for conn in conns:
        await conn.close()
    return sum(counts), elapsed, latencies


def httpx_sequential(url: str, body: bytes, n: int, warmup: int) -> list[float]:
    import httpx

    times = []
    with httpx.Client() as client:
        headers = {"Content-Type": "application/json"}
        for _ in range(warmup):
            client.post(url, content=body, headers=headers)
        for _ in range(n):
            t0 = time.perf_counter()
            client.post(url, content=body, headers=headers)
            times.append(time.perf_counter() - t0)
    return times


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000, help="sequential requests (after 500 warm-up)")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the concurrent phase")
    parser.add_argument("--clients", type=int, default=32, help="concurrent keep-alive clients")
    parser.add_argument("--httpx", action="store_true", help="also time httpx.Client sequentially")
    parser.add_argument("--pin", action="store_true", help="server on the last CPU, this client on the first")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    port = free_port()
    base = f"http://{HOST}:{port}"
    log_path = Path(tempfile.mkstemp(prefix="bench_api_", suffix=".log")[1])
    cpus = sorted(os.sched_getaffinity(0))
    pinned = args.pin and len(cpus) > 1
    server = start_server(port, log_path, cpus[-1] if pinned else None)
    if pinned:
        os.sched_setaffinity(0, {cpus[0]})
    try:
        wait_ready(base, server)
        net = post_json(base + "/api/v1/networks", {"sizes": SIZES, "activation": "tanh", "seed": 0})
        rng = np.random.default_rng(0)
        x = rng.normal(size=(BATCH, SIZES[0])).tolist()
        y = rng.integers(0, SIZES[-1], size=BATCH).tolist()
        path = f"/api/v1/networks/{net['id']}/backward"
        body = json.dumps({"x": x, "y": y}).encode()
        request = build_request(path, body)

        status, raw = asyncio.run(once(port, request))
        answer = json.loads(raw)
        missing = EXPECTED_KEYS - set(answer)
        if status != 200 or missing or len(answer["grad_a"]) != len(SIZES) - 1 or len(answer["a"][0]) != BATCH:
            raise RuntimeError(f"unexpected answer: status {status}, missing {missing}")
        answer_bytes = len(raw)

        seq = asyncio.run(sequential(port, request, args.requests, warmup=500))
        server_cpu0, client_cpu0 = cpu_seconds(server.pid), time.process_time()
        count, elapsed, lat = asyncio.run(concurrent(port, request, args.clients, args.seconds))
        server_cpu = (cpu_seconds(server.pid) - server_cpu0) / count
        client_cpu = (time.process_time() - client_cpu0) / count
        rps = count / elapsed
        httpx_times = httpx_sequential(base + path, body, min(args.requests, 2000), 200) if args.httpx else None
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    log = log_path.read_text(errors="replace")
    pauses = [float(m) for m in re.findall(r"gc pause ([\d.]+) ms", log)]

    p50, p99 = percentile(seq, 50) * 1e3, percentile(seq, 99) * 1e3
    print(f"backward, sizes {SIZES}, batch {BATCH}, answer {answer_bytes} bytes of JSON")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
        + (", server and client pinned to different CPUs" if pinned else "")
    )
    print(f"sequential ({args.requests} requests, 1 keep-alive connection):")
    print(f"  p50 {p50:.3f} ms   p99 {p99:.3f} ms   mean {statistics.mean(seq) * 1e3:.3f} ms")
    print(f"concurrent ({args.clients} clients, {elapsed:.1f} s): {count} requests, {rps:.0f} requests/s")
    print(f"  latency under load: p50 {percentile(lat, 50) * 1e3:.2f} ms   p99 {percentile(lat, 99) * 1e3:.2f} ms")
    print(f"  CPU per request: server {server_cpu * 1e6:.0f} us, this client {client_cpu * 1e6:.0f} us")
    if httpx_times is not None:
        h50 = percentile(httpx_times, 50) * 1e3
        print(f"httpx.Client sequential: p50 {h50:.3f} ms (client overhead about {h50 - p50:.3f} ms per request)")
    if pauses:
        print(f"garbage-collection pauses over 10 ms: {len(pauses)} (longest {max(pauses):.1f} ms)")
    else:
        print("garbage-collection pauses over 10 ms: none")
    ok = p50 < 1.0 and rps > 2000
    print(f"targets (p50 < 1 ms, > 2000 requests/s): {'met' if ok else 'NOT met'}")
    if server.returncode not in (0, -15, None) and "Traceback" in log:
        print(log, file=sys.stderr)
    log_path.unlink(missing_ok=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
