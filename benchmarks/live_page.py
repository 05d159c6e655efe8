"""Live training in the browser (issue 11), measured for benchmarks/bench_page.py --live-only.

The page plays [2, 8, 8, 2] on moons over the training stream. Measured, in two positions of the
page (the top: diagram and equations on screen; scrolled to the data plot and the loss curves):

* frames drawn: the page's store is watched and every "liveFrame" action that changed the network
  is one drawn frame (the views are drawn from it in the same animation frame); frames/s over the
  window, and the stream's epochs/s over the same window (epoch counter of the first and last
  frame), and their ratio (target: frames >= 0.9 x epochs, and >= 30 frames/s);
* long tasks: a PerformanceObserver for "longtask" entries (tasks over 50 ms on the main thread)
  installed before the page's scripts; counted within the window (target: none on a quiet machine);
* the page's own parts: the scheduler times each drawn part (sched.costs: wall ms); per frame;
* process CPU (user + system from /proc) over the window: all the browser's processes (renderer,
  GPU, network...) per drawn frame, and the app server's per epoch, with the cores each kept busy
  (on 2 cores, browser + server near 2 means the machine itself is the limit);
* a Chrome trace (Tracing, categories devtools.timeline) of a shorter window in each position:
  main-thread CPU per frame (thread time, so little affected by the machine's load) by kind of
  work (script, style, layout, paint, gc), per part (the scheduler's user-timing measures), and
  what each long task contained (page_trace.py);
* long tasks from the Play press until 0.5 s after the first frames (the equations, the curves and
  the boundary drawn in full once for the playing stage), reported apart from the windows;
* the tooltip (top position): the pointer rests on an edge of the diagram while playing; "shown"
  when the tooltip is visible 0.3 s and 1 s later, "follows" when its text changed between them
  (the weight changes every epoch);
* Pause (back at the top): the Space key is dispatched in the page; the time until the stream's
  response ended (Resource Timing responseEnd), until the display was still (the last drawn
  frame, or any later change of the epoch shown, e.g. by the final refresh), the live frames
  drawn after the press, when the views were drawn in full again (the store's "liveEnded"), and
  how many epochs the server trained after the press (targets: <= 200 ms, <= 1 epoch).

Figures by thread time (the trace's "tasks by thread time": longest task, tasks over 50 and 30 ms
of CPU) change little with the machine's load; frames/s, long tasks (wall time) and the Pause
times do: report them with the load average, and compare runs on a quiet machine.
"""

from __future__ import annotations

import os
from typing import Any

from page_trace import analyse  # same folder: benchmarks/
from playwright.sync_api import Browser, Page

LIVE_QUERY = "?ds=moons&sizes=2,8,8,2&act=tanh,tanh&seed=0&eta=0.1&bs=16"
VIEWPORT = {"width": 1280, "height": 720}
LIVE_TARGETS = {
    "long_tasks_over_50ms": 0, "frames_per_epoch": 0.9, "frames_per_s": 30, "pause_ms": 200, "epochs_after_pause": 1,
}  # fmt: skip
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink.user_timing", "v8.execute"]
_TOOLTIP = "(() => { const t = document.getElementById('tooltip'); return t.hidden ? null : t.textContent; })()"

# Installed before the page's scripts: long tasks, and every drawn live frame (from the store).
_LIVE_PROBE = """
window.__room = { longTasks: [], frames: [], epochs: [], liveEnded: null };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__room.longTasks.push({ t: e.startTime, ms: e.duration });
}).observe({ type: "longtask", buffered: true });
"""
_WATCH_FRAMES = """() => {
  const s = window.__lab.store;
  let shown = null;
  s.subscribe((state, changed, action) => {
    if (action === "liveFrame" && changed.has("network")) {
      window.__room.frames.push({ t: performance.now(), epoch: state.network.epoch });
      performance.mark("live-frame"); // counted in a trace (page_trace.py)
    }
    // Any action that changes the epoch shown (a late refresh too), and the end of the live views.
    if (changed.has("network") && state.network && state.network.epoch !== shown) {
      shown = state.network.epoch;
      window.__room.epochs.push({ t: performance.now(), epoch: shown, action });
    }
    if (action === "liveEnded") window.__room.liveEnded = performance.now();
  });
}"""
# The scheduler's part costs so far, with their maxima reset (a window's maxima are its own).
_COSTS = """() => { const c = window.__lab.sched.costs || {}; const out = JSON.parse(JSON.stringify(c));
  for (const v of Object.values(c)) v.max = 0; return { t: performance.now(), costs: out }; }"""


