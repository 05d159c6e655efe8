"""Fewer round trips: a step's answer carries the new parameters and counters, so after it the page
asks only for what it did not carry (the trace on the new parameters and the boundary); one epoch
is the training stream with a snapshot (parameters, surface and trace) plus the optimiser state the
timeline keeps. And the page
at a phone's size (390x844) still builds and steps."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Request, expect

from .support import Lab

pytestmark = pytest.mark.e2e

NET = "?ds=moons&sizes=2,4,2&act=tanh&seed=3&eta=0.1&bs=16"
API_PATH = re.compile(r"/api/v1/networks/[0-9a-f]{32}(/[a-z/-]+)?")
# The Insight and derivation panels ask for their own numbers when their inputs change (the
# gradient-health warning always): not part of the step's round trips.
PANELS = {"/diagnostics", "/gradcheck", "/blame", "/contributions", "/what-if", "/derivation", "/paths"}


def api_calls(requests: list[Request]) -> list[str]:
    out = []
    for r in requests:
        m = API_PATH.search(r.url)
        if m and (m.group(1) or "") not in PANELS:
            out.append(f"{r.method} {m.group(1) or ''}")
    return sorted(out)


def settle(lab: Lab) -> None:
    lab.page.wait_for_function("!document.querySelector('[data-testid=\"btn-fullstep\"]').disabled")
    lab.page.wait_for_timeout(400)  # anything else the page would still ask for


def test_a_step_and_an_epoch_ask_only_for_what_their_answers_did_not_carry(lab: Lab) -> None:
    lab.open(NET)
    page = lab.page
    settle(lab)
    seen: list[Request] = []
    page.on("request", lambda r: seen.append(r))
    step = lab.stage
    page.get_by_test_id("btn-fullstep").click()
    lab.wait_stage(2 * 2 + 1)
    settle(lab)
    assert step == 0
    assert api_calls(seen) == ["GET /surface", "POST /backward", "POST /step"]
    net = lab.api("GET", f"/networks/{lab.network_id}")
    expect(page.get_by_test_id("status")).to_contain_text(f"step {net['step']}")
    assert lab.values("W-") == {
        f"W-{k + 1}-{i}-{j}": w for k, Wk in enumerate(net["W"]) for i, r in enumerate(Wk) for j, w in enumerate(r)
    }
    seen.clear()
    page.get_by_test_id("btn-epoch").click()
    expect(page.get_by_test_id("status")).to_contain_text("epoch 1")
    settle(lab)
    # The stream's answer does not carry the optimiser state the timeline keeps: that one export is
    # the only other request (a step's answer carries it, so a step needs none).
    assert api_calls(seen) == ["GET /export", "POST /train/stream"]
    net = lab.api("GET", f"/networks/{lab.network_id}")
    assert lab.values("W-") == {
        f"W-{k + 1}-{i}-{j}": w for k, Wk in enumerate(net["W"]) for i, r in enumerate(Wk) for j, w in enumerate(r)
    }
    trace = lab.trace()
    assert lab.value("h-0-0") == trace["h"][0][0][0]


def test_the_page_at_a_phones_size(lab: Lab) -> None:
    lab.page.set_viewport_size({"width": 390, "height": 844})
    lab.open("?ds=digits&sizes=64,16,10&act=tanh&seed=0")
    page = lab.page
    page.keyboard.press("f")
    lab.wait_stage(1)
    lab.shot("phone-390x844-digits.png")
    page.get_by_test_id("images-card").scroll_into_view_if_needed()
    lab.shot("phone-390x844-images.png")
