"""Compare side by side (/compare): two networks on the same data and seed that differ in one
choice, built through the API, stepped on the same traced example and trained together; the
numbers shown are the API's, and the lab links here with its own configuration."""

from __future__ import annotations

import math
from typing import Any

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e

QUERY = "?ds=moons&sizes=2,4,4,2&act=tanh,tanh&seed=3&eta=0.2&bs=16&ex=train:7&diff=activation&va=sigmoid&vb=tanh"
LAB_QUERY = (
    "ds=circles&dseed=0&sizes=2%2C5%2C2&act=relu&out=softmax&loss=cross_entropy&init=xavier_uniform"
    "&scale=1&seed=4&eta=0.05&bs=16&opt=sgd&ex=train%3A0"
)
SIZES = [2, 4, 4, 2]
L = len(SIZES) - 1


def open_compare(lab: Lab, query: str) -> None:
    lab.page.goto(f"/compare{query}")
    wait_built(lab)


def wait_built(lab: Lab) -> None:
    lab.page.wait_for_function(
        "document.body.dataset.ready === '1' && document.body.dataset.busy === '0' && !!document.body.dataset.networkB"
    )


def ids(lab: Lab) -> tuple[str, str]:
    body = lab.page.locator("body")
    return body.get_attribute("data-network-a") or "", body.get_attribute("data-network-b") or ""


def norm(values: Any) -> float:
    flat = [v for row in values for v in (row if isinstance(row, list) else [row])]
    return math.sqrt(sum(v * v for v in flat))


