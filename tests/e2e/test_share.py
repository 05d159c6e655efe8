"""Share and keep: the URL rebuilds the same network; export then import gives the same numbers;
mistakes are explained inline, next to their cause."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e


def test_reloading_the_url_rebuilds_the_same_network(lab: Lab) -> None:
    lab.open("?ds=circles&sizes=2,4,3,2&act=relu,sigmoid&init=he&seed=7&eta=0.05&bs=8")
    page = lab.page
    seed = page.get_by_test_id("f-seed")
    seed.fill("11")
    seed.press("Enter")
    page.wait_for_function("new URLSearchParams(location.search).get('seed') === '11'")
    before_id = lab.network_id
    lab.wait_trace()
    net = lab.api("GET", f"/networks/{lab.network_id}")
    assert net["config"]["seed"] == 11
    W = lab.values("W-")
    b = lab.values("b-")
    url = page.url
    assert "act=relu%2Csigmoid" in url or "act=relu,sigmoid" in url
    page.reload()
    page.wait_for_function("document.body.dataset.ready === '1'")
    lab.wait_trace()
    assert lab.network_id not in ("", before_id, net["id"])
    assert lab.values("W-") == W
    assert lab.values("b-") == b
    expect(page.get_by_test_id("f-seed")).to_have_value("11")
    expect(page.get_by_test_id("hl-act-1")).to_have_value("relu")
    expect(page.get_by_test_id("hl-act-2")).to_have_value("sigmoid")
    expect(page.get_by_test_id("f-init")).to_have_value("he")
    expect(page.get_by_test_id("f-eta")).to_have_value("0.05")
    again = lab.api("GET", f"/networks/{lab.network_id}")
    assert again["config"] == net["config"]
    assert again["W"] == net["W"]


def test_export_then_import_gives_the_same_numbers(lab: Lab, tmp_path: Path) -> None:
    lab.open("?ds=moons&sizes=2,3,3,2&act=tanh,tanh&seed=2&eta=0.2")
    page = lab.page
    page.keyboard.press("e")
    expect(page.get_by_test_id("status")).to_contain_text("epoch 1")
    lab.wait_trace()
    W = lab.values("W-")
    b = lab.values("b-")
    with page.expect_download() as info:
        page.get_by_test_id("btn-export").click()
    path = tmp_path / "network.json"
    info.value.save_as(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "backprop-lab/network"
    assert doc["epoch"] == 1
    # Something else in between: a different seed gives different weights.
    seed = page.get_by_test_id("f-seed")
    seed.fill("3")
    seed.press("Enter")
    page.wait_for_function("new URLSearchParams(location.search).get('seed') === '3'")
    lab.wait_value("W-1-0-0", W["W-1-0-0"], equal=False)
    assert lab.values("W-") != W
    page.get_by_test_id("f-import").set_input_files(str(path))
    expect(page.get_by_test_id("share-note")).to_contain_text("Imported")
    lab.wait_value("W-1-0-0", W["W-1-0-0"])
    lab.wait_trace()
    assert lab.values("W-") == W
    assert lab.values("b-") == b
    expect(page.get_by_test_id("status")).to_contain_text("epoch 1")
    expect(page.get_by_test_id("f-seed")).to_have_value("2")
    trace = lab.trace()
    page.keyboard.press("f")
    lab.wait_stage(1)
    assert [lab.value(f"a-1-{i}") for i in range(3)] == trace["a"][0][0]


def test_api_errors_appear_inline_next_to_their_cause(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh")
    page = lab.page
    assert page.evaluate("typeof window.alert") == "function"
    page.on("dialog", lambda d: pytest.fail(f"a dialog was opened: {d.message}"))
    sizes = page.get_by_test_id("f-sizes")
    sizes.fill("3, 3, 2")
    sizes.press("Enter")
    error = page.get_by_test_id("error-build")
    expect(error).to_be_visible()
    expect(error).to_contain_text("2")  # the server says what the dataset needs
    sizes.fill("2, 3, 2")
    sizes.press("Enter")
    expect(error).to_be_hidden()
    row = page.get_by_test_id("ex-row")
    row.fill("100000")
    row.press("Enter")
    expect(page.get_by_test_id("error-example")).to_contain_text("rows 0 to")
