"""Page timings in the browser (a benchmark, not an assertion): written to
test-results/screenshots/perf.json and printed. See benchmarks/bench_page.py for what is measured."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from .support import ROOT, SCREENSHOTS

pytestmark = pytest.mark.e2e


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_page", ROOT / "benchmarks" / "bench_page.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_page_timings_are_measured_and_reported(
    browser: Browser, base_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _bench()
    figures = bench.measure(browser, base_url, repeats=2, play_seconds=3.0)  # type: ignore[attr-defined]
    out: Path = SCREENSHOTS / "perf.json"
    text = bench.report(figures, out)  # type: ignore[attr-defined]
    with capsys.disabled():
        print("\n" + text)
    assert figures["step_redraw_ms"]["all"]["n"] >= 12
    assert figures["training_fps"]["median"] > 0
