"""A server process for the client tests: started on a free loopback port, polled until it
answers (bounded), stopped by its pid at the end, its output shown when it fails to start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(argv: Sequence[str], *, port: int, cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """Runs ``argv`` (a server listening on 127.0.0.1:``port``) and yields its base URL."""
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    output = log.read().decode(errors="replace")
                    raise RuntimeError(f"{argv[0]} exited with {proc.returncode}:\n{output}")
                try:
                    with urllib.request.urlopen(f"{url}/api/v1/meta", timeout=1) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{argv[0]} did not answer on {url} within {START_TIMEOUT_S} s")
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def checkout_server() -> Iterator[str]:
    """The app from this checkout, networks in memory only."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    with running_server(argv, port=port, cwd=ROOT, env={**os.environ, "BACKPROP_PERSIST": "0"}) as url:
        yield url
