"""Real processes for the tests that need them: a throw-away redis-server and app servers on
127.0.0.1 free ports, each stopped by its pid. Nothing here is skipped: a missing redis-server is
a failure that says which package to install (.ci/run installs it)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """``redis-server`` on a free loopback port, no files kept."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is missing: install Debian's redis-server package (see .ci/run)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory), "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        import redis

        client = redis.Redis(port=self.port)
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        client.close()

    def flush(self) -> None:
        import redis

        with redis.Redis(port=self.port) as client:
            client.flushall()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class AppServer:
    """``backprop-lab serve`` in a subprocess with the given BACKPROP_ settings."""

    def __init__(self, log_dir: Path, env: dict[str, str], workers: int = 1, name: str = "server") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/v1"
        self.log_path = log_dir / f"{name}-{self.port}.log"
        clean = {key: value for key, value in os.environ.items() if not key.startswith("BACKPROP_")}
        self.env = {**clean, **env}
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None

    def start(self) -> AppServer:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(self.workers)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own: SIGKILL ends its workers too (stop)
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(timeout=5) as client:
            while True:
                try:
                    client.get(self.url + "/meta").raise_for_status()
                    return self._with_every_worker(deadline)
                except httpx.TransportError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"server did not start:\n{self.output()}")
                    time.sleep(0.1)

    def _with_every_worker(self, deadline: float) -> AppServer:
        """One worker answers before the others have started (a busy machine takes seconds): wait for all."""
        from tests.multiproc.pinned import worker_pids

        assert self.process is not None
        while self.workers > 1 and len(worker_pids(self.process.pid)) < self.workers:
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{self.workers} workers did not start:\n{self.output()}")
            time.sleep(0.1)
        return self

    def output(self) -> str:
        if self.log is not None:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 15.0) -> float:
        """Send ``sig`` and wait for the exit; the seconds it took."""
        assert self.process is not None
        started = time.monotonic()
        if sig == signal.SIGKILL:  # as a machine that dies: its workers too (a killed supervisor leaves them running)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"server did not stop on {sig.name}:\n{self.output()}")
        took = time.monotonic() - started
        self.process = None
        if self.log is not None:
            self.log.close()
            self.log = None
        return took

    def close(self) -> None:
        if self.process is not None:
            self.stop(signal.SIGKILL)


class Nginx:
    """nginx in the foreground as a load balancer over app ports, every path in ``directory``."""

    def __init__(self, directory: Path, upstream_ports: list[int], site: str | None = None) -> None:
        """``site``: the upstream and server blocks to use instead of the built-in ones, with
        ``{servers}`` (the upstream's server lines) and ``{listen}`` (the address) to fill in."""
        binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if binary is None:
            pytest.fail("nginx is missing: install Debian's nginx package (see .ci/run)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/v1"
        d = directory
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in upstream_ports)
        default_site = """    upstream app {
{servers}
    }
    server {
        listen {listen};
        location / {
            proxy_pass http://app;
            proxy_buffering off;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
        }
    }"""
        blocks = (site or default_site).replace("{servers}", servers).replace("{listen}", f"127.0.0.1:{self.port}")
        (d / "nginx.conf").write_text(
            f"""daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d}; uwsgi_temp_path {d}; scgi_temp_path {d};
{blocks}
}}
"""
        )
        self.process = subprocess.Popen(
            [binary, "-c", str(d / "nginx.conf"), "-p", str(d)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(timeout=5) as client:
            while True:
                try:
                    client.get(self.url + "/meta").raise_for_status()
                    return
                except httpx.HTTPError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("nginx did not start: " + (d / "error.log").read_text(errors="replace"))
                    time.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
