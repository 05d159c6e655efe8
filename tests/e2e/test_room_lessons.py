"""The faults a teacher hits first in a lesson: a comparison keeps its own training settings, and
the gradient alert names the right problem (symmetry, exploding) instead of "vanishing"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .room_support import shot
from .support import Lab

pytestmark = pytest.mark.e2e


def test_the_learning_rate_comparison_trains_with_its_own_eta(lab: Lab) -> None:
    lab.open("?lesson=learning-rate-too-high")
    page = lab.page
    expect(page.get_by_test_id("f-eta")).to_have_value("0.5")
    page.get_by_role("button", name="Load eta = 0.05").click()
    expect(page.get_by_test_id("f-eta")).to_have_value("0.05")
    lesson = lab.api("GET", "/lessons/learning-rate-too-high")
    assert lesson["compare"][0]["training"]["optimizer"]["eta"] == 0.05
    assert "eta=0.05" in page.url
    # and it trains with it: the epoch asks the server for eta 0.05, and the run does not diverge
    with page.expect_request(lambda r: r.method == "POST" and "/train" in r.url) as asked:
        page.keyboard.press("e")
    body = asked.value.post_data_json
    assert body["optimizer"]["eta"] == 0.05, body
    expect(page.get_by_test_id("status")).to_contain_text("epoch 1")
    for epoch in range(2, 6):
        page.keyboard.press("e")
        expect(page.get_by_test_id("status")).to_contain_text(f"epoch {epoch}")
    expect(page.get_by_test_id("diverged-message")).to_have_count(0)
    page.get_by_role("button", name="Load eta = 0.5 (too high)").click()
    expect(page.get_by_test_id("f-eta")).to_have_value("0.5")


def test_zero_initialisation_is_called_symmetry_not_vanishing(lab: Lab) -> None:
    lab.open("?ds=moons&sizes=2,8,8,2&act=tanh&init=zeros&seed=0")
    page = lab.page
    alert = page.get_by_test_id("gradient-alert")
    expect(alert).to_have_attribute("data-kind", "symmetry")
    expect(alert).to_contain_text("Symmetry")
    expect(alert).not_to_contain_text("Vanishing")
    diag = lab.api("POST", f"/networks/{lab.network_id}/diagnostics", {**lab.example(), "eta": 0.1})
    assert diag["alert"]["kind"] == "symmetry" and not diag["vanishing"]
    shot(page, "alert-symmetry.png")


def test_a_diverged_run_is_exploding_never_vanishing(lab: Lab) -> None:
    lab.open("?lesson=learning-rate-too-high")
    page = lab.page
    page.get_by_test_id("btn-play").click()
    expect(page.get_by_test_id("diverged-message")).to_be_visible(timeout=30_000)
    alert = page.get_by_test_id("gradient-alert")
    expect(alert).to_have_attribute("data-kind", "exploding")
    expect(alert).not_to_contain_text("Vanishing")
    expect(page.locator("[data-testid='gradient-alert'][data-kind='vanishing']")).to_have_count(0)
    shot(page, "alert-diverged.png")


def test_relu_weights_that_blow_up_raise_an_exploding_warning(lab: Lab) -> None:
    lab.open("?ds=plane&sizes=2,8,8,1&act=relu&out=linear&loss=squared_error&seed=0&eta=1&bs=16")
    page = lab.page
    page.get_by_test_id("btn-play").click()
    alert = page.get_by_test_id("gradient-alert")
    expect(alert).to_have_attribute("data-kind", "exploding", timeout=30_000)
    page.get_by_test_id("btn-play").click()
    expect(alert).to_contain_text("W_")
    expect(page.locator("[data-testid='gradient-alert'][data-kind='vanishing']")).to_have_count(0)
    net = lab.api("GET", f"/networks/{lab.network_id}")
    assert max(abs(v) for row in net["W"][0] for v in row if v is not None) > 1e6
    shot(page, "alert-exploding.png")
