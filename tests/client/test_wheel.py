"""The package installs: a wheel built from this checkout, installed (not editable) into a fresh
virtual environment and started from an unrelated folder, serves the page and every file the
page refers to, byte for byte the checkout's files.

The wheel is built with --no-build-isolation from the pinned hatchling in the test extras (no
download); the fresh environment installs the wheel's dependencies as any user's would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from .support import ROOT, free_port, running_server

PIP_TIMEOUT_S = 600
# Where the page and its scripts and styles refer to other files: attributes in the HTML
# (src, href, data-*-src), static and dynamic ES module imports, CSS url(...).
HTML_REF = re.compile(r'(?:src|href|data-[a-z-]+-src)="([^"#?]+)"')
JS_IMPORT = re.compile(r'(?:\bfrom\s*|\bimport\s*\(?\s*)["\']([^"\']+\.js)["\']')
CSS_URL = re.compile(r'url\(\s*["\']?([^"\')]+)["\']?\s*\)')


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("content-type", ""), response.read()


def _references(path: str, content_type: str, body: bytes) -> set[str]:
    """Absolute same-site paths ``body`` (served at ``path``) refers to."""
    text = body.decode("utf-8", errors="replace")
    if content_type.startswith("text/html"):
        found = HTML_REF.findall(text)
    elif "javascript" in content_type:
        found = JS_IMPORT.findall(text)
    elif content_type.startswith("text/css"):
        found = [u for u in CSS_URL.findall(text) if not u.startswith("data:")]
    else:
        return set()
    paths = set()
    for ref in found:
        absolute = urllib.parse.urljoin("http://site" + path, ref)
        if absolute.startswith("http://site/"):  # same site only; data: URLs and others are not fetched
            paths.add(absolute.removeprefix("http://site"))
    return paths


def _crawl(base: str, pages: list[str]) -> dict[str, bytes]:
    """Every page and, transitively, every file it refers to: path -> body (all must answer 200)."""
    seen: dict[str, bytes] = {}
    todo = list(pages)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        status, content_type, body = _get(base + path)
        assert status == 200 and body, f"{path}: {status}, {len(body)} bytes"
        seen[path] = body
        todo += sorted(_references(path, content_type, body) - seen.keys())
    return seen


def test_wheel_installs_and_serves_the_page(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-build-isolation", "--no-deps", "-w", str(dist)]
    subprocess.run([*build, str(ROOT)], check=True, timeout=PIP_TIMEOUT_S)
    (wheel,) = dist.glob("backprop_lab-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    subprocess.run([*pip, str(wheel)], check=True, timeout=PIP_TIMEOUT_S)

    elsewhere = tmp_path / "elsewhere"  # neither the checkout nor the venv: nothing to find by accident
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKPROP_", "PYTHON", "VIRTUAL_ENV"))}
    env["BACKPROP_PERSIST"] = "0"
    folders = "import app.routes.pages as p; print(p.STATIC_DIR); print(p.TEMPLATES_DIR)"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", folders],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    site_packages = venv.resolve() / "lib"
    assert all(Path(folder).is_relative_to(site_packages) for folder in where), where

    port = free_port()
    argv = [str(venv / "bin" / "backprop-lab"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running_server(argv, port=port, cwd=elsewhere, env=env) as url:
        served = _crawl(url, ["/", "/compare", "/docs"])

    static_files = {path for path in served if path.startswith("/static/") and path != "/static/vendor/plotly.min.js"}
    assert {"/static/js/main.js", "/static/css/app.css", "/static/vendor/plotly-cartesian.min.js"} <= static_files
    assert any(p.startswith("/static/js/views/") for p in static_files), "the crawl did not follow module imports"
    for path in static_files:
        assert served[path] == (ROOT / path.lstrip("/")).read_bytes(), f"{path} differs from the checkout's file"
    assert b"Backprop Lab" in served["/"] and b"not built yet" not in served["/"]
