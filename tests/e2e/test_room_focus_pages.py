"""The room's keyboard promises on every page, not only the lab: Tab through the quiz, the compare
page and the projector at the room's four sizes and every stop has a visible ring and is on screen;
and wherever edges are drawn besides the weights (the diagram showing gradients, the who-is-to-blame
highlight) a negative one is dashed and a positive one solid, so the sign survives greyscale."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .room_support import ALL_SIZES, PHONE, shot, sized
from .support import Lab

pytestmark = pytest.mark.e2e

NET = "?ds=xor&sizes=2,3,2&act=tanh&seed=1"
COMPARE = "/compare?ds=moons&sizes=2,4,4,2&act=tanh,tanh&seed=3&diff=activation&va=sigmoid&vb=tanh"

# The focused element: a ring of at least 2 px, a box on screen, and a name to report it by.
# Every element reached is kept (window.__walked), so the walk ends when Tab comes back to one.
_FOCUS = """() => {
  const n = document.activeElement;
  if (!n || n === document.body) return { ok: false, end: true, what: "nothing focused" };
  const walked = (window.__walked ||= new Set());
  const again = walked.has(n);
  walked.add(n);
  const cs = getComputedStyle(n);
  const ring = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2;
  const r = n.getBoundingClientRect();
  const onScreen = r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight
    && r.right > 0 && r.left < innerWidth;
  const name = `${n.tagName}#${n.dataset.testid || n.id || n.getAttribute("aria-label") || n.className.baseVal
    || n.className || ""}`;
  return { ok: ring && onScreen, end: again, what: `${name} ring=${ring} onScreen=${onScreen}`, name };
}"""


def walk(page: Page) -> list[str]:
    """Tab from the top of the page until the focus comes back (or leaves it); every stop is checked."""
    page.evaluate(  # the walk starts at the top of the page, wherever the focus was
        """() => { window.__walked = new Set(); const top = document.createElement("span");
             top.tabIndex = -1; top.id = "walk-top"; document.body.prepend(top); top.focus(); }"""
    )
    names: list[str] = []
    for _ in range(300):
        page.keyboard.press("Tab")
        page.evaluate("document.getElementById('walk-top')?.remove()")
        state = page.evaluate(_FOCUS)
        if state["end"]:
            break
        for _ in range(30):  # a panel laid out late (content-visibility) and the scroll to it come first
            if state["ok"]:
                break
            page.wait_for_timeout(100)
            state = {**page.evaluate(_FOCUS), "end": False}
        assert state["ok"], state["what"]
        names.append(state["name"])
    return names


def _size_id(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def _reached(names: list[str], *stops: str) -> None:
    for stop in stops:
        assert any(n.endswith(f"#{stop}") for n in names), f"{stop} not reached: {names}"


@pytest.mark.parametrize("size", ALL_SIZES, ids=_size_id)
def test_the_focus_is_visible_in_the_quiz(lab: Lab, size: tuple[int, int]) -> None:
    page = lab.page
    sized(page, *size)
    lab.open(NET + "&quiz=1&qseed=5")
    page.keyboard.press("f")  # a question is asked: its answer box and buttons join the walk
    expect(page.get_by_test_id("quiz-input")).to_be_focused()
    names = walk(page)
    assert len(names) > 40, names
    _reached(names, "btn-forward", "quiz-input", "quiz-reveal", "quiz-skip", "quiz-reset", "neuron-0-0", "W-1-0-0")


@pytest.mark.parametrize("size", ALL_SIZES, ids=_size_id)
def test_the_focus_is_visible_on_the_compare_page(lab: Lab, size: tuple[int, int]) -> None:
    page = lab.page
    sized(page, *size)
    page.goto(COMPARE)
    page.wait_for_function(
        "document.body.dataset.ready === '1' && document.body.dataset.busy === '0' && !!document.body.dataset.networkB"
    )
    names = walk(page)
    _reached(names, "link-lab", "cmp-step", "cmp-epochs", "cmp-train", "cmp-reset", "cmp-form-summary")
    form = page.get_by_test_id("cmp-form-box")
    if size == PHONE:  # folded under its summary on a phone: opened, its fields join the walk
        expect(form).not_to_have_attribute("open", "")
        assert len(names) == 6, names
        page.get_by_test_id("cmp-form-summary").press("Enter")
        expect(form).to_have_attribute("open", "")
        names = walk(page)
    assert len(names) >= 20, names
    _reached(names, "c-diff", "c-va", "c-vb", "c-dataset", "c-sizes", "c-seed", "c-row")


@pytest.mark.parametrize("size", ALL_SIZES, ids=_size_id)
def test_the_focus_is_visible_in_the_projector(lab: Lab, size: tuple[int, int]) -> None:
    """No controls but the way out: the walk is the exit link, the diagram, the equations and the
    number groups (one stop per table)."""
    page = lab.page
    sized(page, *size)
    lab.open(NET + "&projector=1")
    expect(page.locator("html")).to_have_class("projector")
    names = walk(page)
    assert names[0].endswith("#projector-link"), names
    assert len(names) >= 7, names
    _reached(names, "neuron-0-0", "equations", "b-1-0", "W-1-0-0", "b-2-0", "W-2-0-0")


# Each drawn edge: its value (the sign it must keep) and whether its dash shows: gaps that its line
# ends (round caps reach half the width into each gap) do not close.
_EDGES = """([sel, attr]) => [...document.querySelectorAll(sel)].map((n) => {
  const line = n.classList.contains("edge-hit") ? n.nextElementSibling : n;
  const cs = getComputedStyle(line);
  const gaps = cs.strokeDasharray === "none" ? [] : cs.strokeDasharray.split(/[ ,]+/).filter((_, i) => i % 2);
  const caps = cs.strokeLinecap === "butt" ? 0 : parseFloat(cs.strokeWidth);
  return [Number(n.dataset[attr]), gaps.length > 0 && gaps.every((g) => parseFloat(g) > caps + 0.5)];
})"""


def _signs_kept(page: Page, selector: str, attribute: str) -> None:
    signs = page.evaluate(_EDGES, [selector, attribute])
    assert any(v < 0 for v, _ in signs) and any(v > 0 for v, _ in signs), signs
    for value, dashed in signs:
        assert dashed == (value < 0), (value, dashed)


def _greyscale_shot(page: Page, name: str) -> None:
    page.mouse.move(0, 0)  # no tooltip
    page.add_style_tag(content="html { filter: grayscale(1); }")
    shot(page, name)


def test_gradient_edges_keep_their_sign_without_colour(lab: Lab) -> None:
    """Backward through both layers: the diagram shows grad W on its edges, negative ones dashed."""
    lab.open(NET)
    page = lab.page
    page.emulate_media(forced_colors="none")
    for key, stage in (("f", 1), ("f", 2), ("b", 3), ("b", 4)):
        page.keyboard.press(key)
        lab.wait_stage(stage)
    expect(page.get_by_test_id("diagram-mode")).to_contain_text("gradients")
    hits = "[data-testid='diagram'] .edge-hit"
    assert page.evaluate(f'[...document.querySelectorAll("{hits}")].every((n) => n.dataset.grad)')
    _signs_kept(page, hits, "grad")
    _greyscale_shot(page, "edges-greyscale-gradients.png")


def test_blamed_edges_keep_their_sign_without_colour(lab: Lab) -> None:
    """Who is to blame for h_1[0]: the terms' edges are highlighted, a negative term's dashed."""
    lab.open("?ds=xor&sizes=2,4,4,2&act=tanh,tanh&seed=1")
    page = lab.page
    page.emulate_media(forced_colors="none")
    page.get_by_test_id("dg-h-1-0").click()
    expect(page.locator(".blame-edge")).to_have_count(4)
    _signs_kept(page, ".blame-edge", "value")
    _greyscale_shot(page, "edges-greyscale-blame.png")
