"""Training from the page: an epoch adds a point to the loss curve; play/pause; divergence is
explained where it happened, with a reset."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e

LOSS_POINTS = "document.querySelector('[data-testid=\"loss-plot\"]').dataset.points"


def plotted_points(lab: Lab) -> int:
    return int(lab.page.evaluate("document.querySelector('[data-testid=\"loss-plot\"]').data[0].x.length"))


def test_an_epoch_adds_a_point_to_the_loss_curve(lab: Lab) -> None:
    lab.open("?ds=circles&sizes=2,6,2&act=tanh&eta=0.3&bs=8")
    page = lab.page
    page.wait_for_function("window.__perf.plotsReady !== null")
    assert plotted_points(lab) == 0
    page.keyboard.press("e")
    page.wait_for_function(f"{LOSS_POINTS} === '1'")
    assert plotted_points(lab) == 1
    expect(page.get_by_test_id("status")).to_contain_text("epoch 1")
    page.get_by_test_id("btn-epoch").click()
    page.wait_for_function(f"{LOSS_POINTS} === '2'")
    assert plotted_points(lab) == 2
    net = lab.api("GET", f"/networks/{lab.network_id}")
    assert net["epoch"] == 2
    # The traced values follow the trained parameters.
    trace = lab.trace()
    lab.wait_value("h-0-0", trace["h"][0][0][0])
    assert lab.values("W-")["W-1-0-0"] == net["W"][0][0][0]


def test_play_trains_continuously_until_paused(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,4,4,2&act=tanh,tanh&eta=0.3&bs=16")
    page = lab.page
    page.wait_for_function("window.__perf.plotsReady !== null")
    page.keyboard.press(" ")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function(f"Number({LOSS_POINTS}) >= 8", timeout=30_000)
    lab.shot("training.png")
    page.get_by_test_id("btn-play").click()
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
    page.wait_for_timeout(300)
    points = int(page.evaluate(LOSS_POINTS))
    page.wait_for_timeout(500)
    assert int(page.evaluate(LOSS_POINTS)) == points, "training stopped when paused"
    assert page.evaluate("window.__perf.trainingFps") > 0
    net = lab.api("GET", f"/networks/{lab.network_id}")
    assert net["epoch"] == points
    expect(page.get_by_test_id("timeline")).to_contain_text(f"trained to epoch {points}")


def test_divergence_says_where_and_offers_reset(lab: Lab) -> None:
    lab.open("?ds=plane&sizes=2,8,8,1&act=linear,linear&out=linear&loss=squared_error&eta=5&bs=4")
    page = lab.page
    first = lab.values("W-")
    banner = page.get_by_test_id("banner")
    for _ in range(6):
        page.get_by_test_id("btn-epoch").click()
        page.wait_for_function(
            "!document.querySelector('[data-testid=\"btn-epoch\"]').disabled"
            " || !document.querySelector('[data-testid=\"banner\"]').hidden"
        )
        if banner.is_visible():
            break
    expect(banner).to_be_visible()
    message = page.get_by_test_id("diverged-message")
    expect(message).to_contain_text("non-finite")
    expect(message).to_contain_text("epoch")
    text = message.inner_text()
    assert any(f"{q}_" in text for q in ("a", "h", "grad_a", "grad_h", "grad_W", "grad_b", "W", "b")) or "loss" in text
    lab.shot("diverged.png")
    page.get_by_test_id("btn-diverged-reset").click()
    expect(banner).to_be_hidden()
    expect(page.get_by_test_id("status")).to_contain_text("step 0")
    lab.wait_value("W-1-0-0", first["W-1-0-0"])
    assert lab.values("W-") == first, "reset gives exactly the first weights (same seed)"


TRACE_NAMES = "document.querySelector('[data-testid=\"loss-plot\"]').data.map((t) => t.name)"


def test_the_curves_show_an_accuracy_axis_only_for_a_classifier_even_before_training(lab: Lab) -> None:
    lab.open("?ds=plane&sizes=2,4,1&act=tanh&out=linear&loss=squared_error&eta=0.05&bs=8")  # regression
    page = lab.page
    page.wait_for_function("window.__perf.plotsReady !== null")
    assert "train acc" not in page.evaluate(TRACE_NAMES)
    expect(page.get_by_test_id("loss-plot")).not_to_contain_text("accuracy")
    lab.open("?ds=circles&sizes=2,6,2&act=tanh&eta=0.3&bs=8")  # a classifier: its (empty) accuracy curves
    page.wait_for_function("window.__perf.plotsReady !== null")
    assert {"train acc", "test acc"} <= set(page.evaluate(TRACE_NAMES))
    expect(page.get_by_test_id("loss-plot")).to_contain_text("accuracy")
