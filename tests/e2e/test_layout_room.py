"""What still looked wrong in a room, each fixed and measured at the sizes a room uses (1280x720,
1366x768, 1920x1080, phones of 390 and 360 px): numbers that reach past their neuron, neurons
stretched into long pills, a blank area under the diagram, a phone's Tab order against its visual
order, /compare's form before its result on a phone, the page moving while training plays, and
projector alerts that take several lines. Screenshots under test-results/room/."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .room_support import ALL_SIZES, DESKTOPS, shot, sized
from .support import Lab

pytestmark = pytest.mark.e2e

SIZES = [*ALL_SIZES, (360, 740)]
PHONES = [(390, 844), (360, 740)]
MOONS = "?ds=moons&sizes=2,8,8,2&act=tanh,tanh&seed=0"
# Tiny first weights: every a_k and h_k is a few thousandths or less (5e-3, -2e-3, 9e-4).
TINY = f"{MOONS}&init=uniform&scale=0.004"
_FIT = (Path(__file__).parent / "room_fit.js").read_text()


def _fit(page: Page) -> dict[str, Any]:
    return dict(page.evaluate(_FIT))


def _forward(lab: Lab, steps: int) -> None:
    for _ in range(steps):
        stage = lab.stage
        lab.page.get_by_test_id("btn-forward").click()
        lab.wait_stage(stage + 1)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_tiny_numbers_stay_inside_their_neurons(lab: Lab, width: int, height: int) -> None:
    page = lab.page
    sized(page, width, height)
    lab.open(TINY)
    _forward(lab, 3)
    fit = _fit(page)
    if width >= 1000:  # a phone's diagram is too small for numbers: its neurons show colours only
        assert any("e-" in t or "~0" in t for t in fit["texts"]), fit["texts"]
    assert fit["bad"] == [], fit
    page.get_by_test_id("btn-backward").click()  # gradients of a few 1e-5 in gradient mode
    lab.wait_stage(4)
    assert _fit(page)["bad"] == []
    shot(page, f"tiny-numbers-{width}x{height}.png")


@pytest.mark.parametrize(("width", "height"), DESKTOPS)
def test_neurons_are_circles_or_boxes_close_to_their_numbers(lab: Lab, width: int, height: int) -> None:
    page = lab.page
    sized(page, width, height)
    lab.open(MOONS)
    _forward(lab, 1)
    fit = _fit(page)
    # two numbers of at most "−.00" (2.44 em of 10 px) and their gaps: about 62 px of the drawing
    assert fit["widest"] <= max(64 * fit["scale"], 0), fit
    if width >= 1920:
        assert fit["maxAspect"] <= 1.1, f"room enough for circles: {fit}"
    assert fit["bad"] == []
    shot(page, f"neurons-{width}x{height}.png")


_BELOW = """() => {
  // For each card of the main grid: the blank height between its bottom and the next box below it
  // in the same column (the next card, or the end of the grid).
  const cards = [...document.querySelectorAll('.main > :is(.card, .layers-wrap, .sidebar)')]
    .filter((n) => n.offsetParent && n.getBoundingClientRect().height > 0)
    .map((n) => ({ n, r: n.getBoundingClientRect() }));
  const out = {};
  for (const { n, r } of cards) {
    if (n.classList.contains('sidebar')) continue;
    const below = cards.filter((c) => c.n !== n && c.r.top >= r.bottom - 1
      && c.r.left < r.right - 1 && r.left < c.r.right - 1);
    if (!below.length) continue;
    const name = [...n.classList].find((c) => c.endsWith('-card') || c === 'layers-wrap');
    out[name] = Math.min(...below.map((c) => c.r.top)) - r.bottom;
  }
  return out;
}"""


@pytest.mark.parametrize(("width", "height"), ALL_SIZES)
def test_no_blank_area_under_the_diagram(lab: Lab, width: int, height: int) -> None:
    """Forward layer 1 of [2, 8, 8, 2]: the longest equations (a matrix and two vectors of 8), a card
    taller than the diagram's unless the grid gives both one height."""
    page = lab.page
    sized(page, width, height)
    lab.open(MOONS)
    _forward(lab, 1)
    page.wait_for_timeout(200)
    gaps = page.evaluate(_BELOW)
    assert "diagram-card" in gaps, gaps
    assert all(gap <= 16 for gap in gaps.values()), gaps
    if width > 1100:
        boxes = [page.locator(s).bounding_box() for s in (".diagram-card", ".eq-card")]
        assert boxes[0] and boxes[1] and abs(boxes[0]["height"] - boxes[1]["height"]) <= 1, boxes
        shown = page.locator("#equations")
        assert shown.evaluate("(n) => n.scrollHeight > n.clientHeight"), "long equations scroll inside their card"
    shot(page, f"grid-{width}x{height}.png")


_REGION = """() => { const n = document.activeElement;
  const c = n && n.closest('.topbar, .diagram-card, .eq-card, .sidebar, .main > *');
  const named = ['topbar', 'diagram-card', 'eq-card', 'sidebar'];
  return c ? [...c.classList].find((k) => named.includes(k)) || 'rest' : 'none'; }"""


