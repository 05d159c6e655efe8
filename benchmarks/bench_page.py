"""Benchmark the page in a real browser (not a test; tests/e2e/test_performance.py runs it too).

Measured with the page's own performance marks (window.__perf, see static/js/main.js):

* interactive: navigation start -> the network is built, its trace fetched and the stepper,
  diagram, equations and layer panels drawn and painted (target: under 1.5 s on loopback).
  "cold" is a fresh browser context (empty HTTP cache), "warm" a reload in the same context.
  plots_ready: the same, until the Plotly data and training plots are drawn too.
* step: a Forward or Backward press -> every view redrawn and painted (target: under 50 ms);
  also the JavaScript time alone (state change to every view updated, before the paint).
* training_fps: while playing, updates per second of the live training view: frames that drew
  at least one new epoch (the page plays over the training stream, epochs paced at 30 ms, each
  with its snapshot; every frame draws the newest epoch's parameters, boundary, trace and
  numbers: diagram, decision boundary, layer-panel numbers, the summary line; the curves, the
  layer panels' charts and the equations at most every 500/250/250 ms; target: 20+).

* live (issue 11, [2, 8, 8, 2] on moons; --live-only measures only this, in about 40 s): see
  benchmarks/live_page.py. In short: playing for --live-seconds at the top of the page and again
  scrolled to the data plot and loss curves: frames drawn per second (each store "liveFrame" that
  changed the network) against the stream's epochs per second (targets: ratio >= 0.9, >= 30
  frames/s), long tasks over 50 ms (PerformanceObserver "longtask"; target: none on a quiet
  machine); a Chrome trace of --trace-seconds in each position: main-thread CPU (thread time) per
  frame by kind of work and per part of the page (the scheduler's user-timing measures), what
  each long task held, and the tasks by thread time (the longest, how many over 50 and 30 ms of
  CPU: the tasks that would be long on an idle machine, little changed by the load); the hover
  tooltip shows and its text follows while playing; Pause: the time until the stream closed and
  the display was still (<= 200 ms; the last live frame or later change of the epoch shown), the
  live frames after the press (at most one), when the views were drawn in full again, and the
  epochs trained after it (<= 1). On a busy machine compare the thread-time figures; the wall
  figures (frames/s, long tasks, Pause) are for a quiet machine (load average printed).

The machine's load average is recorded: on a shared machine every wall-clock figure depends on it
(the trace's CPU per frame much less).

    .venv/bin/python benchmarks/bench_page.py [--repeats 5] [--out test-results/perf.json]
    .venv/bin/python benchmarks/bench_page.py --live-only [--trace-play] [--out test-results/live.json]

Chromium comes from $CHROMIUM_PATH or `chromium` on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "test-results" / "perf.json"  # git-ignored; scripts/screenshots.sh alone writes docs/
QUERY = "?ds=xor&sizes=2,3,3,2&act=tanh,tanh&eta=0.3&bs=16"
VIEWPORT = {"width": 1280, "height": 720}
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
TARGETS = {"interactive_ms": 1500, "step_ms": 50, "training_fps": 20}


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 1),
        "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
        "min": round(ordered[0], 1),
        "max": round(ordered[-1], 1),
        "n": len(ordered),
    }


def _ready(page: Any) -> None:
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=30_000)
    page.wait_for_function("window.__perf.plotsReady !== null", timeout=30_000)


def measure(browser: Browser, base_url: str, repeats: int = 3, play_seconds: float = 4.0) -> dict[str, Any]:
    """Open the page `repeats` times, step through it, play training; return the figures."""
    cold: list[float] = []
    warm: list[float] = []
    plots_cold: list[float] = []
    steps: list[dict[str, Any]] = []
    fps: list[float] = []
    for _ in range(repeats):
        context = browser.new_context(viewport=VIEWPORT, base_url=base_url, bypass_csp=True)  # string probes need eval
        page = context.new_page()
        page.goto(f"/{QUERY}")
        _ready(page)
        cold.append(page.evaluate("window.__perf.interactive"))
        plots_cold.append(page.evaluate("window.__perf.plotsReady"))
        page.reload()
        _ready(page)
        warm.append(page.evaluate("window.__perf.interactive"))
        L = 3
        for _ in range(3):  # three passes: F x L then B x L
            for key, count in (("f", L), ("b", L)):
                for _ in range(count):
                    before = page.evaluate("window.__perf.steps.length")
                    page.keyboard.press(key)
                    page.wait_for_function(f"window.__perf.steps.length > {before}")
            page.keyboard.press("f")  # from the end of the backward pass back to layer 1
            page.wait_for_function("document.body.dataset.stage === '1'")
            page.evaluate("window.__perf.steps.pop()")
            page.get_by_test_id("stage-0").click()
            page.wait_for_function("document.body.dataset.stage === '0'")
            page.evaluate("window.__perf.steps.pop()")
        steps.extend(page.evaluate("window.__perf.steps"))
        page.keyboard.press(" ")
        page.wait_for_timeout(int(play_seconds * 1000))
        page.keyboard.press(" ")
        page.wait_for_function(
            "document.querySelector('[data-testid=\"btn-play\"]').getAttribute('aria-pressed') === 'false'"
        )
        page.wait_for_function("window.__perf.trainingFps !== null")
        fps.append(page.evaluate("window.__perf.trainingFps"))
        context.close()
    step_ms = [s["ms"] for s in steps]
    return {
        "what": "Backprop Lab page timings from the page's own performance marks (window.__perf)",
        "page": QUERY,
        "viewport": VIEWPORT,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1min_at_end": round(os.getloadavg()[0], 2),
            "platform": platform.platform(),
            "browser": browser.version,
        },
        "targets": TARGETS,
        "interactive_ms": {"cold": _summary(cold), "warm": _summary(warm)},
        "plots_ready_ms": {"cold": _summary(plots_cold)},
        "step_redraw_ms": {
            "all": _summary(step_ms),
            "forward": _summary([s["ms"] for s in steps if s["kind"] == "forward"]),
            "backward": _summary([s["ms"] for s in steps if s["kind"] == "backward"]),
            "javascript_only": _summary([s["render"] for s in steps]),
        },
        "training_fps": _summary(fps),
    }


def report(figures: dict[str, Any], out: Path) -> str:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    i = figures["interactive_ms"]
    s = figures["step_redraw_ms"]["all"]
    f = figures["training_fps"]
    plots = figures["plots_ready_ms"]["cold"]["median"]
    return (
        f"interactive: cold median {i['cold']['median']} ms (max {i['cold']['max']}), "
        f"warm median {i['warm']['median']} ms; plots drawn: cold median {plots} ms\n"
        f"step redraw (to the painted frame): median {s['median']} ms, p90 {s['p90']} ms, max {s['max']} ms "
        f"over {s['n']} steps; JavaScript alone: median {figures['step_redraw_ms']['javascript_only']['median']} ms\n"
        f"live training view: median {f['median']} updates/s (min {f['min']})\n"
        f"(machine: {figures['machine']['cpus']} CPUs, load average {figures['machine']['load_average_1min_at_end']})\n"
        f"written to {out}"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON out (test-results/perf.json)")
    parser.add_argument("--live-seconds", type=float, default=8.0, help="playing time in each position (default 8)")
    parser.add_argument("--trace-seconds", type=float, default=3.0, help="traced time in each position (default 3)")
    parser.add_argument("--live-only", action="store_true", help="only the live-training figures (issue 11)")
    parser.add_argument(
        "--trace-play", action="store_true", help="also trace the Play press (its wall times then include the tracing)"
    )
    args = parser.parse_args()
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if chromium is None:
        sys.exit("Chromium not found: install Debian's 'chromium' package or set CHROMIUM_PATH")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "BACKPROP_PERSIST": "0"},
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v1/meta", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("the server did not start")
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            from live_page import measure_live, report_live  # same folder: benchmarks/ (run as a script)

            live = measure_live(
                browser,
                url,
                seconds=args.live_seconds,
                trace_seconds=args.trace_seconds,
                server_pid=server.pid,
                trace_play=args.trace_play,
            )
            print(report_live(live))
            if args.live_only:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps({"live_training": live}, indent=2) + "\n")
            else:
                figures = measure(browser, url, repeats=args.repeats)
                figures["live_training"] = live
                print(report(figures, args.out))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
