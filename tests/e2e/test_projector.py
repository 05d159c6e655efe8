"""Projector mode: one link enters it, the controls go, the type grows, the keys still step,
and it lasts across a reload of the tab until it is left again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e


def _font_px(lab: Lab, testid: str) -> float:
    """The rendered size of an element's text, CSS zoom included."""
    return float(
        lab.page.evaluate(
            """(id) => { const n = document.querySelector(`[data-testid="${id}"]`);
                 return parseFloat(getComputedStyle(n).fontSize) * (n.getBoundingClientRect().height
                   / n.offsetHeight || 1); }""",
            testid,
        )
    )


def test_the_link_enters_and_leaves_projector_mode(lab: Lab) -> None:
    lab.open("?lesson=xor-hidden-layer")
    page = lab.page
    link = page.get_by_test_id("projector-link")
    expect(link).to_have_text("Projector")
    expect(page.get_by_test_id("builder")).to_be_visible()
    normal_size = _font_px(lab, "equations")

    link.click()
    expect(page.locator("html")).to_have_class("projector")
    expect(link).to_have_text("Exit projector")
    for hidden in ("builder", "f-lesson", "btn-forward", "timeline"):
        expect(page.get_by_test_id(hidden)).to_be_hidden()
    expect(page.get_by_test_id("lesson-projector")).to_be_visible()  # the lesson, without its picker
    expect(page.get_by_test_id("diagram")).to_be_visible()
    expect(page.get_by_test_id("projector-keys")).to_be_visible()
    assert _font_px(lab, "equations") > 1.25 * normal_size

    stage = lab.stage
    page.keyboard.press("f")  # the keys still drive the page
    lab.wait_stage(stage + 1)
    lab.shot("projector.png")

    page.reload()
    page.wait_for_function("document.body.dataset.ready === '1'")
    expect(page.locator("html")).to_have_class("projector")

    page.get_by_test_id("projector-link").click()
    expect(page.locator("html")).not_to_have_class("projector")
    expect(page.get_by_test_id("builder")).to_be_visible()


def test_a_link_with_projector_1_opens_in_projector_mode(lab: Lab) -> None:
    lab.open("?lesson=vanishing-gradients&projector=1")
    expect(lab.page.locator("html")).to_have_class("projector")
    expect(lab.page.get_by_test_id("builder")).to_be_hidden()
