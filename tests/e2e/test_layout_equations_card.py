"""The equations card in a room: while training plays its numbers are written in place, and a
number that grows (0.85 -> -0.998) never pushes an equation out of the card (the card is fitted
again when a number is longer than before, not every frame); and a card whose equations scroll
shows that there is more below. Screenshots under test-results/room/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .room_support import ALL_SIZES, shot, sized
from .support import Lab

pytestmark = pytest.mark.e2e

# The example the review played: the output layer's equations hold a 2x4 matrix and a 4-vector
# whose entries grow from two or three characters to six while it learns.
XOR = "?ds=xor&sizes=2,4,4,2&act=tanh,tanh&seed=0&eta=0.3&bs=16"

_CLIPPED = """() => {
  // Equations the panel clips: a box past its client area (a scrolling panel hides what is under
  // its scrollbar's gutter), measured every time it is asked.
  const panel = document.getElementById('equations');
  const box = panel.getBoundingClientRect();
  const left = box.left + panel.clientLeft;
  const right = left + panel.clientWidth;
  return [...panel.querySelectorAll('.eq-block, .numbers, .result, math, mtable, mn')]
    .filter((n) => { const r = n.getBoundingClientRect();
                     return r.width && (r.right > right + 0.5 || r.left < left - 0.5); })
    .map((n) => { const by = (n.getBoundingClientRect().right - right).toFixed(1);
                  return `${n.tagName}.${n.getAttribute('class') || ''} "${n.textContent.slice(0, 12)}" by ${by} px`; })
    .slice(0, 5);
}"""


@pytest.mark.parametrize(("width", "height"), ALL_SIZES)
def test_equations_stay_inside_their_card_while_training_plays(lab: Lab, width: int, height: int) -> None:
    page = lab.page
    sized(page, width, height)
    lab.open(XOR)
    assert page.evaluate(_CLIPPED) == []
    page.evaluate(
        """() => { window.__eqFull = 0; new MutationObserver((records) => {
                     if (records.some((r) => r.target.id === 'equations')) window.__eqFull += 1; })
                   .observe(document.getElementById('equations'), { childList: true }); }"""
    )
    page.get_by_test_id("btn-play").click()
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "true")
    clipped: list[str] = []
    for _ in range(16):
        page.wait_for_timeout(250)
        clipped += page.evaluate(_CLIPPED)
    shot(page, f"playing-equations-{width}x{height}.png")
    epochs = int(page.evaluate("window.__lab.store.state.network.epoch"))
    full_draws = int(page.evaluate("window.__eqFull"))
    page.get_by_test_id("btn-play").click()
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
    assert epochs >= 20, "it trained while it was watched"
    assert clipped == [], f"{width}x{height}: {clipped}"
    # Fitted again only when a number grew past its longest: a few draws, not one per update.
    assert full_draws <= 6, f"{full_draws} full draws of the equations in {epochs} epochs"


_OVERFLOWS = "(() => { const e = document.getElementById('equations'); return e.scrollHeight - e.clientHeight; })()"


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_a_card_whose_equations_run_below_its_edge_says_so(lab: Lab, width: int, height: int) -> None:
    """The update stage's equations (every W_k and b_k, before and after) run below the card: a cue
    says there is more until the panel is scrolled to its end, and clicking it scrolls on."""
    page = lab.page
    sized(page, width, height)
    lab.open(XOR)
    cue = page.get_by_test_id("eq-more")
    expect(cue).to_be_hidden()  # the start: h_0 and y fit
    for key in "fffbbbu":
        stage = lab.stage
        page.keyboard.press(key)
        lab.wait_stage(stage + 1)
    assert page.evaluate(_OVERFLOWS) > 50, "the update's equations are taller than the card"
    expect(cue).to_be_visible()
    shot(page, f"equations-more-below-{width}x{height}.png")
    cue.click()
    page.wait_for_function("document.getElementById('equations').scrollTop > 0")
    page.evaluate("(() => { const e = document.getElementById('equations'); e.scrollTop = e.scrollHeight; })()")
    expect(cue).to_be_hidden()
    page.evaluate("document.getElementById('equations').scrollTop = 0")
    expect(cue).to_be_visible()
    page.keyboard.press("f")  # the next step's first layer fits again
    lab.wait_stage(1)
    if page.evaluate(_OVERFLOWS) <= 2:
        expect(cue).to_be_hidden()
