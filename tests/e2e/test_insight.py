"""The Insight panel, used as a student would: the gradient check (and the teaching fault that
breaks backprop on purpose), gradient health for the eight-sigmoid-layer lesson, who is to blame
for a hidden unit's gradient, each example's share of grad_W_k, and the learning-rate what-if.
Every displayed number is compared with the API's own answer."""

from __future__ import annotations

import math
from typing import Any

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e

NET = "?ds=xor&sizes=2,3,3,2&act=tanh,tanh"


def open_tab(lab: Lab, tab: str) -> None:
    lab.page.get_by_test_id(f"insight-tab-{tab}").click()
    expect(lab.page.get_by_test_id(f"insight-tab-{tab}")).to_have_attribute("aria-selected", "true")
    expect(lab.page.get_by_test_id(f"insight-panel-{tab}")).to_be_visible()


def show_insight(lab: Lab) -> None:
    """Scroll the Insight card to the top of the main area (for the screenshots)."""
    lab.page.evaluate("document.querySelector('.insight-card').scrollIntoView({ block: 'start' })")


def shown(lab: Lab, testid: str) -> float:
    return lab.value(testid)


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


def check_gradcheck_table(lab: Lab, api: dict[str, Any], layer: int) -> list[str]:
    """Every displayed entry equals the API's; returns the verdicts shown."""
    verdicts = []
    for t in api["tensors"]:
        for e in t["entries"]:
            key = f"gc-{t['name']}-{layer}-{'-'.join(map(str, e['index']))}"
            assert shown(lab, f"{key}-backprop") == e["backprop"]
            assert shown(lab, f"{key}-numeric") == e["numeric"]
            assert shown(lab, f"{key}-error") == e["relative_error"]
            verdicts.append(lab.page.get_by_test_id(f"{key}-error").get_attribute("data-verdict") or "")
    return verdicts


def wait_gradcheck(lab: Lab, layer: int, fault: int | None) -> None:
    summary = lab.page.get_by_test_id("gc-summary")
    expect(summary).to_have_attribute("data-layer", str(layer))
    expect(summary).to_have_attribute("data-fault", str(fault or ""))


