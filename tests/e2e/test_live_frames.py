"""What a frame of live training draws (issue 11: no long task while playing): a playing frame
changes the plots in place (no new figure), the equations Play shows are fitted beforehand (drawn
once at Play), and after Pause the views are drawn in full once, when the stream has ended."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .room_support import RESULTS
from .support import Lab

pytestmark = pytest.mark.e2e

MOONS = "?ds=moons&sizes=2,8,8,2&act=tanh,tanh&seed=0&eta=0.1&bs=16"
_EPOCH = "window.__lab.store.state.network.epoch"
_PLAY = "document.querySelector('[data-testid=\"btn-play\"]')"

# Counts the Plotly calls on the data plot and the loss curves (by name), and their time.
_COUNT_PLOTLY = """() => {
  window.__plotly = [];
  const plots = { dataplot: document.getElementById('dataplot'),
                  curves: document.querySelector('[data-testid="loss-plot"]') };
  for (const name of ['react', 'newPlot', 'relayout', 'animate', 'restyle', 'update', 'redraw']) {
    const orig = Plotly[name];
    Plotly[name] = function (gd, ...rest) {
      const which = Object.keys(plots).find((k) => plots[k] === gd);
      if (which) {
        // afterOwnRelayout: a relayout of the same plot ran earlier in this task (its mark is
        // cleared by a timeout queued with it, which runs once the task is over and before any
        // timeout queued later, such as the one that draws the new points).
        const marks = (window.__marks ||= {});
        window.__plotly.push({ which, name, live: window.__lab.store.state.live, afterOwnRelayout: !!marks[which] });
        if (name === 'relayout') {
          marks[which] = true;
          setTimeout(() => { marks[which] = false; }, 0);
        }
      }
      return orig.call(this, gd, ...rest);
    };
  }
}"""

# Counts the full draws of the equations: each replaces the panel's children (a draw per budget tried
# while fitting, all in one task: one observer callback); writing new numbers in place does not.
_WATCH_EQUATIONS = """() => {
  window.__eqDraws = [];
  new MutationObserver((records) => {
    const mine = records.filter((r) => r.type === 'childList' && r.target.id === 'equations');
    if (mine.length) window.__eqDraws.push({ t: performance.now(), attempts: mine.length,
                                             live: window.__lab.store.state.live });
  }).observe(document.getElementById('equations'), { childList: true });
}"""


def _write(name: str, figures: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(json.dumps(figures, indent=2) + "\n")


def _ready(page: Page) -> None:
    page.wait_for_function("window.__perf.plotsReady !== null", timeout=30_000)


def test_a_playing_frame_changes_the_plots_in_place(lab: Lab) -> None:
    lab.open(MOONS)
    page = lab.page
    _ready(page)
    page.get_by_test_id("dataplot").scroll_into_view_if_needed()
    page.evaluate(_COUNT_PLOTLY)
    page.keyboard.press(" ")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "true")
    # Until an axis of the curves has grown after Play's fixed axes (the epochs' doubles as they pass its end), and the
    # curves moved twice after that.
    page.wait_for_function(
        """() => { const c = window.__plotly.filter((c) => c.which === 'curves');
                   const i = c.findIndex((x, j) => j > 0 && x.name === 'relayout');
                   return i >= 0 && c.slice(i).filter((x) => x.name === 'animate').length >= 2; }""",
        timeout=90_000,
    )
    calls = page.evaluate("window.__plotly.filter((c) => c.live)")
    page.keyboard.press(" ")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
    new_figures = [c for c in calls if c["name"] in ("react", "newPlot", "update", "redraw", "restyle")]
    # Play re-creates no figure: the paused curves get fixed axes (a relayout), then move in place.
    assert new_figures == [], new_figures
    curves = [c for c in calls if c["which"] == "curves"]
    assert curves[0]["name"] == "relayout" and len([c for c in curves if c["name"] == "animate"]) >= 3, curves
    # An axis of the curves grew: the axes are redrawn, and the new points follow in a later task.
    assert sum(1 for c in curves[1:] if c["name"] == "relayout") >= 1, curves
    assert not [c for c in curves if c["afterOwnRelayout"]], curves
    assert sum(1 for c in calls if c["which"] == "dataplot" and c["name"] == "relayout") >= 10
    _write("live-plot-calls.json", {"calls_while_live": len(calls), "curves": curves})
    assert not lab.errors


def test_play_after_paused_epochs_replots_no_curve(lab: Lab) -> None:
    lab.open(MOONS)
    page = lab.page
    _ready(page)
    page.get_by_test_id("training").scroll_into_view_if_needed()
    page.keyboard.press("e")  # a paused epoch: the curves are the paused figure, with points
    page.wait_for_function(f"{_EPOCH} >= 1", timeout=30_000)
    plot = "document.querySelector('[data-testid=\"loss-plot\"]')"
    page.wait_for_function(f"{plot}.data && {plot}.data[0].x.length >= 1", timeout=30_000)
    modes = page.evaluate(f"{plot}.data.map((d) => d.mode)")
    page.evaluate(_COUNT_PLOTLY)
    page.keyboard.press(" ")
    # Until the curves have moved in three live frames.
    page.wait_for_function(
        "window.__plotly.filter((c) => c.which === 'curves' && c.name === 'animate').length >= 3", timeout=60_000
    )
    calls = page.evaluate("window.__plotly.filter((c) => c.which === 'curves')")
    live_modes = page.evaluate(f"{plot}.data.map((d) => d.mode)")
    page.keyboard.press(" ")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
    assert not [c for c in calls if c["name"] in ("react", "newPlot", "update", "restyle", "redraw")], calls
    assert live_modes == modes, "the trace mode is the same paused and live"
    assert not lab.errors


def test_the_equations_play_shows_are_fitted_before_play(lab: Lab) -> None:
    lab.open(MOONS)
    page = lab.page
    _ready(page)
    page.evaluate("window.scrollTo(0, 0)")
    # Paused and idle, the page fits the equations of the stage Play shows (the output layer's).
    page.wait_for_function("(window.__lab.sched.costs['equations-prefit'] || {}).n >= 1", timeout=10_000)
    page.evaluate(_WATCH_EQUATIONS)
    page.keyboard.press(" ")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("window.__eqDraws.some((d) => d.live)", timeout=30_000)
    page.wait_for_function(f"{_EPOCH} >= 10", timeout=30_000)
    page.keyboard.press(" ")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
    page.wait_for_function("!window.__lab.store.state.live && window.__eqDraws.some((d) => !d.live)")
    page.wait_for_timeout(300)
    draws = page.evaluate("window.__eqDraws")
    live = [d for d in draws if d["live"]]
    paused = [d for d in draws if not d["live"]]
    _write("live-equations-draws.json", {"draws": draws})
    # Play: one full draw, of one budget (the one fitted beforehand); then numbers in place only.
    assert len(live) == 1 and live[0]["attempts"] == 1, draws
    # Pause: drawn in full (and fitted) once, when the stream has ended and the final network is in.
    assert len(paused) == 1, draws
    assert not lab.errors


def test_pause_draws_the_views_in_full_once_after_the_stream(lab: Lab) -> None:
    lab.open(MOONS)
    page = lab.page
    _ready(page)
    page.keyboard.press(" ")
    page.wait_for_function(f"{_EPOCH} >= 10", timeout=30_000)
    # The actions from the press on (the watcher is installed in the same task as the press).
    press = page.evaluate(
        """() => { window.__actions = [];
                   window.__lab.store.subscribe((s, changed, action) => window.__actions.push(
                     { action, t: performance.now(), network: changed.has('network'), live: s.live }));
                   const t = performance.now();
                   document.dispatchEvent(new KeyboardEvent("keydown", { key: " ", bubbles: true }));
                   return t; }"""
    )
    # The button says paused at once; the views stay live until the stream ends, then draw in full.
    assert page.evaluate(f"{_PLAY}.getAttribute('aria-pressed')") == "false"
    page.wait_for_function("!window.__lab.store.state.live", timeout=30_000)
    actions = page.evaluate("window.__actions")
    names = [a["action"] for a in actions]
    assert names[0] == "playStopped" and names.count("liveEnded") == 1, names
    ended = names.index("liveEnded")
    assert names.count("liveFrame") <= 1, names  # the late epochs: one frame
    assert all(a["live"] for a in actions[:ended]), "no view drawn in full before the stream ended"
    assert "networkLoaded" in names[:ended], "the final network was in before the full draw"
    net = lab.api("GET", f"/networks/{lab.network_id}")
    page.wait_for_function(f"(e) => {_EPOCH} === e", arg=net["epoch"])
    lab.wait_value("W-1-0-0", net["W"][0][0][0])
    _write("live-pause-actions.json", {"press": press, "actions": actions})
    assert not lab.errors


# Each animation frame, before or after the page's own frame: the epochs the streams delivered so
# far with their snapshots and the epochs the page shows (its store's history).
_SAMPLE_FRAMES = """() => {
  window.__ticks = [];
  const tick = () => {
    window.__ticks.push({ received: window.__perf.live.complete, shown: window.__lab.store.state.history.length });
    if (window.__lab.store.state.playing || !window.__ticks.length) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def test_every_epoch_received_is_drawn_by_the_next_frame(lab: Lab) -> None:
    lab.open(MOONS)
    page = lab.page
    _ready(page)
    page.keyboard.press(" ")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "true")
    page.evaluate(_SAMPLE_FRAMES)
    page.wait_for_function("window.__perf.live.complete >= 60 && window.__ticks.length >= 30", timeout=60_000)
    ticks = page.evaluate("window.__ticks.slice()")
    counts = page.evaluate("({ ...window.__perf.live })")
    page.keyboard.press(" ")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
    # An epoch that has arrived by one animation frame is shown two frames later at the latest (its
    # frame is asked for when its snapshot arrives, and runs at the next animation frame): no epoch
    # waits for a second frame, however slow the frames are.
    late = [(i, ticks[i], ticks[i + 2]) for i in range(len(ticks) - 2) if ticks[i + 2]["shown"] < ticks[i]["received"]]
    assert len(ticks) >= 30 and not late, late[:5]
    # Every frame that drew new epochs drew all that had arrived.
    assert counts["drawn"] <= counts["received"] and counts["frames"] >= 1
    _write("live-frames-per-epoch.json", {"frames_per_epoch": counts["frames"] / counts["received"], **counts})
    assert not lab.errors
