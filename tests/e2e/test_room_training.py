"""The training view in a room: a loss that grows by hundreds of orders of magnitude before it
diverges is drawn on a log axis (not a flat line and then a wall); ordinary curves stay linear."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .room_support import shot
from .support import Lab

pytestmark = pytest.mark.e2e

_PLOT = "document.querySelector('[data-testid=\"training\"] [data-points]')"


def test_a_loss_that_explodes_is_drawn_on_a_log_axis(lab: Lab) -> None:
    lab.open("?lesson=learning-rate-too-high")
    page = lab.page
    page.get_by_test_id("btn-play").click()
    expect(page.get_by_test_id("diverged-message")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
    finite = f"{_PLOT}.data[0].y.filter((v) => v !== null && Number.isFinite(v))"
    # the views are drawn in full once the stream has ended (the last epochs may come a frame later)
    page.wait_for_function(
        f"{_PLOT} && {_PLOT}.layout && {_PLOT}.layout.yaxis.type === 'log' && Math.max(...{finite}) > 1e100",
        timeout=10_000,
    )
    losses = page.evaluate(finite)
    assert max(losses) > 1e100 and min(losses) < 1e3, "the curve spans hundreds of orders of magnitude"
    assert page.evaluate(f"{_PLOT}.layout.yaxis.title.text") == "loss (log)"
    shot(page, "loss-log-axis.png")


def test_an_ordinary_loss_curve_stays_linear(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,4,2&act=tanh&seed=1&eta=0.1")
    page = lab.page
    for _ in range(3):
        page.keyboard.press("e")
        page.wait_for_timeout(200)
    page.wait_for_function(f"{_PLOT} && Number({_PLOT}.dataset.points) >= 3 && !!{_PLOT}.layout")
    assert page.evaluate(f"{_PLOT}.layout.yaxis.type") in ("linear", "-", None)
