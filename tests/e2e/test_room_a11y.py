"""Screen readers and keyboards: axe-core (vendored under tests/e2e/vendor/axe-core, pinned) finds
no serious or critical violation on the lab, quiz, compare and projector pages at the four sizes
a room uses (1280x720, 1366x768, 1920x1080, 390x844), with the rules a room needs switched on
(label-content-name-mismatch is off by default in axe); /compare has no violation at all."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .room_support import ALL_SIZES, sized
from .support import ROOT, Lab

pytestmark = pytest.mark.e2e

AXE_VERSION = "4.10.3"
AXE = ROOT / "tests" / "e2e" / "vendor" / "axe-core" / "axe.min.js"
EXTRA_RULES = ["label-content-name-mismatch", "p-as-heading", "table-fake-caption", "td-has-header"]


def _axe(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    assert page.evaluate("axe.version") == AXE_VERSION
    violations = page.evaluate(
        """async (extra) => {
             const rules = Object.fromEntries(extra.map((id) => [id, { enabled: true }]));
             const r = await axe.run(document, { resultTypes: ["violations"], rules });
             return r.violations.map((v) => ({ id: v.id, impact: v.impact,
               nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
           }""",
        EXTRA_RULES,
    )
    return [v for v in violations if v["impact"] in impacts]


def _step(lab: Lab, presses: int) -> None:
    for _ in range(presses):
        stage = lab.stage
        lab.page.keyboard.press("f")
        lab.wait_stage(stage + 1)


def _open_compare(page: Page) -> None:
    page.goto("/compare")
    page.wait_for_function("!!document.body.dataset.networkA && !!document.body.dataset.networkB", timeout=20_000)
    page.wait_for_timeout(500)


@pytest.mark.parametrize(("width", "height"), ALL_SIZES)
def test_the_lab_page_has_no_serious_violation(lab: Lab, width: int, height: int) -> None:
    sized(lab.page, width, height)
    lab.open("?ds=moons&sizes=2,8,8,2&act=tanh&seed=0")
    _step(lab, 3)  # equations, layer panels and the diagram all drawn with numbers
    assert _axe(lab.page) == []


@pytest.mark.parametrize(("width", "height"), ALL_SIZES)
def test_the_quiz_page_has_no_serious_violation(lab: Lab, width: int, height: int) -> None:
    sized(lab.page, width, height)
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=1&quiz=1")
    lab.page.get_by_test_id("btn-forward").click()  # a question is asked
    expect(lab.page.get_by_test_id("quiz")).to_be_visible()
    lab.page.wait_for_timeout(300)
    assert _axe(lab.page) == []


@pytest.mark.parametrize(("width", "height"), ALL_SIZES)
def test_the_projector_page_has_no_serious_violation(lab: Lab, width: int, height: int) -> None:
    sized(lab.page, width, height)
    lab.open("?lesson=xor-hidden-layer&projector=1")
    _step(lab, 2)
    assert _axe(lab.page) == []


def test_the_projected_digits_layer_view_has_no_serious_violation(lab: Lab) -> None:
    """The layer view's card scrolls itself on a 1280x720 projector: a region the keyboard reaches."""
    sized(lab.page, 1280, 720)
    lab.open("?ds=digits&sizes=64,32,10&act=tanh&seed=0&projector=1")
    _step(lab, 2)
    assert lab.page.evaluate("document.querySelector('#diagram-card').scrollTop") > 0, "scrolled to layer 2"
    assert _axe(lab.page) == []


@pytest.mark.parametrize(("width", "height"), ALL_SIZES)
def test_the_compare_page_has_no_serious_violation(lab: Lab, width: int, height: int) -> None:
    sized(lab.page, width, height)
    _open_compare(lab.page)
    assert _axe(lab.page) == []


def test_the_compare_page_has_no_violation_at_all(lab: Lab) -> None:
    """Not even a minor one: its side-by-side table's corner header once had no text."""
    _open_compare(lab.page)
    assert _axe(lab.page, ("minor", "moderate", "serious", "critical")) == []
    corner = lab.page.locator("table.cmp-nums thead th").first
    expect(corner).to_have_text("quantity")