def test_gradient_check_passes_and_the_teaching_fault_breaks_it(lab: Lab) -> None:
    lab.open(NET)
    page = lab.page
    net = lab.network_id
    body = lab.example()
    open_tab(lab, "gradcheck")
    wait_gradcheck(lab, 1, None)
    # A small tanh network: its gradients neither vanish nor explode, so no warning.
    calm = lab.api("POST", f"/networks/{net}/diagnostics", {**body, "eta": 0.1})
    assert not calm["vanishing"] and not calm["exploding"]
    expect(page.get_by_test_id("gradient-alert")).to_have_count(0)
    good = lab.api("POST", f"/networks/{net}/gradcheck", {**body, "layers": [1], "eps": 1e-6})
    verdicts = check_gradcheck_table(lab, good, 1)
    assert len(verdicts) == 3 * 2 + 3 and set(verdicts) == {"fine"}
    assert shown(lab, "gc-max-W") == good["tensors"][0]["max_relative_error"] < 1e-7

    # Teaching fault: drop g' in hidden layer 2. Layer 1 (below it) and layer 2 fail; layer 3 passes.
    page.get_by_test_id("fault-layer").select_option("2")
    page.get_by_test_id("fault-on").check()
    expect(page.get_by_test_id("fault-banner")).to_be_visible()
    expect(page.get_by_test_id("fault-banner")).to_contain_text("broken on purpose")
    wait_gradcheck(lab, 1, 2)
    bad = lab.api("POST", f"/networks/{net}/gradcheck", {**body, "layers": [1], "eps": 1e-6, "drop_g_prime_layer": 2})
    verdicts = check_gradcheck_table(lab, bad, 1)
    assert "wrong" in verdicts
    assert shown(lab, "gc-max-W") == bad["tensors"][0]["max_relative_error"] > 1e-2
    expect(page.get_by_test_id("gc-max-W")).to_have_attribute("data-verdict", "wrong")
    expect(page.get_by_test_id("gc-table-W")).to_contain_text("broken")
    show_insight(lab)
    lab.shot("insight-gradcheck.png")

    page.get_by_test_id("gc-layer").select_option("3")
    wait_gradcheck(lab, 3, 2)
    above = lab.api("POST", f"/networks/{net}/gradcheck", {**body, "layers": [3], "eps": 1e-6, "drop_g_prime_layer": 2})
    assert set(check_gradcheck_table(lab, above, 3)) == {"fine"}
    page.get_by_test_id("gc-layer").select_option("2")
    wait_gradcheck(lab, 2, 2)
    at = lab.api("POST", f"/networks/{net}/gradcheck", {**body, "layers": [2], "eps": 1e-6, "drop_g_prime_layer": 2})
    assert "wrong" in check_gradcheck_table(lab, at, 2)

    # The backward view shows the broken gradients, clearly labelled, and the right ones once it is off.
    broken = lab.api("POST", f"/networks/{net}/backward", {**body, "drop_g_prime_layer": 2})
    right = lab.trace()
    assert broken["grad_W"][0][0][0] != right["grad_W"][0][0][0]
    assert broken["grad_W"][2] == right["grad_W"][2]
    page.get_by_test_id("stage-6").click()  # the end of the backward pass (L = 3)
    lab.wait_value("grad_W-1-0-0", broken["grad_W"][0][0][0])
    top = {f"grad_W-3-{i}-{j}": right["grad_W"][2][i][j] for i in range(2) for j in range(3)}
    assert lab.values("grad_W-3-") == top, "the layers above the fault keep their right gradients"
    assert page.evaluate("document.body.dataset.fault") == "2"
    head = "document.querySelector('[data-testid=\"layer-1\"] .layer-head')"
    after = page.evaluate(f"getComputedStyle({head}, '::after').content")
    assert "broken" in after
    page.evaluate("document.querySelector('.main').scrollTop = 0")
    lab.shot("insight-fault-backward.png")
    page.get_by_test_id("btn-fault-off").click()
    expect(page.get_by_test_id("fault-banner")).to_have_count(0)
    lab.wait_value("grad_W-1-0-0", right["grad_W"][0][0][0])
    expect(page.get_by_test_id("fault-on")).not_to_be_checked()


def test_gradient_health_warns_for_the_eight_sigmoid_layers(lab: Lab) -> None:
    lab.open("?lesson=vanishing-gradients")
    page = lab.page
    alert = page.get_by_test_id("gradient-alert")
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("data-kind", "vanishing")
    page.get_by_test_id("btn-show-health").click()
    expect(page.get_by_test_id("insight-tab-health")).to_have_attribute("aria-selected", "true")
    banner = page.get_by_test_id("health-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-kind", "vanishing")
    eta = float(page.get_by_test_id("f-eta").input_value())
    diag = lab.api("POST", f"/networks/{lab.network_id}/diagnostics", {**lab.example(), "eta": eta})
    assert diag["vanishing"] and not diag["exploding"]
    L = len(diag["layers"])
    assert L == 9
    lab.wait_value("health-gan-1", diag["layers"][0]["grad_a_norm"])
    for h in diag["layers"]:
        k = h["layer"]
        assert shown(lab, f"health-gan-{k}") == h["grad_a_norm"]
        assert shown(lab, f"health-gwn-{k}") == h["grad_W_norm"]
        assert shown(lab, f"health-upd-{k}") == h["update_ratio"]
        if k < L:
            assert shown(lab, f"health-ratio-{k}") == h["ratio_to_above"] < 0.5
            assert shown(lab, f"health-sat-{k}") == h["saturated_share"]
    # The log-scale bars: one per layer, the API's norms.
    page.wait_for_function("(document.querySelector('[data-testid=\"health-plot\"]').data || []).length > 0")
    bars = page.evaluate("document.querySelector('[data-testid=\"health-plot\"]').data[0].y")
    assert bars == [h["grad_a_norm"] for h in diag["layers"]]
    assert page.evaluate("document.querySelector('[data-testid=\"health-plot\"]').layout.yaxis.type") == "log"
    # Over training: one epoch adds the epoch record's grad_a_norms per layer.
    page.keyboard.press("e")
    page.wait_for_function("document.querySelector('[data-testid=\"health-plot\"]').data[2].x.length === 1")
    net = lab.api("GET", f"/networks/{lab.network_id}")
    assert net["epoch"] == 1
    curve = page.evaluate("document.querySelector('[data-testid=\"health-plot\"]').data.slice(2).map((t) => t.y[0])")
    assert len(curve) == L and curve[0] < 1e-3 * curve[-1]
    show_insight(lab)
    lab.shot("insight-health.png")


