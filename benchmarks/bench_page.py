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

* live (issue 11, [2, 8, 8, 2] on moons, playing for --live-seconds): long tasks over 50 ms
  (PerformanceObserver "longtask"; target: none on a quiet machine), the epochs per second the
  stream delivers and the frames per second that drew at least one new epoch (target: frames >=
  0.9 x epochs, and >= 30 frames/s), whether the hover tooltip shows and follows while playing,
  and Pause: the time from the key press until the stream has closed and until the display has
  stopped changing, and how many epochs ended after the press (targets: <= 200 ms, <= 1 epoch).

The machine's load average is recorded: on a shared machine every figure depends on it.

    .venv/bin/python benchmarks/bench_page.py [--repeats 5] [--out docs/screenshots/perf.json]

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
DEFAULT_OUT = ROOT / "docs" / "screenshots" / "perf.json"
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
LIVE_QUERY = "?ds=moons&sizes=2,8,8,2&act=tanh,tanh&seed=0&eta=0.1&bs=16"
LIVE_TARGETS = {
    "long_tasks_over_50ms": 0, "frames_per_epoch": 0.9, "frames_per_s": 30, "pause_ms": 200, "epochs_after_pause": 1,
}  # fmt: skip
_TOOLTIP = "(() => { const t = document.getElementById('tooltip'); return t.hidden ? null : t.textContent; })()"

# Installed before the page's scripts: long tasks, and every drawn live frame (from the store).
_LIVE_PROBE = """
window.__room = { longTasks: [], frames: [] };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__room.longTasks.push({ t: e.startTime, ms: e.duration });
}).observe({ type: "longtask", buffered: true });
"""
_WATCH_FRAMES = """() => {
  const s = window.__lab.store;
  s.subscribe((state, changed, action) => {
    if (action === "liveFrame" && changed.has("network"))
      window.__room.frames.push({ t: performance.now(), epoch: state.network.epoch });
  });
}"""


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


