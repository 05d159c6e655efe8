"""Browser tests: a live server (uvicorn subprocess on a free loopback port) and Debian's Chromium
driven by Playwright. Chromium comes from $CHROMIUM_PATH or `chromium` on PATH; Playwright's own
browser download is never used."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.client.support import free_port, running_server

from .support import ROOT, Lab

VIEWPORT = {"width": 1280, "height": 720}
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The whole app, served by uvicorn on 127.0.0.1:<free port>, for the test session."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    with running_server(argv, port=port, cwd=ROOT, env={**os.environ, "BACKPROP_PERSIST": "0"}) as url:
        yield url


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