def check_blame(lab: Lab, layer: int, j: int) -> dict[str, Any]:
    api = lab.api("POST", f"/networks/{lab.network_id}/blame", {**lab.example(), "layer": layer, "j": j})
    lab.wait_value("blame-grad-h", api["grad_h"])
    rows = lab.page.locator("[data-testid^='blame-term-']")
    expect(rows).to_have_count(len(api["terms"]))
    total = 0.0
    for n, t in enumerate(api["terms"]):
        assert lab.page.get_by_test_id(f"blame-term-{n}").get_attribute("data-i") == str(t["i"])
        assert shown(lab, f"blame-w-{t['i']}") == t["weight"]
        assert shown(lab, f"blame-ga-{t['i']}") == t["grad_a"]
        assert shown(lab, f"blame-t-{t['i']}") == t["term"] == t["weight"] * t["grad_a"]
        total += shown(lab, f"blame-t-{t['i']}")
    magnitudes = [abs(t["term"]) for t in api["terms"]]
    assert magnitudes == sorted(magnitudes, reverse=True), "largest first"
    assert shown(lab, "blame-sum") == total
    # The terms sum to grad_h (up to the order of the additions).
    assert abs(total - shown(lab, "blame-grad-h")) <= 1e-12 * sum(magnitudes)
    # grad_h of the traced example, as the backward trace has it.
    assert api["grad_h"] == lab.trace()["grad_h"][layer][0][j]
    # The edges W_{k+1}[:, j] the terms flow along are highlighted in the diagram.
    for t in api["terms"]:
        edge = lab.page.get_by_test_id(f"blame-edge-{layer + 1}-{t['i']}-{j}")
        expect(edge).to_have_count(1)
        assert float(edge.get_attribute("data-value") or "nan") == t["term"]
    expect(lab.page.locator(".blame-edge")).to_have_count(len(api["terms"]))
    return api


def test_who_is_to_blame_for_a_hidden_unit_and_an_input(lab: Lab) -> None:
    lab.open(NET)
    page = lab.page
    page.get_by_test_id("dg-h-1-0").click()
    expect(page.get_by_test_id("blame")).to_be_visible()
    check_blame(lab, 1, 0)
    expect(page.get_by_test_id("blame-ring")).to_have_count(1)
    page.mouse.move(1100, 600)  # no tooltip in the screenshot
    lab.shot("insight-blame.png")
    # An input: grad_h_0[1] = sum_i W_1[i, 1] grad_a_1[i].
    page.get_by_test_id("dg-h-0-1").click()
    check_blame(lab, 0, 1)
    # From the keyboard: the strip's own selects.
    page.get_by_test_id("blame-layer").select_option("2")
    page.get_by_test_id("blame-unit").select_option("2")
    check_blame(lab, 2, 2)
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("blame")).to_be_hidden()
    expect(page.locator(".blame-overlay")).to_have_count(0)
    # Clicking a weight still opens its editor, not the blame strip. Closing the strip shrinks the
    # row, so wait until the edge has stopped moving before clicking it.
    edge = page.get_by_test_id("edge-1-0-0")
    box = None
    for _ in range(40):
        moved_to = edge.bounding_box()
        if moved_to == box:
            break
        box = moved_to
        page.wait_for_timeout(50)
    edge.click(force=True)
    expect(page.get_by_test_id("editor")).to_be_visible()
    expect(page.get_by_test_id("blame")).to_be_hidden()


