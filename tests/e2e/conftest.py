"""Browser tests: a live server (uvicorn subprocess on a free loopback port) and Debian's Chromium
driven by Playwright. Chromium comes from $CHROMIUM_PATH or `chromium` on PATH; Playwright's own
browser download is never used."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from .support import ROOT, Lab

VIEWPORT = {"width": 1280, "height": 720}
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
START_TIMEOUT_S = 20.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The whole app, served by uvicorn on 127.0.0.1:<free port>, for the test session."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BACKPROP_PERSIST": "0"}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    output = log.read().decode(errors="replace")
                    raise RuntimeError(f"the server exited with {proc.returncode}:\n{output}")
                try:
                    with urllib.request.urlopen(f"{url}/api/v1/meta", timeout=1) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not answer on {url} within {START_TIMEOUT_S} s")
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    path = _chromium()
    if path is None:
        pytest.skip("Chromium not found: install Debian's 'chromium' package or set CHROMIUM_PATH")
    args = [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS]
    return {**browser_type_launch_args, "executable_path": path, "args": args}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # The page's Content-Security-Policy forbids string evaluation, which Playwright's string
    # predicates (wait_for_function("...")) use; test_security_headers.py drives the page with it on.
    return {**browser_context_args, "viewport": VIEWPORT, "accept_downloads": True, "bypass_csp": True}


@pytest.fixture
def lab(page: Page) -> Iterator[Lab]:
    page.set_default_timeout(15_000)
    lab = Lab(page)
    yield lab
    assert not lab.errors, f"errors in the page: {lab.errors}"
