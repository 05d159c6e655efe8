"""The Update step for an optimiser beyond plain gradient descent: a student picks Adam and an L2
lambda in the Training controls, steps forward and backward, presses Update, and the equation
panel shows Adam's rule line by line with exactly the numbers the API answered (g with the L2
term, m, v, m_hat, v_hat, the parameters before and after, the change)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .support import Lab

pytestmark = pytest.mark.e2e

SIZES = [2, 3, 2]
L = len(SIZES) - 1
L2 = 0.1
BETA1, BETA2 = 0.9, 0.999


def press_and_capture_step(page: Page, key: str) -> Any:
    with page.expect_response(lambda r: r.url.endswith("/step") and r.request.method == "POST") as info:
        page.keyboard.press(key)
    return info.value.json()


def test_adam_update_shows_the_apis_numbers(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=2&eta=0.05")
    page = lab.page
    expect(page.get_by_test_id("f-beta1")).to_be_hidden()
    page.get_by_test_id("f-optimizer").select_option("adam")
    expect(page.get_by_test_id("f-beta1")).to_be_visible()
    expect(page.get_by_test_id("f-beta2")).to_have_value("0.999")
    expect(page.get_by_test_id("f-beta")).to_be_hidden()
    l2 = page.get_by_test_id("f-l2")
    l2.fill(str(L2))
    l2.press("Enter")
    page.wait_for_function("new URLSearchParams(location.search).get('l2') === '0.1'")
    assert "opt=adam" in page.url

    for key in "ffbb":
        page.keyboard.press(key)
    lab.wait_stage(2 * L)
    res = press_and_capture_step(page, "u")
    lab.wait_stage(2 * L + 1)
    upd = page.get_by_test_id("upd")
    expect(upd).to_have_attribute("data-optimizer", "adam")
    update = res["update"]
    assert update["optimizer"]["name"] == "adam" and update["optimizer"]["l2"] == L2 and update["t"] == 1
    expect(page.get_by_test_id("upd-summary")).to_contain_text("Adam")
    expect(page.get_by_test_id("algo-update")).to_contain_text("adam")

    # Layer L, weights: every line of the rule, with the API's numbers.
    expect(upd).to_have_attribute("data-layer", str(L))
    k = L
    m = update["state_after"]["adam.m_W"][k - 1]
    v = update["state_after"]["adam.v_W"][k - 1]
    for i in range(SIZES[k]):
        for j in range(SIZES[k - 1]):
            at = f"{i}-{j}"
            g = update["g_W"][k - 1][i][j]
            assert lab.value(f"upd-g-{at}") == g
            assert g == pytest.approx(res["grad_W"][k - 1][i][j] + L2 * res["W_before"][k - 1][i][j], rel=1e-14)
            assert lab.value(f"upd-before-{at}") == res["W_before"][k - 1][i][j]
            assert lab.value(f"upd-m-{at}") == m[i][j]
            assert lab.value(f"upd-v-{at}") == v[i][j]
            assert lab.value(f"upd-mhat-{at}") == pytest.approx(m[i][j] / (1 - BETA1), rel=1e-14)
            assert lab.value(f"upd-vhat-{at}") == pytest.approx(v[i][j] / (1 - BETA2), rel=1e-14)
            assert lab.value(f"upd-after-{at}") == res["W_after"][k - 1][i][j]
            assert lab.value(f"upd-delta-{at}") == update["delta_W"][k - 1][i][j]
            # Adam's first step: about eta for every weight, whatever its gradient.
            assert abs(update["delta_W"][k - 1][i][j]) == pytest.approx(0.05, rel=1e-4)
    lab.shot("optimizer_adam.png")
    page.evaluate(
        """() => { const panel = document.getElementById("equations");
                   const line = document.querySelector('[data-testid="upd-m-0-0"]').closest(".eq");
                   panel.scrollTop += line.getBoundingClientRect().top - panel.getBoundingClientRect().top; }"""
    )
    lab.shot("optimizer_adam_moments.png")

    # Layer 1, biases: g is grad_b (no L2 term on biases).
    page.get_by_test_id("upd-layer").select_option("1")
    expect(page.get_by_test_id("upd")).to_have_attribute("data-layer", "1")
    expect(page.get_by_test_id("upd-layer")).to_be_focused()
    page.get_by_test_id("upd-param").select_option("b")
    expect(page.get_by_test_id("upd")).to_have_attribute("data-param", "b")
    for i in range(SIZES[1]):
        assert lab.value(f"upd-g-{i}") == res["grad_b"][0][i] == update["g_b"][0][i]
        assert lab.value(f"upd-m-{i}") == update["state_after"]["adam.m_b"][0][i]
        assert lab.value(f"upd-after-{i}") == res["b_after"][0][i]

    # A second step: t = 2, the bias correction 1 - beta1^2, m before = m after the first step.
    page.get_by_test_id("upd-param").blur()  # the stepping keys act when no field has the focus
    second = press_and_capture_step(page, "s")
    assert second["update"]["t"] == 2
    assert second["update"]["state_before"] == update["state_after"]
    lab.wait_value("upd-c1", 1 - BETA1**2)
    expect(page.get_by_test_id("upd-summary")).to_contain_text("t = 2")
    net = lab.api("GET", f"/networks/{lab.network_id}")
    assert net["step"] == 2 and net["b"][0] == second["b_after"][0]


def test_momentum_and_sgd_with_l2_show_their_rules(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=2&eta=0.05&opt=momentum&beta=0.5")
    page = lab.page
    expect(page.get_by_test_id("f-optimizer")).to_have_value("momentum")
    expect(page.get_by_test_id("f-beta")).to_have_value("0.5")
    expect(page.get_by_test_id("f-beta1")).to_be_hidden()
    res = press_and_capture_step(page, "s")
    assert res["update"]["optimizer"]["beta"] == 0.5
    u = res["update"]["state_after"]["momentum.u_W"][L - 1]
    for i in range(SIZES[L]):
        for j in range(SIZES[L - 1]):
            assert lab.value(f"upd-u-{i}-{j}") == u[i][j]
            assert lab.value(f"upd-after-{i}-{j}") == res["W_after"][L - 1][i][j]
            # The API's convention (eta outside u): W_after = W_before - eta u_after, as the page says.
            w_expected = res["W_before"][L - 1][i][j] - 0.05 * u[i][j]
            assert res["W_after"][L - 1][i][j] == pytest.approx(w_expected, rel=1e-14)
    expect(page.get_by_test_id("upd")).to_contain_text("u \u2190 \u03B2 u + g")
    expect(page.get_by_test_id("upd")).to_contain_text("\u2212 \u03B7 u")
    # An invalid beta is refused next to the controls, and nothing changes.
    beta = page.get_by_test_id("f-beta")
    beta.fill("1.5")
    beta.press("Enter")
    expect(page.get_by_test_id("error-train")).to_contain_text("from 0 up to (not including) 1")
    expect(page.get_by_test_id("f-beta")).to_have_value("0.5")

    page.get_by_test_id("f-optimizer").select_option("sgd")
    l2 = page.get_by_test_id("f-l2")
    l2.fill("0.2")
    l2.press("Enter")
    page.wait_for_function("new URLSearchParams(location.search).get('l2') === '0.2'")
    res = press_and_capture_step(page, "s")
    expect(page.get_by_test_id("upd")).to_have_attribute("data-optimizer", "sgd")
    for i in range(SIZES[L]):
        for j in range(SIZES[L - 1]):
            g = res["grad_W"][L - 1][i][j] + 0.2 * res["W_before"][L - 1][i][j]
            assert lab.value(f"upd-g-{i}-{j}") == pytest.approx(g, rel=1e-14)
            assert lab.value(f"upd-after-{i}-{j}") == pytest.approx(res["W_before"][L - 1][i][j] - 0.05 * g, rel=1e-14)