def test_per_example_contributions_rank_the_batch(lab: Lab) -> None:
    lab.open(NET)
    page = lab.page
    open_tab(lab, "contrib")
    page.get_by_test_id("contrib-layer").select_option("2")
    page.get_by_test_id("contrib-batch-n").fill("12")
    page.get_by_test_id("contrib-batch-n").press("Enter")
    rows = list(range(12))
    api = lab.api("POST", f"/networks/{lab.network_id}/contributions", {"rows": rows, "split": "train", "layer": 2})
    items = page.locator("[data-testid^='contrib-row-']")
    expect(items).to_have_count(12)
    lab.wait_value(f"contrib-norm-{api['ranking'][0]}", api["norms"][api["ranking"][0]])
    for rank, n in enumerate(api["ranking"]):
        assert page.get_by_test_id(f"contrib-row-{rank}").get_attribute("data-example") == str(n)
        assert shown(lab, f"contrib-norm-{n}") == api["norms"][n]
    assert [api["norms"][n] for n in api["ranking"]] == sorted(api["norms"], reverse=True)
    # The batch gradient is the mean of the examples' own; the shares of the step sum to 1.
    batch = lab.api("POST", f"/networks/{lab.network_id}/backward", {"rows": rows, "split": "train"})["grad_W"][1]
    for i, row in enumerate(batch):
        for j, v in enumerate(row):
            mean = sum(G[i][j] for G in api["per_example_grad_W"]) / len(rows)
            assert close(mean, v, 1e-12) and close(api["grad_W"][i][j], v, 1e-12)
    shares = [shown(lab, f"contrib-share-{n}") for n in range(12)]
    assert abs(sum(shares) - 1) < 1e-12
    show_insight(lab)
    lab.shot("insight-contributions.png")
    # Clicking the top example's "trace" makes it the traced example.
    top = api["ranking"][0]
    page.get_by_test_id(f"contrib-trace-{top}").click()
    expect(page.get_by_test_id("example-current")).to_have_attribute("data-row", str(rows[top]))


def test_learning_rate_what_if_marks_the_current_eta(lab: Lab) -> None:
    lab.open(NET + "&eta=0.3")
    page = lab.page
    open_tab(lab, "whatif")
    current = page.get_by_test_id("whatif-current")
    expect(current).to_have_attribute("data-eta", "0.3")
    net = lab.network_id
    body = lab.example()
    loss_now = lab.trace()["loss"]
    lab.wait_value("whatif-now", loss_now)
    predicted = shown(lab, "whatif-current")
    plot = "document.querySelector('[data-testid=\"whatif-plot\"]')"
    page.wait_for_function(f"({plot}.data || []).length === 2")
    curve = page.evaluate(f"{plot}.data.map((t) => ({{ x: t.x, y: t.y }}))")
    rates = curve[0]["x"]
    assert len(rates) == 41 and rates[0] == pytest.approx(1e-3) and rates[-1] == pytest.approx(10) and 0.3 in rates
    assert curve[1] == {"x": [0.3], "y": [predicted]}
    assert page.evaluate(f"{plot}.layout.xaxis.type") == "log"
    show_insight(lab)
    lab.shot("insight-whatif.png")
    # The real thing: one SGD step at eta = 0.3, then the loss on the same example.
    lab.api("POST", f"/networks/{net}/step", {**body, "optimizer": {"name": "sgd", "eta": 0.3}})
    real = lab.api("POST", f"/networks/{net}/backward", body)["loss"]
    assert close(predicted, real, 1e-12)
    assert real < loss_now


def test_what_if_on_a_batch(lab: Lab) -> None:
    lab.open(NET)
    page = lab.page
    open_tab(lab, "whatif")
    page.get_by_test_id("whatif-on-batch").check()
    page.get_by_test_id("whatif-batch-n").fill("5")
    page.get_by_test_id("whatif-batch-n").press("Enter")
    rows = {"rows": [0, 1, 2, 3, 4], "split": "train"}
    api = lab.api("POST", f"/networks/{lab.network_id}/what-if", {**rows, "etas": [0, 0.1]})
    lab.wait_value("whatif-now", api["loss"])
    lab.wait_value("whatif-current", api["losses"][1])
