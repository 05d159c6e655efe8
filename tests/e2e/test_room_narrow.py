"""Phones and narrow windows (360 px and up): one column, the top bar wraps, the document never
scrolls sideways, the diagram fits the width, and every control can be reached; and the same page
on the desktop sizes a room has never scrolls sideways either."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .room_support import ALL_SIZES, boxes_overlap, diagram_overlaps, overflow_x, shot, sized
from .support import Lab

pytestmark = pytest.mark.e2e

_OUTSIDE = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("button, input:not(.visually-hidden), select, a[href], summary")]
    .filter((n) => { const r = n.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
    .filter((n) => { const r = n.getBoundingClientRect(); return r.left < -0.5 || r.right > width + 0.5; })
    .map((n) => `${n.tagName}#${n.id || n.dataset.testid || ""}`);
}"""


def _cards(page: Page) -> list[dict[str, float]]:
    return list(
        page.evaluate(
            """[...document.querySelectorAll('.main > .card')].filter((n) => n.offsetParent)
                 .map((n) => { const r = n.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width }; })"""
        )
    )


_STEPPER = ["btn-forward", "btn-backward", "btn-update", "btn-fullstep", "btn-epoch", "btn-play", "btn-reset"]
PHONES = [(390, 844), (360, 740)]


def _top(page: Page, selector: str) -> float:
    return float(page.evaluate("(s) => document.querySelector(s).getBoundingClientRect().top + scrollY", selector))


@pytest.mark.parametrize(("width", "height"), PHONES)
def test_a_phone_shows_the_network_first_with_a_stepper_that_fits(lab: Lab, width: int, height: int) -> None:
    """Opening a lesson on a phone: the first screen is the stepper and the whole diagram (before
    the lessons box and the form), the step buttons fit the width side by side without overlapping
    or being cut, each big enough to tap, and the diagram's numbers do not run into each other."""
    page = lab.page
    sized(page, width, height)
    lab.open("?lesson=xor-hidden-layer")
    assert page.evaluate("scrollY") == 0
    for testid in [*_STEPPER, "diagram-svg"]:
        expect(page.get_by_test_id(testid)).to_be_in_viewport(ratio=1)
    diagram = _top(page, "[data-testid='diagram']")
    assert diagram < _top(page, "[data-testid='builder']"), "the diagram comes before the form"
    assert diagram < _top(page, "[data-testid='lessons']"), "and before the lessons box"
    assert _top(page, ".eq-card") < _top(page, "[data-testid='builder']"), "its equations too"

    buttons = [page.get_by_test_id(t).bounding_box() for t in _STEPPER]
    assert all(b is not None for b in buttons)
    boxes = [b for b in buttons if b is not None]
    for b in boxes:
        assert b["x"] >= 0 and b["x"] + b["width"] <= width, "inside the width"
        assert b["width"] >= 24 and b["height"] >= 24, "big enough to tap (WCAG 2.5.8)"
    assert boxes_overlap(page, [f"[data-testid='{t}']" for t in _STEPPER]) == []
    cut = page.evaluate(
        """(ids) => ids.filter((id) => { const n = document.querySelector(`[data-testid="${id}"]`);
             return n.scrollWidth > n.clientWidth + 1; })""",
        _STEPPER,
    )
    assert cut == [], "no button's label is cut off"
    for button in ("btn-forward", "btn-forward", "btn-backward"):  # the student steps, watching the diagram
        stage = lab.stage
        page.get_by_test_id(button).click()
        lab.wait_stage(stage + 1)
    assert diagram_overlaps(page) == {"texts": [], "shapes": [], "outside": []}
    assert page.evaluate("scrollY") == 0, "stepping does not scroll the page"
    shot(page, f"phone-{width}x{height}-first-screen.png")


@pytest.mark.parametrize("width", [390, 360])
def test_a_phone_gets_one_column_that_fits(lab: Lab, width: int) -> None:
    page = lab.page
    sized(page, width, 844)
    lab.open("?lesson=xor-hidden-layer")
    for _ in range(2):  # equations with matrices in them
        stage = lab.stage
        page.get_by_test_id("btn-forward").click()
        lab.wait_stage(stage + 1)
    assert overflow_x(page) == 0, "the document scrolls sideways"
    assert page.evaluate(_OUTSIDE) == [], "controls outside the width"

    bar = page.locator(".topbar").bounding_box()
    assert bar is not None and bar["width"] <= width
    for testid in ("btn-forward", "btn-backward", "btn-update", "btn-fullstep", "btn-epoch", "btn-play", "btn-reset"):
        expect(page.get_by_test_id(testid)).to_be_in_viewport()

    cards = _cards(page)
    assert len(cards) >= 4
    assert max(c["x"] for c in cards) - min(c["x"] for c in cards) < 1, "one column"
    assert all(c["w"] <= width for c in cards)
    svg = page.get_by_test_id("diagram-svg").bounding_box()
    assert svg is not None and svg["x"] >= 0 and svg["x"] + svg["width"] <= width
    assert svg["width"] >= 0.8 * width - 40, "the diagram uses the width"
    shot(page, f"phone-{width}-top.png")

    page.get_by_test_id("diagram").scroll_into_view_if_needed()
    shot(page, f"phone-{width}-diagram.png")
    page.get_by_test_id("f-eta").scroll_into_view_if_needed()
    page.get_by_test_id("f-eta").fill("0.2")  # a control far down the page can be used
    page.get_by_test_id("f-eta").press("Tab")
    page.wait_for_function("new URLSearchParams(location.search).get('eta') === '0.2'")
    page.get_by_test_id("training").scroll_into_view_if_needed()
    shot(page, f"phone-{width}-training.png")


@pytest.mark.parametrize(("width", "height"), ALL_SIZES)
def test_no_size_a_room_uses_scrolls_sideways(lab: Lab, width: int, height: int) -> None:
    page = lab.page
    sized(page, width, height)
    lab.open("?ds=moons&sizes=2,8,8,2&act=tanh&seed=0")
    page.keyboard.press("s")  # a full step: equations, update and layers all drawn
    page.wait_for_function("document.body.dataset.stage !== '0'")
    assert overflow_x(page) == 0
    assert page.evaluate(_OUTSIDE) == []
    shot(page, f"lab-{width}x{height}.png")
