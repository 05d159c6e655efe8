"""The derivation panel: clicking an entry in the diagram, the equations or the layer tables opens
that entry's formula with the API's numbers; the paths view sums to the gradient the page shows.
Screenshots go to test-results/derivation/."""

from __future__ import annotations

import math
from typing import Any

import pytest
from playwright.sync_api import expect

from .support import ROOT, Lab

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "test-results" / "derivation"
SIZES = [2, 3, 3, 2]
L = len(SIZES) - 1


def shot(lab: Lab, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    lab.page.wait_for_timeout(150)
    lab.page.screenshot(path=str(SHOTS / name), full_page=False)


def open_and_step_through(lab: Lab, query: str) -> None:
    """Open the page and step forward and backward through every layer: every number is revealed."""
    lab.open(query)
    for stage in range(1, 2 * L + 1):
        lab.page.keyboard.press("f" if stage <= L else "b")
        lab.wait_stage(stage)


def api_derivation(lab: Lab, quantity: str, layer: int, index: list[int]) -> Any:
    body = {**lab.example(), "quantity": quantity, "layer": layer, "index": index, "example": 0}
    return lab.api("POST", f"/networks/{lab.network_id}/derivation", body)


def open_entry(lab: Lab, testid: str, formula_start: str) -> None:
    panel = lab.page.get_by_test_id("derivation")
    lab.page.get_by_test_id(testid).first.click()
    expect(panel.get_by_test_id("deriv-formula")).to_contain_text(formula_start)


def assert_panel_shows(lab: Lab, expected: Any) -> None:
    """Every factor, term and the result as the API answers them (exact float64 in data-value)."""
    page = lab.page
    assert page.get_by_test_id("deriv-formula").text_content() == expected["formula"]
    assert lab.value("deriv-value") == expected["value"]
    assert lab.value("deriv-trace-value") == expected["trace_value"]
    for t, term in enumerate(expected["terms"][:24]):
        assert lab.value(f"deriv-term-value-{t}") == term["value"]
        for i, factor in enumerate(term["factors"]):
            assert lab.value(f"deriv-factor-{t}-{i}") == factor["value"], (t, i, factor["symbol"])


def test_clicking_entries_opens_the_formula_with_the_api_numbers(lab: Lab) -> None:
    open_and_step_through(lab, "?ds=moons&sizes=2,3,3,2&act=tanh&seed=3")
    page = lab.page
    # layer table: a grad_W entry, a batch mean over the one traced example
    open_entry(lab, "grad_W-2-1-0", "grad_W_2[1,0] =")
    expected = api_derivation(lab, "grad_W", 2, [1, 0])
    assert_panel_shows(lab, expected)
    assert math.isclose(lab.value("deriv-value"), lab.value("grad_W-2-1-0"), rel_tol=1e-12)
    # hovering a factor rings where it lives: grad_a_2[1] in the diagram and in the layer table
    page.get_by_test_id("deriv-chip-0-0").hover()
    expect(page.get_by_test_id("deriv-hl-grad_a-2-1")).to_be_attached()
    assert "deriv-hl" in (page.get_by_test_id("grad_a-2-1").get_attribute("class") or "")
    shot(lab, "formula-grad_W.png")

    # diagram, gradient mode (auto at the backward stage): the a-half of a neuron is grad_a_k[i]
    open_entry(lab, "dg-a-2-1", "grad_a_2[1] = grad_h_2[1] g'(a_2[1])")
    assert_panel_shows(lab, api_derivation(lab, "grad_a", 2, [1]))
    expect(page.get_by_test_id("deriv-curve")).to_be_visible()
    assert lab.value("deriv-curve-a") == lab.trace()["a"][1][0][1]
    shot(lab, "formula-grad_a-curve.png")

    # equations (the backward step of layer 1 is shown): grad_W_1[0,1]
    open_entry(lab, "eq-grad_W-1-0-1", "grad_W_1[0,1] =")
    assert_panel_shows(lab, api_derivation(lab, "grad_W", 1, [0, 1]))

    # the output layer: softmax + cross-entropy takes the notes' shortcut, with the Jacobian heatmap
    open_entry(lab, "grad_a-3-0", "grad_a_3[0] = -(y[0] - y_hat[0])")
    expected = api_derivation(lab, "grad_a", 3, [0])
    assert_panel_shows(lab, expected)
    expect(page.get_by_test_id("deriv-kind")).to_have_text("the notes' shortcut")
    for p in range(SIZES[-1]):
        for m in range(SIZES[-1]):
            assert lab.value(f"deriv-jac-{p}-{m}") == expected["jacobian"][p][m]
    shot(lab, "formula-grad_a_L-jacobian.png")

    # a forward value in the layer table: a_1[2] = b_1[2] + sum_j W_1[2,j] h_0[j]
    open_entry(lab, "a-1-2", "a_1[2] = b_1[2] + sum_j W_1[2,j] h_0[j]")
    assert_panel_shows(lab, api_derivation(lab, "a", 1, [2]))
    page.get_by_test_id("deriv-close").click()
    expect(page.get_by_test_id("deriv-empty")).to_be_visible()


def test_chain_rule_pair_shows_the_softmax_jacobian(lab: Lab) -> None:
    open_and_step_through(lab, "?ds=moons&sizes=2,3,3,2&act=sigmoid&out=softmax&loss=squared_error")
    open_entry(lab, "grad_a-3-1", "grad_a_3[1] = sum_p dl/dy_hat[p] dy_hat[p]/da_3[1]")
    expected = api_derivation(lab, "grad_a", 3, [1])
    assert_panel_shows(lab, expected)
    expect(lab.page.get_by_test_id("deriv-kind")).to_have_text("chain rule through O's Jacobian")
    assert lab.value("deriv-jac-1-1") == expected["jacobian"][1][1]
    shot(lab, "formula-chain-rule.png")


def test_paths_view_sums_to_the_shown_gradient(lab: Lab) -> None:
    open_and_step_through(lab, "?ds=moons&sizes=2,3,3,2&act=tanh&seed=1")
    page = lab.page
    shown = lab.value("grad_W-1-2-0")
    open_entry(lab, "grad_W-1-2-0", "grad_W_1[2,0] =")
    page.get_by_test_id("deriv-show-paths").click()
    paths = page.get_by_test_id("deriv-paths")
    expect(paths).to_be_visible()
    count = 3 * 2 * 2  # a_2[m] (3) x a_3[m] (2) x y_hat[p] (2, softmax couples them)
    expect(paths.locator("tbody tr")).to_have_count(count)
    products = [lab.value(f"deriv-path-share-{r}") for r in range(count)]
    assert math.isclose(math.fsum(products), shown, rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(lab.value("deriv-paths-total"), shown, rel_tol=1e-12)
    assert lab.value("deriv-paths-grad") == shown
    answer = lab.api(
        "POST", f"/networks/{lab.network_id}/paths", {**lab.example(), "layer": 1, "i": 2, "j": 0, "max_paths": 200}
    )
    assert [lab.value(f"deriv-path-product-{r}") for r in range(count)] == [p["product"] for p in answer["paths"]]
    page.evaluate("document.querySelector('main').scrollTo(0, 0)")  # the diagram in sight
    page.get_by_test_id("deriv-path-0").hover()
    expect(page.get_by_test_id("deriv-overlay").locator(".deriv-edge")).to_have_count(3)  # W_3, W_2 and W_1[2,0] itself
    shot(lab, "paths-2-3-3-2.png")


def test_quiz_mode_hides_one_factor_until_revealed(lab: Lab) -> None:
    open_and_step_through(lab, "?ds=moons&sizes=2,3,3,2&act=tanh")
    page = lab.page
    page.get_by_test_id("f-quiz").check()
    open_entry(lab, "grad_h-1-0", "grad_h_1[0] = sum_m grad_a_2[m] W_2[m,0]")
    expect(page.get_by_test_id("deriv-quiz-hidden")).to_have_count(1)
    expected = api_derivation(lab, "grad_h", 1, [0])
    page.get_by_test_id("deriv-quiz-input").fill("0.1")
    page.get_by_test_id("deriv-quiz-reveal").click()
    expect(page.get_by_test_id("deriv-quiz-result")).to_contain_text("your 0.1")
    expect(page.get_by_test_id("deriv-quiz-hidden")).to_have_count(0)
    assert_panel_shows(lab, expected)