def measure_live(browser: Browser, base_url: str, seconds: float = 8.0) -> dict[str, Any]:
    """Play [2, 8, 8, 2] on moons for `seconds`, hover an edge meanwhile, then pause; the figures."""
    context = browser.new_context(viewport=VIEWPORT, base_url=base_url, bypass_csp=True)  # string probes need eval
    context.add_init_script(_LIVE_PROBE)
    page = context.new_page()
    page.goto(f"/{LIVE_QUERY}")
    _ready(page)
    page.evaluate(_WATCH_FRAMES)
    net = page.evaluate("document.body.dataset.networkId")
    epoch_before = page.request.get(f"/api/v1/networks/{net}").json()["epoch"]
    page.keyboard.press(" ")
    page.wait_for_function("window.__room.frames.length > 3", timeout=20_000)
    t_start = page.evaluate("window.__room.frames[0].t")
    page.wait_for_timeout(int(seconds * 500))
    # Hover an edge in the middle of the diagram while it plays: the tooltip shows and follows.
    box = page.locator("[data-testid='edge-2-0-0']").bounding_box()
    tooltip_shown = tooltip_follows = False
    if box is not None:
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(300)
        first = page.evaluate(_TOOLTIP)
        page.wait_for_timeout(700)
        later = page.evaluate(_TOOLTIP)
        tooltip_shown = first is not None and later is not None
        tooltip_follows = tooltip_shown and first != later
        page.mouse.move(5, 5)
    page.wait_for_timeout(int(seconds * 500))
    press = page.evaluate(
        """() => { const t = performance.now(); const epoch = window.__lab.store.state.network.epoch;
                   document.dispatchEvent(new KeyboardEvent("keydown", { key: " ", bubbles: true }));
                   return { t, epoch }; }"""
    )
    server_at_press = page.request.get(f"/api/v1/networks/{net}").json()["epoch"]
    page.wait_for_timeout(1500)
    after = page.evaluate(
        """(t0) => {
             const streams = performance.getEntriesByType("resource").filter((e) => e.name.includes("/train/stream"));
             const last = streams[streams.length - 1];
             const frames = window.__room.frames;
             const changed = frames.filter((f) => f.t > t0);
             const play = document.querySelector('[data-testid="btn-play"]');
             return { streamEnd: last ? last.responseEnd : null,
                      lastFrame: changed.length ? changed[changed.length - 1].t : t0,
                      frames: frames.filter((f) => f.t <= t0), longTasks: window.__room.longTasks,
                      pressedFalse: play.getAttribute("aria-pressed") === "false",
                      parts: (window.__perf.frameParts || []).slice(-60) };
           }""",
        press["t"],
    )
    epoch_after = page.request.get(f"/api/v1/networks/{net}").json()["epoch"]
    context.close()
    frames = after["frames"]
    span_s = (frames[-1]["t"] - frames[0]["t"]) / 1000 if len(frames) > 1 else float("nan")
    epochs_in_span = frames[-1]["epoch"] - frames[0]["epoch"] if len(frames) > 1 else 0
    frames_per_s = (len(frames) - 1) / span_s if span_s > 0 else float("nan")
    epochs_per_s = epochs_in_span / span_s if span_s > 0 else float("nan")
    during = [lt for lt in after["longTasks"] if t_start <= lt["t"] <= press["t"]]
    return {
        "page": LIVE_QUERY,
        "targets": LIVE_TARGETS,
        "played_s": round(span_s, 2),
        "epochs_trained": epoch_after - epoch_before,
        "stream_epochs_per_s": round(epochs_per_s, 1),
        "frames_per_s": round(frames_per_s, 1),
        "frames_per_epoch": round(frames_per_s / epochs_per_s, 3) if epochs_per_s > 0 else None,
        "long_tasks_over_50ms": len(during),
        "longest_task_ms": round(max((lt["ms"] for lt in during), default=0.0), 1),
        "tooltip_shown_while_playing": tooltip_shown,
        "tooltip_text_follows": tooltip_follows,
        "pause_stream_closed_ms": round(after["streamEnd"] - press["t"], 1) if after["streamEnd"] else None,
        "pause_display_stopped_ms": round(after["lastFrame"] - press["t"], 1),
        "pause_button_shows_paused": after["pressedFalse"],
        "epochs_after_pause": epoch_after - server_at_press,
        "display_epochs_behind_at_press": server_at_press - press["epoch"],
        "frame_parts_ms_median": _parts(after["parts"]),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def _parts(parts: list[dict[str, float]]) -> dict[str, float]:
    """The median of each named part of the page's live frames (window.__perf.frameParts)."""
    keys = sorted({k for p in parts for k, v in p.items() if isinstance(v, int | float)})
    return {k: round(statistics.median([p[k] for p in parts if isinstance(p.get(k), int | float)]), 1) for k in keys}


def report_live(live: dict[str, Any]) -> str:
    return (
        f"live training {live['page']}: {live['frames_per_s']} frames/s for {live['stream_epochs_per_s']} "
        f"epochs/s from the stream (ratio {live['frames_per_epoch']}); long tasks > 50 ms: "
        f"{live['long_tasks_over_50ms']} (longest {live['longest_task_ms']} ms) in {live['played_s']} s; "
        f"tooltip while playing: shown {live['tooltip_shown_while_playing']}, follows {live['tooltip_text_follows']}; "
        f"pause: stream closed after {live['pause_stream_closed_ms']} ms, display still after "
        f"{live['pause_display_stopped_ms']} ms, {live['epochs_after_pause']} epoch(s) trained after the press, "
        f"display {live['display_epochs_behind_at_press']} epoch(s) behind the stream at the press "
        f"(load average {live['load_average_1min']})"
    )


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
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--live-seconds", type=float, default=8.0)
    parser.add_argument("--live-only", action="store_true", help="only the live-training figures (issue 11)")
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
            live = measure_live(browser, url, seconds=args.live_seconds)
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
