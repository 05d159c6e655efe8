"""Keyboard reach: every unit of the diagram and every weight and bias of the layer panels can be
reached and edited from the keyboard (one tab stop per group, arrow keys within a layer), the
focus is always visible, and the edges keep their sign without colour (negative ones dashed)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .room_support import shot
from .support import Lab

pytestmark = pytest.mark.e2e

_FOCUSED = "document.activeElement && (document.activeElement.dataset.nav || document.activeElement.dataset.edit || '')"


def test_the_diagram_units_are_reached_and_edited_with_the_keyboard(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=1")
    page = lab.page
    for _ in range(80):  # Tab from the top of the page until the diagram's tab stop
        page.keyboard.press("Tab")
        if page.evaluate("!!(document.activeElement && document.activeElement.dataset.nav)"):
            break
    assert page.evaluate(_FOCUSED) == "0:0", "the diagram is one tab stop, starting at x_1"
    for key, where in [("ArrowRight", "1:0"), ("ArrowDown", "1:1"), ("ArrowDown", "1:2"), ("ArrowDown", "1:2"),
                       ("ArrowRight", "2:1"), ("ArrowUp", "2:0"), ("ArrowLeft", "1:0")]:  # fmt: skip
        page.keyboard.press(key)
        assert page.evaluate(_FOCUSED) == where, key
    page.keyboard.press("ArrowDown")  # unit 1 of layer 1
    style = "getComputedStyle(document.activeElement)"
    outline = page.evaluate(f"{style}.outlineStyle + ' ' + {style}.outlineWidth")
    assert outline == "solid 3px", "the focus is visible"
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label.startswith("layer 1, unit 1:") and "b =" in label
    shot(page, "keyboard-diagram-focus.png")

    page.keyboard.press("Enter")
    editor = page.get_by_test_id("editor")
    expect(editor).to_be_visible()
    expect(editor).to_contain_text("[1]")
    page.get_by_test_id("editor-input").fill("0.375")
    page.keyboard.press("Enter")
    expect(editor).to_be_hidden()
    expect(page.get_by_test_id("bias-1-1")).to_have_attribute("data-value", "0.375")
    assert lab.api("GET", f"/networks/{lab.network_id}")["b"][0][1] == 0.375
    assert page.evaluate(_FOCUSED) == "1:1", "the focus comes back to the unit"


def test_every_weight_and_bias_of_the_layer_panels_is_reachable(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=1")
    page = lab.page
    tabbable = page.evaluate(
        """[...document.querySelectorAll('#layers table')].filter((t) => t.querySelector('td[data-edit]'))
             .map((t) => t.querySelectorAll('td[data-edit][tabindex="0"]').length)"""
    )
    assert tabbable and all(n == 1 for n in tabbable), "one tab stop per table of editable numbers"
    unreachable = page.evaluate("[...document.querySelectorAll('#layers td[data-edit]:not([tabindex])')].length")
    assert unreachable == 0
    first = page.locator("#layers td[data-edit='W:2:0:0']")
    first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(_FOCUSED) == "W:2:1:1"
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("editor")).to_contain_text("[1,1]")
    page.get_by_test_id("editor-input").fill("-2.25")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("editor")).to_be_hidden()
    assert lab.api("GET", f"/networks/{lab.network_id}")["W"][1][1][1] == -2.25
    assert page.evaluate(_FOCUSED) == "W:2:1:1"
    shot(page, "keyboard-table-focus.png")


def test_edges_keep_their_sign_without_colour(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=1")
    page = lab.page
    page.emulate_media(forced_colors="none")
    signs = page.evaluate(
        """[...document.querySelectorAll('[data-testid="diagram"] .edge-hit')].map((hit) => {
             const line = hit.nextElementSibling;
             return [Number(hit.dataset.value), line.getAttribute('stroke-dasharray')];
           })"""
    )
    assert any(v < 0 for v, _ in signs) and any(v > 0 for v, _ in signs)
    for value, dash in signs:
        assert (dash is not None) == (value < 0), (value, dash)
    page.add_style_tag(content="html { filter: grayscale(1); }")
    shot(page, "edges-greyscale.png")


_FOCUS_SHOWN = """() => {
  const n = document.activeElement;
  if (!n || n === document.body) return { ok: false, what: "nothing focused" };
  const cs = getComputedStyle(n);
  const ring = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2;
  const r = n.getBoundingClientRect();
  const onScreen = r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight
    && r.right > 0 && r.left < innerWidth;
  const name = `${n.tagName}#${n.dataset.testid || n.id || ""}`;
  return { ok: ring && onScreen, what: `${name} ring=${ring} onScreen=${onScreen}` };
}"""


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (390, 844)])
def test_the_focus_is_always_visible(lab: Lab, width: int, height: int) -> None:
    """Tab through the whole page: every stop has a ring of at least 2 px and is on screen."""
    page = lab.page
    page.set_viewport_size({"width": width, "height": height})
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=1")
    page.keyboard.press("f")
    lab.wait_stage(1)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    seen: set[str] = set()
    for _ in range(200):
        page.keyboard.press("Tab")
        state = page.evaluate(_FOCUS_SHOWN)
        if state["what"] == "nothing focused":  # past the last stop: the browser's own UI has it
            break
        for _ in range(30):  # a panel that skipped its layout off screen (content-visibility) lays out first,
            if state["ok"]:  # and the scroll to the focus follows it (slower on a busy machine)
                break
            page.wait_for_timeout(100)
            state = page.evaluate(_FOCUS_SHOWN)
        assert state["ok"], state["what"]
        if state["what"] in seen:
            break
        seen.add(state["what"])
    assert len(seen) > 40, "the walk went through the page's controls and number groups"
    assert any("neuron-" in w for w in seen) and any("W-" in w for w in seen)


def test_every_unit_of_the_diagram_is_one_arrow_key_away(lab: Lab) -> None:
    """One tab stop for the diagram; from it, arrow keys visit every unit of every layer."""
    lab.open("?ds=moons&sizes=2,4,3,2&act=tanh&seed=0")
    page = lab.page
    units = page.evaluate("[...document.querySelectorAll('[data-testid=\"diagram\"] g[data-nav]')].length")
    assert units == 2 + 4 + 3 + 2
    stops = page.evaluate('document.querySelectorAll(\'[data-testid="diagram"] g[data-nav][tabindex="0"]\').length')
    assert stops == 1
    page.locator("[data-testid='diagram'] g[data-nav][tabindex='0']").focus()
    visited = {page.evaluate(_FOCUSED)}
    for layer in range(4):
        for _ in range(4):
            page.keyboard.press("ArrowDown")
            visited.add(page.evaluate(_FOCUSED))
        for _ in range(4):
            page.keyboard.press("ArrowUp")
        if layer < 3:
            page.keyboard.press("ArrowRight")
            visited.add(page.evaluate(_FOCUSED))
    sizes = [2, 4, 3, 2]
    assert visited == {f"{k}:{i}" for k, n in enumerate(sizes) for i in range(n)}