def test_two_networks_stepped_and_trained_side_by_side(lab: Lab) -> None:
    page = lab.page
    open_compare(lab, QUERY)
    a_id, b_id = ids(lab)
    net_a = lab.api("GET", f"/networks/{a_id}")
    net_b = lab.api("GET", f"/networks/{b_id}")
    assert net_a["config"]["activations"] == ["sigmoid", "sigmoid"]
    assert net_b["config"]["activations"] == ["tanh", "tanh"]
    assert net_a["config"]["sizes"] == net_b["config"]["sizes"] == SIZES
    assert net_a["dataset"] == net_b["dataset"] and net_a["dataset"]["name"] == "moons"
    assert net_a["W"] == net_b["W"]  # same seed, same first weights: only g differs
    expect(page.get_by_test_id("cmp-label-a")).to_contain_text("sigmoid")
    expect(page.get_by_test_id("c-act")).to_be_disabled()  # set by the choice
    expect(page.get_by_test_id("c-row")).to_have_value("7")

    # Step both on the traced example (train row 7): the table shows each network's pass.
    example = {"rows": [7], "split": "train"}
    expected = {s: lab.api("POST", f"/networks/{i}/backward", example) for s, i in (("a", a_id), ("b", b_id))}
    page.keyboard.press("s")
    lab.wait_value("cmp-loss-b", expected["b"]["loss"])
    for s in ("a", "b"):
        e = expected[s]
        assert lab.value(f"cmp-loss-{s}") == e["loss"]
        for j in range(SIZES[-1]):
            assert lab.value(f"cmp-yhat-{s}-{j}") == e["y_hat"][0][j]
        for k in range(1, L + 1):
            assert lab.value(f"cmp-grad_a-{s}-{k}") == pytest.approx(norm(e["grad_a"][k - 1][0]), rel=1e-12)
            assert lab.value(f"cmp-grad_W-{s}-{k}") == pytest.approx(norm(e["grad_W"][k - 1]), rel=1e-12)
    ratio = lab.value("cmp-ratio-grad_W-1")
    assert ratio == pytest.approx(lab.value("cmp-grad_W-b-1") / lab.value("cmp-grad_W-a-1"), rel=1e-12)
    assert lab.api("GET", f"/networks/{a_id}")["step"] == lab.api("GET", f"/networks/{b_id}")["step"] == 1

    # Train both for 5 epochs: the curves hold 5 epochs each, the boundaries are redrawn.
    epochs = page.get_by_test_id("cmp-epochs")
    epochs.fill("5")
    page.get_by_test_id("cmp-train").click()
    expect(page.get_by_test_id("cmp-curves")).to_have_attribute("data-points", "5,5")
    wait_built(lab)
    after_a = lab.api("GET", f"/networks/{a_id}")
    after_b = lab.api("GET", f"/networks/{b_id}")
    assert after_a["epoch"] == after_b["epoch"] == 5
    expect(page.get_by_test_id("cmp-summary-a")).to_contain_text("epoch 5")
    expect(page.get_by_test_id("cmp-summary-b")).to_contain_text("epoch 5")
    loss_a = float(page.get_by_test_id("cmp-summary-a").get_attribute("data-train-loss") or "nan")
    loss_b = float(page.get_by_test_id("cmp-summary-b").get_attribute("data-train-loss") or "nan")
    assert math.isfinite(loss_a) and math.isfinite(loss_b) and loss_a != loss_b
    for s in ("a", "b"):  # a decision boundary image in each plot
        assert page.evaluate(f"document.getElementById('cmp-plot-{s}').layout.images.length") == 1
    lab.shot("compare.png")

    # Too many epochs is refused next to the buttons; nothing is trained.
    epochs.fill("100000")
    page.get_by_test_id("cmp-train").click()
    expect(page.get_by_test_id("cmp-error")).to_contain_text("Epochs must be a whole number")
    assert lab.api("GET", f"/networks/{a_id}")["epoch"] == 5

    # Another choice: two learning rates. New networks replace the old ones (deleted).
    page.get_by_test_id("c-diff").select_option("eta")
    wait_built(lab)
    vb = page.get_by_test_id("c-vb")
    vb.fill("2")
    vb.press("Enter")
    page.wait_for_function("new URLSearchParams(location.search).get('vb') === '2'")
    wait_built(lab)
    c_id, d_id = ids(lab)
    assert {c_id, d_id}.isdisjoint({a_id, b_id})
    gone = page.request.get(f"/api/v1/networks/{a_id}")
    assert gone.status == 404
    assert lab.api("GET", f"/networks/{c_id}")["config"]["activations"] == ["tanh", "tanh"]
    expect(page.get_by_test_id("cmp-label-b")).to_contain_text("= 2")
    expect(page.get_by_test_id("c-eta")).to_be_disabled()
    with (
        page.expect_response(lambda r: r.url.endswith(f"/networks/{c_id}/step")) as step_a,
        page.expect_response(lambda r: r.url.endswith(f"/networks/{d_id}/step")) as step_b,
    ):
        page.get_by_test_id("cmp-step").click()
    step = {"a": step_a.value.request.post_data_json, "b": step_b.value.request.post_data_json}
    assert step["a"]["optimizer"]["eta"] == 0.2 and step["b"]["optimizer"]["eta"] == 2
    assert step["a"]["rows"] == step["b"]["rows"] == [7]
    assert not lab.errors


def test_the_lab_links_to_compare_with_its_configuration(lab: Lab) -> None:
    lab.open("?ds=circles&sizes=2,5,2&act=relu&seed=4&eta=0.05")
    page = lab.page
    link = page.get_by_test_id("link-compare")
    expect(link).to_have_attribute(
        "href",
        f"/compare?{LAB_QUERY}",
    )
    link.click()
    page.wait_for_url("**/compare?**")
    wait_built(lab)
    expect(page.get_by_test_id("c-dataset")).to_have_value("circles")
    expect(page.get_by_test_id("c-sizes")).to_have_value("2, 5, 2")
    expect(page.get_by_test_id("c-seed")).to_have_value("4")
    expect(page.get_by_test_id("c-diff")).to_have_value("activation")
    expect(page.get_by_test_id("c-va")).to_have_value("relu")  # A: the lab's own choice
    expect(page.get_by_test_id("c-vb")).to_have_value("sigmoid")
    a_id, b_id = ids(lab)
    net_a = lab.api("GET", f"/networks/{a_id}")
    assert net_a["config"]["sizes"] == [2, 5, 2] and net_a["config"]["seed"] == 4
    assert net_a["config"]["activations"] == ["relu"]
    assert lab.api("GET", f"/networks/{b_id}")["config"]["activations"] == ["sigmoid"]
    # And back: the lab link keeps the base configuration.
    expect(page.get_by_test_id("link-lab")).to_have_attribute(
        "href",
        f"/?{LAB_QUERY}",
    )