def _process_cpu(server_pid: int | None) -> dict[str, float]:
    """CPU seconds (user + system, /proc) used so far by this process's descendants: the browser's
    processes (renderer, GPU, network...) and the app server's (the subtree of server_pid)."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick

    def under(pid: int, root: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parent.get(pid, 0)
        return False

    me = os.getpid()
    server = sum(v for pid, v in cpu.items() if server_pid is not None and under(pid, server_pid))
    browser = sum(v for pid, v in cpu.items() if pid != me and under(pid, me)) - server
    return {"browser": browser, "server": server}


def _window(page: Page, start: dict[str, Any], end: dict[str, Any]) -> dict[str, Any]:
    """Frames, epochs, long tasks, part costs and process CPU between two snapshots (costs, process CPU)."""
    t0, t1 = start["t"], end["t"]
    got = page.evaluate(
        "([t0, t1]) => ({ frames: window.__room.frames.filter((f) => f.t >= t0 && f.t <= t1),"
        " longTasks: window.__room.longTasks.filter((l) => l.t >= t0 && l.t <= t1) })",
        [t0, t1],
    )
    frames = got["frames"]
    span_s = (frames[-1]["t"] - frames[0]["t"]) / 1000 if len(frames) > 1 else float("nan")
    frames_per_s = (len(frames) - 1) / span_s if span_s > 0 else float("nan")
    epochs_per_s = (frames[-1]["epoch"] - frames[0]["epoch"]) / span_s if span_s > 0 else float("nan")
    n = max(len(frames), 1)
    parts = {}
    for key, c in end["costs"].items():
        before = start["costs"].get(key, {"n": 0, "ms": 0.0})
        runs = c["n"] - before["n"]
        if runs:
            parts[key] = {
                "ms_per_frame": round((c["ms"] - before["ms"]) / n, 2), "runs": runs, "max_ms": round(c["max"], 1),
            }  # fmt: skip
    epochs = frames[-1]["epoch"] - frames[0]["epoch"] if len(frames) > 1 else 0
    wall = (t1 - t0) / 1000
    browser_cpu = end["cpu"]["browser"] - start["cpu"]["browser"]
    server_cpu = end["cpu"]["server"] - start["cpu"]["server"]
    return {
        "seconds": round(span_s, 2),
        "browser_cpu_ms_per_frame": round(1000 * browser_cpu / n, 1),
        "browser_cores_busy": round(browser_cpu / wall, 2) if wall > 0 else None,
        "server_cpu_ms_per_epoch": round(1000 * server_cpu / epochs, 1) if epochs else None,
        "server_cores_busy": round(server_cpu / wall, 2) if wall > 0 else None,
        "stream_epochs_per_s": round(epochs_per_s, 1),
        "frames_per_s": round(frames_per_s, 1),
        "frames_per_epoch": round(frames_per_s / epochs_per_s, 3) if epochs_per_s > 0 else None,
        "long_tasks_over_50ms": len(got["longTasks"]),
        "longest_task_ms": round(max((lt["ms"] for lt in got["longTasks"]), default=0.0), 1),
        "parts_wall_ms": dict(sorted(parts.items(), key=lambda kv: -kv[1]["ms_per_frame"])),
    }


def _traced(browser: Browser, page: Page, seconds: float) -> dict[str, Any]:
    """A Chrome trace of `seconds` of play, read by page_trace.analyse."""
    page.evaluate("window.__lab.sched.measure = true")
    browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    page.wait_for_timeout(int(seconds * 1000))
    raw = browser.stop_tracing()
    page.evaluate("window.__lab.sched.measure = false")
    return analyse(raw)


def _tooltip(page: Page) -> tuple[bool, bool]:
    """Rest the pointer on an edge in the middle of the diagram: (shown, its text follows)."""
    box = page.locator("[data-testid='edge-2-0-0']").bounding_box()
    if box is None:
        return False, False
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    first = page.evaluate(_TOOLTIP)
    page.wait_for_timeout(700)
    later = page.evaluate(_TOOLTIP)
    page.mouse.move(5, 5)
    shown = first is not None and later is not None
    return shown, shown and first != later


def measure_live(
    browser: Browser,
    base_url: str,
    seconds: float = 8.0,
    trace_seconds: float = 3.0,
    server_pid: int | None = None,
    trace_play: bool = False,
) -> dict[str, Any]:
    """Play [2, 8, 8, 2] on moons: `seconds` at the top, `seconds` at the plots, each traced too; then pause.
    With trace_play, the Play press and its first frames are traced too (their wall times then
    include the tracing's own cost)."""

    def snapshot() -> dict[str, Any]:
        return {**page.evaluate(_COSTS), "cpu": _process_cpu(server_pid)}

    context = browser.new_context(viewport=VIEWPORT, base_url=base_url, bypass_csp=True)  # string probes need eval
    context.add_init_script(_LIVE_PROBE)
    page = context.new_page()
    page.goto(f"/{LIVE_QUERY}")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=30_000)
    page.wait_for_function("window.__perf.plotsReady !== null", timeout=30_000)
    page.evaluate(_WATCH_FRAMES)
    net = page.evaluate("document.body.dataset.networkId")
    epoch_before = page.request.get(f"/api/v1/networks/{net}").json()["epoch"]
    if trace_play:
        page.evaluate("window.__lab.sched.measure = true")
        browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    pressed_at = page.evaluate("performance.now()")
    page.keyboard.press(" ")
    page.wait_for_function("window.__room.frames.length > 3", timeout=20_000)
    page.wait_for_timeout(500)  # the first frames draw the equations and the curves in full
    play_trace = None
    if trace_play:
        play_trace = analyse(browser.stop_tracing())
        page.evaluate("window.__lab.sched.measure = false")
    started = page.evaluate(
        "(t0) => window.__room.longTasks.filter((l) => l.t >= t0).map((l) => Math.round(l.ms))", pressed_at
    )

    start = snapshot()
    page.wait_for_timeout(int(seconds * 500))
    tooltip_shown, tooltip_follows = _tooltip(page)
    page.wait_for_timeout(int(seconds * 500) - 1000)
    top = _window(page, start, snapshot())
    top["trace"] = _traced(browser, page, trace_seconds)

    page.evaluate("document.getElementById('dataplot').scrollIntoView({ block: 'center' })")
    page.wait_for_timeout(500)  # the plots come on screen and draw in full once
    start = snapshot()
    page.wait_for_timeout(int(seconds * 1000))
    plots = _window(page, start, snapshot())
    plots["trace"] = _traced(browser, page, trace_seconds)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(500)

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
             const changed = window.__room.frames.filter((f) => f.t > t0);
             const moved = window.__room.epochs.filter((f) => f.t > t0);
             const play = document.querySelector('[data-testid="btn-play"]');
             return { streamEnd: last ? last.responseEnd : null,
                      lastFrame: changed.length ? changed[changed.length - 1].t : t0,
                      lastEpochChange: moved.length ? moved[moved.length - 1].t : t0,
                      framesAfter: changed.length, liveEnded: window.__room.liveEnded,
                      pressedFalse: play.getAttribute("aria-pressed") === "false" };
           }""",
        press["t"],
    )
    epoch_after = page.request.get(f"/api/v1/networks/{net}").json()["epoch"]
    context.close()
    figures = {
        "page": LIVE_QUERY,
        "viewport": VIEWPORT,
        "targets": LIVE_TARGETS,
        **{k: v for k, v in top.items() if k not in ("parts_wall_ms", "trace")},
        "epochs_trained": epoch_after - epoch_before,
        "long_tasks_ms_in_the_first_second": started,
        "play_press_trace": play_trace,
        "tooltip_shown_while_playing": tooltip_shown,
        "tooltip_text_follows": tooltip_follows,
        "pause_stream_closed_ms": round(after["streamEnd"] - press["t"], 1) if after["streamEnd"] else None,
        "pause_display_stopped_ms": round(max(after["lastFrame"], after["lastEpochChange"]) - press["t"], 1),
        "pause_frames_after_press": after["framesAfter"],
        "pause_full_views_from_ms": round(after["liveEnded"] - press["t"], 1) if after["liveEnded"] else None,
        "pause_button_shows_paused": after["pressedFalse"],
        "epochs_after_pause": epoch_after - server_at_press,
        "display_epochs_behind_at_press": server_at_press - press["epoch"],
        "top_of_page": top,
        "scrolled_to_plots": plots,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    figures["met"] = _met(figures)
    return figures


def _met(f: dict[str, Any]) -> dict[str, bool]:
    """Each target, met or not (frame figures: in both positions)."""
    windows = [f["top_of_page"], f["scrolled_to_plots"]]
    t = LIVE_TARGETS
    return {
        "no_long_task_over_50ms": all(w["long_tasks_over_50ms"] <= t["long_tasks_over_50ms"] for w in windows),
        "frames_at_least_0.9x_epochs": all((w["frames_per_epoch"] or 0) >= t["frames_per_epoch"] for w in windows),
        "at_least_30_frames_per_s": all(w["frames_per_s"] >= t["frames_per_s"] for w in windows),
        "tooltip_shows_and_follows": bool(f["tooltip_shown_while_playing"] and f["tooltip_text_follows"]),
        "pause_within_200ms": f["pause_display_stopped_ms"] <= t["pause_ms"]
        and (f["pause_stream_closed_ms"] or 1e9) <= t["pause_ms"],
        "at_most_1_epoch_after_pause": f["epochs_after_pause"] <= t["epochs_after_pause"],
    }


def _line(name: str, w: dict[str, Any]) -> str:
    tr = w["trace"]
    kinds = ", ".join(f"{k} {v}" for k, v in tr["cpu_ms_per_frame_by_kind"].items() if v >= 0.05)
    parts = ", ".join(f"{k} {v}" for k, v in list(tr["part_cpu_ms_per_frame"].items())[:8] if v >= 0.05)
    return (
        f"  {name}: {w['frames_per_s']} frames/s for {w['stream_epochs_per_s']} epochs/s "
        f"(ratio {w['frames_per_epoch']}); long tasks > 50 ms: {w['long_tasks_over_50ms']} in {w['seconds']} s "
        f"(longest {w['longest_task_ms']} ms); CPU: browser {w['browser_cpu_ms_per_frame']} ms per frame "
        f"({w['browser_cores_busy']} cores), server {w['server_cpu_ms_per_epoch']} ms per epoch "
        f"({w['server_cores_busy']} cores)\n"
        f"    trace ({tr['seconds']} s, {tr['frames']} frames): main-thread CPU "
        f"{tr['main_thread_cpu_ms_per_frame']} ms per frame (wall {tr['main_thread_wall_ms_per_frame']}): {kinds}\n"
        f"    tasks by thread time (load-independent): longest {tr['longest_task_cpu_ms']} ms, "
        f"{tr['tasks_over_50ms_cpu']} over 50 ms, {tr['tasks_over_30ms_cpu']} over 30 ms\n"
        f"    parts, CPU ms per frame: {parts}"
    )


def _play_trace(tr: dict[str, Any] | None) -> str:
    if tr is None:
        return " (--trace-play: their thread times too)"
    held = "; ".join(f"{t['cpu_ms']} ms CPU: {t['parts_wall_ms']}" for t in tr["long_tasks"][:3])
    return (
        f"; traced: longest task by thread time {tr['longest_task_cpu_ms']} ms, {tr['tasks_over_50ms_cpu']} over 50 ms"
        + (f" (long ones held {held})" if held else "")
    )


def report_live(live: dict[str, Any]) -> str:
    met = ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in live["met"].items())
    return (
        f"live training {live['page']} at {live['viewport']['width']}x{live['viewport']['height']}:\n"
        f"{_line('top of the page (diagram, equations)', live['top_of_page'])}\n"
        f"{_line('scrolled to the data plot and curves', live['scrolled_to_plots'])}\n"
        f"  long tasks from the Play press to 0.5 s after the first frames (not in the windows above): "
        f"{live['long_tasks_ms_in_the_first_second']} ms{_play_trace(live['play_press_trace'])}\n"
        f"  tooltip while playing: shown {live['tooltip_shown_while_playing']}, "
        f"follows {live['tooltip_text_follows']}\n"
        f"  pause: stream closed after {live['pause_stream_closed_ms']} ms, display still after "
        f"{live['pause_display_stopped_ms']} ms ({live['pause_frames_after_press']} live frame(s) after the press; "
        f"the views drawn in full from {live['pause_full_views_from_ms']} ms), "
        f"{live['epochs_after_pause']} epoch(s) trained after the press, "
        f"display {live['display_epochs_behind_at_press']} epoch(s) behind the stream at the press\n"
        f"  targets met: {met}\n"
        f"  (load average {live['load_average_1min']}; {os.cpu_count()} CPUs)"
    )
