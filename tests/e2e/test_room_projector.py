"""Projector mode in a room: from the back row every number and label of the diagram and the
equations is readable (>= 24 px on 1920x1080, >= 20 px on smaller screens), the current equation
sits beside the diagram without scrolling, the lesson's title and what to look at are on screen,
no controls are shown, and the keys still step."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .room_support import DESKTOPS, shot, sized, smallest_text
from .support import Lab

pytestmark = pytest.mark.e2e


def _inside_viewport(lab: Lab, selector: str) -> bool:
    return bool(
        lab.page.evaluate(
            """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                 return r.width > 0 && r.top >= 0 && r.left >= 0
                   && r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5; }""",
            selector,
        )
    )


@pytest.mark.parametrize(("width", "height"), DESKTOPS)
def test_projector_mode_is_readable_from_the_back(lab: Lab, width: int, height: int) -> None:
    page = lab.page
    sized(page, width, height)
    lab.open("?lesson=xor-hidden-layer&projector=1")
    expect(page.locator("html")).to_have_class("projector")
    minimum = 24 if width >= 1600 else 20
    for _ in range(2):  # forward to the output layer (L = 2): the longest equation of this lesson
        stage = lab.stage
        page.keyboard.press("f")
        lab.wait_stage(stage + 1)
    lab.wait_value("a-2-0", lab.trace()["a"][1][0][0])

    for hidden in ("builder", "btn-forward", "btn-play", "f-lesson", "timeline", "f-diagram-mode"):
        expect(page.get_by_test_id(hidden)).to_be_hidden()
    lesson = lab.api("GET", "/lessons/xor-hidden-layer")
    block = page.get_by_test_id("lesson-projector")
    expect(block).to_be_visible()
    expect(block.locator("h2")).to_have_text(lesson["title"])
    expect(block.locator("li")).to_have_count(len(lesson["look_at"]))
    assert _inside_viewport(lab, "[data-testid='lesson-projector']")

    diagram = smallest_text(page, "[data-testid='diagram'] svg")
    equations = smallest_text(page, "[data-testid='equations']")
    assert diagram["px"] >= minimum, diagram
    assert equations["px"] >= minimum, equations
    # the current equation (its result included) is on screen beside the diagram, unscrolled
    assert page.evaluate("document.querySelector('[data-testid=\"equations\"]').scrollTop") == 0
    assert _inside_viewport(lab, "[data-testid='equations'] .eq")
    assert _inside_viewport(lab, "[data-testid='equations'] [data-testid='eq-result']")
    assert _inside_viewport(lab, "[data-testid='diagram'] svg")
    clipped = page.evaluate(
        """[...document.querySelectorAll('[data-testid="equations"] .eq:first-of-type .eq-block')]
             .filter((n) => n.scrollWidth > n.clientWidth + 1).length"""
    )
    assert clipped == 0, "the current equation fits its panel's width"
    eq_box = page.get_by_test_id("equations").bounding_box()
    diagram_box = page.get_by_test_id("diagram").bounding_box()
    assert eq_box is not None and diagram_box is not None
    assert eq_box["x"] >= diagram_box["x"] + diagram_box["width"] - 1, "beside the diagram"
    shot(page, f"projector-{width}x{height}.png")

    page.keyboard.press("b")  # the keys still drive it: backward from the output layer
    lab.wait_stage(3)
    assert smallest_text(page, "[data-testid='equations']")["px"] >= minimum
