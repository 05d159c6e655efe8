"""Clicking a weight in the diagram edits it through the API, and every view recomputes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e


def click_edge(lab: Lab, testid: str) -> None:
    """Click the diagram edge at a point where it is the topmost element, as a person would."""
    point = lab.page.evaluate(
        """(testid) => {
          const edge = document.querySelector(`[data-testid="${testid}"]`);
          const svg = edge.ownerSVGElement;
          const box = svg.getBoundingClientRect();
          const vb = svg.viewBox.baseVal;
          const [x1, y1, x2, y2] = ["x1", "y1", "x2", "y2"].map((k) => Number(edge.dataset[k]));
          for (const t of [0.15, 0.25, 0.35, 0.5, 0.65, 0.75, 0.85]) {
            const x = box.left + ((x1 + t * (x2 - x1)) * box.width) / vb.width;
            const y = box.top + ((y1 + t * (y2 - y1)) * box.height) / vb.height;
            if (document.elementFromPoint(x, y) === edge) return [x, y];
          }
          return null;
        }""",
        testid,
    )
    assert point is not None, f"{testid} is hidden under other edges everywhere"
    lab.page.mouse.click(point[0], point[1])


def test_clicking_a_weight_edits_it_and_forward_values_change(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,3,2&act=tanh,tanh&seed=1")
    page = lab.page
    for _ in range(3):
        page.keyboard.press("f")
    lab.wait_stage(3)
    a1 = [lab.value(f"a-1-{i}") for i in range(3)]
    a2 = [lab.value(f"a-2-{i}") for i in range(3)]
    old = lab.value("W-2-0-1")
    click_edge(lab, "edge-2-0-1")
    editor = page.get_by_test_id("editor")
    expect(editor).to_be_visible()
    expect(editor).to_contain_text("[0,1]")
    field = page.get_by_test_id("editor-input")
    assert float(field.input_value()) == old
    field.fill("2.5")
    field.press("Enter")
    expect(editor).to_be_hidden()
    expect(page.get_by_test_id("W-2-0-1")).to_have_attribute("data-value", "2.5")
    expect(page.get_by_test_id("edge-2-0-1")).to_have_attribute("data-value", "2.5")
    net = lab.api("GET", f"/networks/{lab.network_id}")
    assert net["W"][1][0][1] == 2.5
    trace = lab.trace()
    lab.wait_value("a-2-0", trace["a"][1][0][0])
    assert lab.stage == 3, "editing keeps the step the student is looking at"
    assert [lab.value(f"a-1-{i}") for i in range(3)] == a1, "layer 1 does not depend on W_2"
    assert lab.value("a-2-0") != a2[0], "a_2[0] uses W_2[0,1]"
    assert [lab.value(f"a-2-{i}") for i in (1, 2)] == a2[1:], "other rows of W_2 did not change"
    for k in (2, 3):
        for i in range(len(trace["a"][k - 1][0])):
            assert lab.value(f"a-{k}-{i}") == trace["a"][k - 1][0][i]
            assert lab.value(f"h-{k}-{i}") == trace["h"][k][0][i]
    lab.shot("edit.png")


def test_bias_edit_and_a_bad_value_is_explained_inline(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh")
    page = lab.page
    page.get_by_test_id("bias-2-1").click()
    field = page.get_by_test_id("editor-input")
    field.fill("abc")
    field.press("Enter")
    expect(page.get_by_test_id("editor-error")).to_contain_text("not a finite number")
    field.fill("-0.75")
    field.press("Enter")
    expect(page.get_by_test_id("b-2-1")).to_have_attribute("data-value", "-0.75")
    page.get_by_test_id("W-1-2-0").click()  # the number in the layer panel is clickable too
    expect(page.get_by_test_id("editor")).to_contain_text("[2,0]")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("editor")).to_be_hidden()
