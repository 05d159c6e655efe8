"""The stepper: every number the page shows equals the API's trace for the same example, layer
by layer, forward then backward; the update moves every parameter by -eta * grad."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e

SIZES = [2, 3, 3, 2]
L = len(SIZES) - 1


def build_2_3_3_2_on_moons(lab: Lab) -> None:
    """Start from [2, 4, 2] on XOR and build [2, 3, 3, 2] on Moons with the builder's controls."""
    lab.open("?ds=xor&sizes=2,4,2&act=tanh")
    page = lab.page
    first = lab.network_id
    page.get_by_test_id("f-dataset").select_option("moons")
    page.wait_for_function(f"document.body.dataset.networkId !== '{first}'")
    second = lab.network_id
    width = page.get_by_test_id("hl-width-1")
    width.fill("3")
    width.press("Enter")
    page.wait_for_function(f"document.body.dataset.networkId !== '{second}'")
    page.get_by_test_id("btn-add-layer").click()
    expect(page.get_by_test_id("f-sizes")).to_have_value("2, 3, 3, 2")
    expect(page.get_by_test_id("edge-3-1-2")).to_be_attached()
    lab.wait_trace()
    net = lab.api("GET", f"/networks/{lab.network_id}")
    assert net["config"]["sizes"] == SIZES
    assert net["dataset"]["name"] == "moons"
    assert page.locator("[data-testid^='edge-']").count() == 2 * 3 + 3 * 3 + 3 * 2


def test_forward_and_backward_show_the_api_trace(lab: Lab) -> None:
    build_2_3_3_2_on_moons(lab)
    page = lab.page
    row = page.get_by_test_id("ex-row")
    row.fill("5")
    row.press("Enter")
    expect(page.get_by_test_id("example-current")).to_have_attribute("data-row", "5")
    lab.wait_trace()
    trace = lab.trace()
    for i in range(SIZES[0]):
        assert lab.value(f"h-0-{i}") == trace["h"][0][0][i]

    for k in range(1, L + 1):
        assert not lab.has_value(f"a-{k}-0"), f"a_{k} is shown before its forward step"
        page.keyboard.press("f")
        lab.wait_stage(k)
        for i in range(SIZES[k]):
            assert lab.value(f"a-{k}-{i}") == trace["a"][k - 1][0][i]
            assert lab.value(f"h-{k}-{i}") == trace["h"][k][0][i]
            assert lab.value(f"eq-a-{k}-{i}") == trace["a"][k - 1][0][i]
            assert lab.value(f"dg-a-{k}-{i}") == trace["a"][k - 1][0][i]
        assert not lab.has_value(f"grad_a-{k}-0")
        expect(page.get_by_test_id(f"lit-layer-{k}")).to_be_attached()
        if k == 2:
            lab.shot("forward.png")
    assert lab.value("eq-loss") == trace["losses"][0]
    expect(page.get_by_test_id("btn-forward")).to_be_disabled()

    for step in range(1, L + 1):
        k = L - step + 1
        page.get_by_test_id("btn-backward").click()
        lab.wait_stage(L + step)
        for i in range(SIZES[k]):
            assert lab.value(f"grad_a-{k}-{i}") == trace["grad_a"][k - 1][0][i]
            assert lab.value(f"grad_b-{k}-{i}") == trace["grad_b"][k - 1][i]
            assert lab.value(f"eq-grad_a-{k}-{i}") == trace["grad_a"][k - 1][0][i]
            for j in range(SIZES[k - 1]):
                assert lab.value(f"grad_W-{k}-{i}-{j}") == trace["grad_W"][k - 1][i][j]
                assert lab.value(f"eq-grad_W-{k}-{i}-{j}") == trace["grad_W"][k - 1][i][j]
        for j in range(SIZES[k - 1]):
            assert lab.value(f"grad_h-{k - 1}-{j}") == trace["grad_h"][k - 1][0][j]
        if k > 1:
            assert not lab.has_value(f"grad_W-{k - 1}-0-0"), f"grad_W_{k - 1} is shown too early"
        if k == 2:
            lab.shot("backward.png")
    expect(page.get_by_test_id("btn-backward")).to_be_disabled()
    expect(page.get_by_test_id("btn-update")).to_be_enabled()


def test_update_moves_each_parameter_by_minus_eta_grad(lab: Lab) -> None:
    eta = 0.5
    lab.open(f"?ds=xor&sizes=2,3,3,2&act=tanh,tanh&seed=4&eta={eta}")
    page = lab.page
    trace = lab.trace()
    for _ in range(L):
        page.keyboard.press("f")
    for _ in range(L):
        page.keyboard.press("b")
    lab.wait_stage(2 * L)
    W_before = lab.values("W-")
    b_before = lab.values("b-")
    assert len(W_before) == 6 + 9 + 6 and len(b_before) == 3 + 3 + 2
    page.keyboard.press("u")
    lab.wait_stage(2 * L + 1)
    expect(page.get_by_test_id("status")).to_contain_text("step 1")
    W_after = lab.values("W-")
    b_after = lab.values("b-")
    net = lab.api("GET", f"/networks/{lab.network_id}")
    for k in range(1, L + 1):
        for i in range(SIZES[k]):
            expected_b = b_before[f"b-{k}-{i}"] - eta * trace["grad_b"][k - 1][i]
            assert b_after[f"b-{k}-{i}"] == pytest.approx(expected_b, rel=1e-12, abs=1e-15)
            assert b_after[f"b-{k}-{i}"] == net["b"][k - 1][i]
            assert lab.value(f"b_before-{k}-{i}") == b_before[f"b-{k}-{i}"]
            assert lab.value(f"b_after-{k}-{i}") == b_after[f"b-{k}-{i}"]
            for j in range(SIZES[k - 1]):
                key = f"W-{k}-{i}-{j}"
                expected = W_before[key] - eta * trace["grad_W"][k - 1][i][j]
                assert W_after[key] == pytest.approx(expected, rel=1e-12, abs=1e-15)
                assert W_after[key] == net["W"][k - 1][i][j]
                assert lab.value(f"W_before-{k}-{i}-{j}") == W_before[key]
                assert lab.value(f"W_after-{k}-{i}-{j}") == W_after[key]
    assert W_after != W_before
    expect(page.get_by_test_id("timeline-1")).to_contain_text("update")
    lab.shot("update.png")
    # Forward again: the new pass uses the new parameters.
    page.keyboard.press("f")
    lab.wait_stage(1)
    fresh = lab.trace()
    lab.wait_value("a-1-0", fresh["a"][0][0][0])


def test_timeline_goes_back_to_an_earlier_state(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&eta=1")
    page = lab.page
    first = lab.values("W-")
    page.get_by_test_id("btn-fullstep").click()
    expect(page.get_by_test_id("timeline-1")).to_be_attached()
    page.get_by_test_id("btn-fullstep").click()
    expect(page.get_by_test_id("timeline-2")).to_be_attached()
    assert lab.values("W-") != first
    page.get_by_test_id("timeline-0").click()
    expect(page.get_by_test_id("timeline-0")).to_have_attribute("aria-current", "true")
    lab.wait_value("W-1-0-0", first["W-1-0-0"])
    assert lab.values("W-") == first
    net = lab.api("GET", f"/networks/{lab.network_id}")
    assert net["W"][0][0][0] == first["W-1-0-0"]
