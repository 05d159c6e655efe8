"""Browser tests: a live server (uvicorn subprocess on a free loopback port) and Debian's Chromium
driven by Playwright. Chromium comes from $CHROMIUM_PATH or `chromium` on PATH; Playwright's own
browser download is never used."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 720}
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
START_TIMEOUT_S = 20.0
_ANY = re.compile(".+")  # any attribute value


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
    return {**browser_context_args, "viewport": VIEWPORT, "accept_downloads": True}


class Lab:
    """The page under test, with the API next to it (same server) to compare numbers."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, query: str = "") -> None:
        self.page.goto(f"/{query}")
        self.page.wait_for_function("document.body.dataset.ready === '1'", timeout=20_000)
        self.wait_trace()

    def wait_trace(self) -> None:
        """Until the traced example's x (h_0) is shown: the network and its trace are loaded."""
        expect(self.page.get_by_test_id("h-0-0")).to_have_attribute("data-value", _ANY)

    @property
    def network_id(self) -> str:
        return str(self.page.evaluate("document.body.dataset.networkId"))

    @property
    def stage(self) -> int:
        return int(self.page.evaluate("document.body.dataset.stage"))

    def wait_stage(self, stage: int) -> None:
        self.page.wait_for_function(f"document.body.dataset.stage === '{stage}'")

    def value(self, testid: str) -> float:
        raw = self.page.get_by_test_id(testid).get_attribute("data-value")
        assert raw is not None, f"{testid} shows no value"
        return float(raw)

    def values(self, prefix: str) -> dict[str, float]:
        """Every displayed value whose data-testid starts with prefix (e.g. "W-")."""
        pairs = self.page.evaluate(
            """(prefix) => [...document.querySelectorAll(`#layers [data-testid^="${prefix}"]`)]
                 .filter((n) => n.dataset.value !== undefined).map((n) => [n.dataset.testid, n.dataset.value])""",
            prefix,
        )
        return {k: float(v) for k, v in pairs}

    def wait_value(self, testid: str, value: float, *, equal: bool = True) -> None:
        """Until the element shows exactly `value` (or, with equal=False, anything else)."""
        op = "===" if equal else "!=="
        self.page.wait_for_function(
            f"(v) => {{ const n = document.querySelector('[data-testid=\"{testid}\"]');"
            f" return !!n && n.dataset.value !== undefined && Number(n.dataset.value) {op} v; }}",
            arg=value,
        )

    def has_value(self, testid: str) -> bool:
        return self.page.get_by_test_id(testid).get_attribute("data-value") is not None

    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = self.page.request.fetch(
            f"/api/v1{path}",
            method=method,
            data=json.dumps(body) if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        assert response.ok, f"{method} {path}: {response.status} {response.text()}"
        return response.json()

    def example(self) -> dict[str, Any]:
        node = self.page.get_by_test_id("example-current")
        return {"rows": [int(node.get_attribute("data-row") or 0)], "split": node.get_attribute("data-split")}

    def trace(self) -> Any:
        """The API's own backward trace for the traced example, on the current parameters."""
        return self.api("POST", f"/networks/{self.network_id}/backward", self.example())

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(150)
        self.page.screenshot(path=str(SCREENSHOTS / name))


@pytest.fixture
def lab(page: Page) -> Iterator[Lab]:
    page.set_default_timeout(15_000)
    lab = Lab(page)
    yield lab
    assert not lab.errors, f"errors in the page: {lab.errors}"
