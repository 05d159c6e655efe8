"""Going back in the timeline puts back the step and epoch counters and the optimiser state with
the parameters: the next step from there is the step the network made back then."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e


def test_going_back_restores_counters_and_adam_state(lab: Lab) -> None:
    lab.open("?ds=moons&sizes=2,4,2&act=tanh&seed=1&opt=adam&eta=0.05&bs=16")
    page = lab.page
    net = lab.network_id
    page.keyboard.press("e")
    expect(page.get_by_test_id("timeline-1")).to_contain_text("epoch 1")
    then = lab.api("GET", f"/networks/{net}/export")
    assert then["optimizer_state"]["adam.t"] and then["step"] > 0
    # the entry keeps the optimiser state it was made with (fetched after the push)
    page.wait_for_function("window.__lab.store.state.timeline[1].optimizerState !== undefined")
    page.get_by_test_id("btn-fullstep").click()
    expect(page.get_by_test_id("timeline-2")).to_be_attached()
    first_step = lab.api("GET", f"/networks/{net}")
    page.get_by_test_id("btn-fullstep").click()
    expect(page.get_by_test_id("timeline-3")).to_be_attached()

    page.get_by_test_id("timeline-1").click()
    expect(page.get_by_test_id("timeline-1")).to_have_attribute("aria-current", "true")
    expect(page.get_by_test_id("status")).to_contain_text(f"step {then['step']} \u00b7 epoch 1")
    now = lab.api("GET", f"/networks/{net}/export")
    for key in ("W", "b", "step", "epoch", "optimizer_state"):
        assert now[key] == then[key], key
    page.get_by_test_id("btn-fullstep").click()
    expect(page.get_by_test_id("status")).to_contain_text(f"step {then['step'] + 1}")
    again = lab.api("GET", f"/networks/{net}")
    assert again["W"] == first_step["W"], "the same Adam step as back then"