@pytest.mark.parametrize(("width", "height"), PHONES)
def test_a_phone_tabs_in_the_order_it_shows(lab: Lab, width: int, height: int) -> None:
    """One column shows the stepper, the diagram, its equations, then the lessons and the form: Tab
    visits them in that order (the markup's order; no positive tabindex)."""
    page = lab.page
    sized(page, width, height)
    lab.open(MOONS)
    positive = "[...document.querySelectorAll('[tabindex]')].filter((n) => n.tabIndex > 0).length"
    assert page.evaluate(positive) == 0
    visited: list[str] = []
    tops: list[float] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        region = page.evaluate(_REGION)
        if not visited or visited[-1] != region:
            visited.append(region)
        tops.append(float(page.evaluate("document.activeElement.getBoundingClientRect().top + scrollY")))
        if region == "rest":
            break
    order = [r for r in visited if r != "none"]
    assert order[:5] == ["topbar", "diagram-card", "eq-card", "sidebar", "rest"], order
    assert all(b >= a - 60 for a, b in itertools.pairwise(tops)), f"Tab goes back up the page: {tops}"


@pytest.mark.parametrize(("width", "height"), PHONES)
def test_compare_on_a_phone_shows_the_comparison_first(lab: Lab, width: int, height: int) -> None:
    page = lab.page
    sized(page, width, height)
    page.goto("/compare")
    page.wait_for_function("!!document.body.dataset.networkA && !!document.body.dataset.networkB", timeout=20_000)
    expect(page.get_by_test_id("cmp-form-summary")).to_be_in_viewport()
    expect(page.get_by_test_id("c-diff")).to_be_hidden()
    plot = page.get_by_test_id("cmp-plot-a").bounding_box()
    assert plot is not None and plot["y"] < height / 2, f"A's decision surface starts in the first screen: {plot}"
    shot(page, f"compare-phone-{width}x{height}.png")
    page.get_by_test_id("cmp-form-summary").click()  # the form is one tap away
    expect(page.get_by_test_id("c-diff")).to_be_visible()


def test_compare_on_a_desktop_keeps_its_form_open(lab: Lab) -> None:
    page = lab.page
    page.goto("/compare")
    page.wait_for_function("!!document.body.dataset.networkA && !!document.body.dataset.networkB", timeout=20_000)
    expect(page.get_by_test_id("c-diff")).to_be_visible()


_BOXES = """() => ['.diagram-card', '.eq-card', '.data-card', '.train-card'].map((s) => {
  const r = document.querySelector(s).getBoundingClientRect(); return [r.top, r.height]; })"""


def test_nothing_moves_while_training_plays(lab: Lab) -> None:
    """1280x720: the diagram, the equations and the plots below them keep their places and sizes
    from before Play to after Pause, and the data plot starts in the first screen."""
    page = lab.page
    sized(page, 1280, 720)
    lab.open(MOONS)
    _forward(lab, 1)
    before = page.evaluate(_BOXES)
    assert before[2][0] < 720 - 120, f"the data card starts in the first screen: {before}"
    page.get_by_test_id("btn-play").click()
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "true")
    seen = []
    for _ in range(12):
        page.wait_for_timeout(250)
        seen.append(page.evaluate(_BOXES))
    shot(page, "playing-1280x720.png")
    page.get_by_test_id("btn-play").click()
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
    page.wait_for_timeout(300)
    seen.append(page.evaluate(_BOXES))
    for boxes in seen:
        for (top0, h0), (top1, h1) in zip(before, boxes, strict=True):
            assert abs(top1 - top0) <= 1 and abs(h1 - h0) <= 1, (before, boxes)


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_projector_alerts_take_one_line(lab: Lab, width: int, height: int) -> None:
    """The learning-rate lesson diverges: the divergence banner and the exploding-gradients alert,
    each one line of room type (>= 20 px at 1280x720, 24 px wider) with its title in sight."""
    page = lab.page
    sized(page, width, height)
    lab.open("?lesson=learning-rate-too-high&projector=1")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("diverged-message")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("gradient-alert")).to_be_visible(timeout=15_000)
    page.wait_for_timeout(300)
    shot(page, f"projector-alert-{width}x{height}.png")
    minimum = 20 if width < 1600 else 24
    for testid, title in (
        ("banner", "[data-testid='banner'] strong"),
        ("gradient-alert", "[data-testid='gradient-alert'] strong"),
    ):
        node = page.get_by_test_id(testid)
        box = node.bounding_box()
        size = float(node.evaluate("(n) => parseFloat(getComputedStyle(n).fontSize)"))
        assert size >= minimum, f"{testid}: read from the back"
        assert box is not None and box["height"] <= 1.8 * size, f"{testid} takes one line: {box}, {size} px type"
        head = page.locator(title).bounding_box()
        assert head is not None and head["x"] >= 0 and head["x"] + head["width"] <= width

