"""Choosing the traced example: click a point in the dataset plot, or type an input and its label;
and the page's controls can be named by assistive technology."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e


def test_clicking_a_point_traces_that_row(lab: Lab) -> None:
    lab.open("?ds=blobs&sizes=2,5,3&act=tanh")
    page = lab.page
    page.wait_for_function("window.__perf.plotsReady !== null")
    page.get_by_test_id("dataplot").evaluate("(gd) => gd.scrollIntoView({ block: 'center' })")
    # The test point farthest from every other point, so the click cannot pick a neighbour.
    target = page.evaluate(
        """() => {
          const gd = document.querySelector('[data-testid="dataplot"]');
          const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
          const box = gd.getBoundingClientRect();
          const pts = [];
          gd.data.forEach((d) => (d.customdata || []).forEach((c, i) => {
            if (Array.isArray(c) && (c[0] === 'train' || c[0] === 'test')) {
              const x = box.left + xa._offset + xa.l2p(d.x[i]);
              const y = box.top + ya._offset + ya.l2p(d.y[i]);
              pts.push({ x, y, split: c[0], row: c[1] });
            }
          }));
          let best = null, bestGap = -1;
          for (const p of pts.filter((q) => q.split === 'test')) {
            const gap = Math.min(...pts.filter((q) => q !== p).map((q) => Math.hypot(q.x - p.x, q.y - p.y)));
            if (gap > bestGap) { best = p; bestGap = gap; }
          }
          return best;
        }"""
    )
    page.mouse.click(target["x"], target["y"])
    current = page.get_by_test_id("example-current")
    expect(current).to_have_attribute("data-split", "test")
    expect(current).to_have_attribute("data-row", str(target["row"]))
    lab.wait_trace()
    net = lab.api("GET", f"/networks/{lab.network_id}")
    spec = net["dataset"]
    data = lab.api("GET", f"/datasets/blobs?seed={spec['seed']}&test_fraction={spec['test_fraction']}")
    x = data["X_test"][target["row"]]
    lab.wait_value("h-0-0", x[0])
    assert lab.value("h-0-1") == x[1]
    assert "row=" not in page.url or f"ex=test%3A{target['row']}" in page.url or f"ex=test:{target['row']}" in page.url


def test_typing_an_input_and_its_label_traces_it(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=sigmoid")
    page = lab.page
    page.get_by_test_id("ex-x").fill("0.25, -0.5")
    page.get_by_test_id("ex-y").select_option("1")
    page.get_by_test_id("ex-trace-input").click()
    expect(page.get_by_test_id("example-current")).to_have_attribute("data-kind", "input")
    lab.wait_value("h-0-0", 0.25)
    page.keyboard.press("f")
    lab.wait_stage(1)
    trace = lab.api("POST", f"/networks/{lab.network_id}/backward", {"x": [0.25, -0.5], "y": [1]})
    for i in range(3):
        assert lab.value(f"a-1-{i}") == trace["a"][0][0][i]
    page.get_by_test_id("ex-x").fill("1, 2, 3")
    page.get_by_test_id("ex-trace-input").click()
    expect(page.get_by_test_id("error-example")).to_contain_text("2 number(s)")


def test_one_input_regression_shows_the_fitted_curve(lab: Lab) -> None:
    lab.open("?ds=sine&sizes=1,8,1&act=tanh&out=linear&loss=squared_error&eta=0.05")
    page = lab.page
    page.wait_for_function("window.__perf.plotsReady !== null")
    names = page.evaluate("document.querySelector('[data-testid=\"dataplot\"]').data.map((d) => d.name)")
    assert any("network" in n for n in names)
    expect(page.get_by_test_id("f-loss")).to_have_value("squared_error")
    assert page.evaluate("[...document.querySelectorAll('#f-loss option')].map((o) => o.value)") == ["squared_error"]
    lab.shot("regression.png")


def test_every_control_has_an_accessible_name(lab: Lab) -> None:
    lab.open()
    unnamed = lab.page.evaluate(
        """() => [...document.querySelectorAll('button, input, select')]
             .filter((n) => !n.closest('[hidden]') && n.type !== 'hidden')
             .filter((n) => !(n.getAttribute('aria-label') || (n.labels && n.labels.length) || n.textContent.trim()))
             .map((n) => n.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
