"""Faults a teacher hits in the first minutes: a refused build must not leave the old network drawn
and steppable, Enter in the weight editor sets the weight once, and Space on a focused button
presses that button (instead of starting training)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Request, expect

from .room_support import shot
from .support import Lab

pytestmark = pytest.mark.e2e


def test_a_refused_build_leaves_no_old_network_to_step(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,3,2&act=tanh,tanh&seed=1")
    page = lab.page
    old = lab.network_id
    sizes = page.get_by_test_id("f-sizes")
    sizes.fill("2,8,8,8,1")  # softmax needs at least two outputs: the server refuses it
    sizes.press("Enter")
    expect(page.get_by_test_id("error-build")).to_be_visible()
    expect(page.get_by_test_id("error-build")).to_contain_text("softmax")
    page.wait_for_function("document.body.dataset.networkId === ''")
    expect(page.get_by_test_id("diagram")).to_be_hidden()
    expect(page.get_by_test_id("equations")).to_be_hidden()
    for testid in ("btn-forward", "btn-fullstep", "btn-epoch", "btn-play", "btn-reset"):
        expect(page.get_by_test_id(testid)).to_be_disabled()
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("f")
    page.keyboard.press("s")
    assert lab.stage == 0
    expect(page.get_by_test_id("status")).to_contain_text("No network")
    gone = page.request.get(f"/api/v1/networks/{old}")
    assert gone.status == 404, "the old network is not kept on the server either"
    shot(page, "refused-build.png")

    sizes.fill("2,8,8,8,2")  # a valid form builds again and everything comes back
    sizes.press("Enter")
    page.wait_for_function("document.body.dataset.networkId !== ''")
    lab.wait_trace()
    expect(page.get_by_test_id("diagram")).to_be_visible()
    expect(page.get_by_test_id("btn-forward")).to_be_enabled()
    assert lab.api("GET", f"/networks/{lab.network_id}")["config"]["sizes"] == [2, 8, 8, 8, 2]


def test_enter_in_the_weight_editor_sets_the_weight_once(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=1")
    page = lab.page
    patches: list[Request] = []
    page.on("request", lambda r: patches.append(r) if r.method == "PATCH" else None)
    timeline = page.get_by_test_id("timeline").locator("li")
    before = timeline.count()
    page.get_by_test_id("bias-2-1").click()
    field = page.get_by_test_id("editor-input")
    field.fill("0.625")
    field.press("Enter")
    expect(page.get_by_test_id("b-2-1")).to_have_attribute("data-value", "0.625")
    page.wait_for_timeout(300)
    assert len(patches) == 1, [r.url for r in patches]
    expect(timeline).to_have_count(before + 1)


def test_space_on_a_focused_button_presses_that_button(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=1")
    page = lab.page
    forward = page.get_by_test_id("btn-forward")
    forward.focus()
    page.keyboard.press("Space")
    lab.wait_stage(1)
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
    assert lab.api("GET", f"/networks/{lab.network_id}")["epoch"] == 0, "Space did not start training"
    # with nothing focused, Space is still play / pause
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
