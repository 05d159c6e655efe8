"""Phones and narrow windows (360 px and up): one column, the top bar wraps, the document never
scrolls sideways, the diagram fits the width, and every control can be reached; and the same page
on the desktop sizes a room has never scrolls sideways either."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .room_support import ALL_SIZES, overflow_x, shot, sized
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
