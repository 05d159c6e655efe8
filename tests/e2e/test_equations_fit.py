"""Equations that always fit: for a [2, 8, 8, 8, 2] network at 1280x720, 1366x768 and 1920x1080,
no equation element sticks out of its card or hides behind a scrollbar at any stage, the update
included (plain gradient descent and Adam); the card grows with its content. Wide matrices are
elided symmetrically with their shape, and a click shows the whole matrix as a zoomable heatmap
whose hovered values are the API's."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e

NET = "?ds=xor&sizes=2,8,8,8,2&act=tanh,tanh,tanh&seed=0&eta=0.1&bs=16"
L = 4
SIZES = [(1280, 720), (1366, 768), (1920, 1080)]

# Every element of the equations panel, its box measured against the card's; and every block
# whose content is wider than itself (a hidden horizontal scroll), and a panel taller than its card.
MEASURE = """() => {
  const panel = document.getElementById('equations');
  const card = panel.closest('.card').getBoundingClientRect();
  const out = [];
  for (const node of panel.querySelectorAll('*')) {
    const r = node.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    const what = `${node.tagName}.${node.getAttribute('class') || ''}`;
    if (r.right > card.right + 0.5 || r.left < card.left - 0.5) {
      const span = `${r.left.toFixed(1)}..${r.right.toFixed(1)}`;
      out.push(`${what} spans ${span}, card ${card.left.toFixed(1)}..${card.right.toFixed(1)}`);
    }
    const scrolls = node.scrollWidth > node.clientWidth + 1 && getComputedStyle(node).overflowX !== 'visible';
    if (!(node instanceof MathMLElement) && scrolls) {
      out.push(`${what} scrolls: ${node.scrollWidth} > ${node.clientWidth}`);
    }
  }
  const p = panel.getBoundingClientRect();
  if (p.bottom > card.bottom + 0.5) {
    out.push(`the panel ends at ${p.bottom.toFixed(1)}, below its card (${card.bottom.toFixed(1)})`);
  }
  return { offenders: out, elements: panel.querySelectorAll('*').length, elision: panel.dataset.elision };
}"""


def measure(lab: Lab, where: str) -> dict[str, Any]:
    lab.page.wait_for_timeout(50)
    result: dict[str, Any] = lab.page.evaluate(MEASURE)
    assert result["elements"] > 10, f"{where}: the equations panel is empty"
    assert not result["offenders"], f"{where}: {result['offenders'][:5]}"
    return result


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_no_equation_overflows_its_card_at_any_stage(lab: Lab, width: int, height: int) -> None:
    page = lab.page
    page.set_viewport_size({"width": width, "height": height})
    lab.open(NET)
    for stage in range(0, 2 * L + 1):
        page.get_by_test_id(f"stage-{stage}").click()
        lab.wait_stage(stage)
        measure(lab, f"{width}x{height}, stage {stage}")
    page.keyboard.press("s")  # full step: the update stage with plain gradient descent
    lab.wait_stage(2 * L + 1)
    page.wait_for_function("!!document.querySelector('[data-testid^=\"W_after-\"]')")
    measure(lab, f"{width}x{height}, update (sgd)")
    lab.shot(f"equations-update-{width}x{height}.png")
    page.get_by_test_id("f-optimizer").select_option("adam")
    page.get_by_test_id("btn-fullstep").click()
    page.wait_for_function("!!document.querySelector('[data-testid=\"upd-param\"]')")
    lab.wait_stage(2 * L + 1)
    measure(lab, f"{width}x{height}, update (adam)")
    page.get_by_test_id("upd-layer").select_option("2")
    measure(lab, f"{width}x{height}, update (adam, layer 2)")
    page.get_by_test_id("stage-3").click()
    lab.wait_stage(3)
    measure(lab, f"{width}x{height}, forward layer 3 after the update")
    lab.shot(f"equations-forward-{width}x{height}.png")


def test_an_elided_matrix_opens_whole_as_a_zoomable_heatmap(lab: Lab) -> None:
    page = lab.page
    lab.open("?ds=xor&sizes=2,16,16,2&act=tanh,tanh&seed=1")
    page.get_by_test_id("stage-2").click()
    lab.wait_stage(2)
    zoomable = page.locator("#equations [data-testid=eq-zoomable]").filter(has_text="16\u00d716").first
    expect(zoomable).to_be_visible()
    zoomable.click()
    dialog = page.get_by_test_id("eq-zoom")
    expect(dialog).to_be_visible()
    canvas = page.get_by_test_id("eq-zoom-canvas")
    assert canvas.evaluate("(c) => [c.height, c.width]") == [16, 16]
    W2 = lab.api("GET", f"/networks/{lab.network_id}")["W"][1]
    before = canvas.bounding_box()
    assert before is not None
    page.get_by_test_id("eq-zoom-out").click()
    smaller = canvas.bounding_box()
    assert smaller is not None and smaller["width"] < before["width"]
    page.get_by_test_id("eq-zoom-in").click()
    after = canvas.bounding_box()
    assert after is not None and after["width"] > smaller["width"]
    for i, j in ((0, 0), (7, 9), (15, 15)):
        box = canvas.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + (j + 0.5) * box["width"] / 16, box["y"] + (i + 0.5) * box["height"] / 16)
        tip = page.locator("#tooltip")
        expect(tip).to_contain_text(f"W_2[{i},{j}] = ")
        assert float((tip.text_content() or "").rsplit(" = ", 1)[1].split(" ")[0]) == W2[i][j]
    lab.shot("equations-zoom.png")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
