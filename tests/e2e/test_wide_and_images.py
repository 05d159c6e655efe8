"""Networks and data the notes are about: 8x8 digit images into 10 classes ([64, 32, 10]: the traced
x as an image, the weight gallery, the y_hat bars, the confusion matrix after training, picking the
traced example by clicking an image), a wide network on Iris ([4, 64, 64, 3]: the layer view, every
hovered value equal to the API's), the strongest-edges option, and the PCA view of h_1 (equal to the
core's projection). Numbers are compared with the API's (and the core's), never with constants."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from ffnn_core import forward
from ffnn_core.datasets import make_dataset
from ffnn_core.pca import fit_pca, project
from ffnn_core.serialization import network_from_dict

from .support import Lab

pytestmark = pytest.mark.e2e

DIGITS = "?ds=digits&sizes=64,32,10&act=tanh&seed=0&eta=0.1&bs=32"
IRIS_WIDE = "?ds=iris&sizes=4,64,64,3&act=tanh,tanh&seed=0&eta=0.05&bs=16"


def tip_values(lab: Lab, testid: str) -> list[list[float | None]]:
    """Every cell of a heatmap canvas, as its hover shows it: a mousemove at each cell's centre,
    then the tooltip text the page computed for it."""
    raw = lab.page.evaluate(
        """(testid) => {
            const c = document.querySelector(`[data-testid="${testid}"]`);
            const box = c.getBoundingClientRect();
            const out = [];
            for (let i = 0; i < c.height; i++) {
                const row = [];
                for (let j = 0; j < c.width; j++) {
                    const x = box.left + (j + 0.5) * box.width / c.width;
                    const y = box.top + (i + 0.5) * box.height / c.height;
                    c.dispatchEvent(new MouseEvent("mousemove", { clientX: x, clientY: y, bubbles: true }));
                    row.push(c.dataset.tip);
                }
                out.push(row);
            }
            return out;
        }""",
        testid,
    )
    values: list[list[float | None]] = []
    for row in raw:
        parsed: list[float | None] = []
        for text in row:
            assert " = " in text, f"{testid}: no value in the hover text {text!r}"
            value = text.rsplit(" = ", 1)[1].split(" ")[0]
            parsed.append(None if value == "not" else float(value))
        values.append(parsed)
    return values


def hover_tooltip(lab: Lab, testid: str, i: int, j: int) -> str:
    """A real pointer hover on cell (i, j): the page's tooltip text."""
    canvas = lab.page.get_by_test_id(testid)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    rows, cols = canvas.evaluate("(c) => [c.height, c.width]")
    lab.page.mouse.move(box["x"] + (j + 0.5) * box["width"] / cols, box["y"] + (i + 0.5) * box["height"] / rows)
    tip = lab.page.locator("#tooltip")
    expect(tip).to_be_visible()
    return str(tip.text_content())


def forward_to_output(lab: Lab, L: int) -> None:
    for _ in range(L):
        lab.page.keyboard.press("f")
    lab.wait_stage(L)


def test_digits_show_the_image_gallery_bars_and_confusion_matrix(lab: Lab) -> None:
    lab.open(DIGITS)
    page = lab.page
    info = {d["name"]: d for d in lab.api("GET", "/datasets")}["digits"]
    assert info["image_shape"] == [8, 8]
    expect(page.get_by_test_id("images-card")).to_be_visible()
    expect(page.get_by_test_id("layerview")).to_be_visible()  # 64 inputs: the layer view, not a hairball
    net = lab.api("GET", f"/networks/{lab.network_id}")
    data = lab.api("GET", "/datasets/digits?seed=0")
    # The traced x as an 8x8 image, each pixel's hover equal to the row's x.
    x = tip_values(lab, "img-x")
    np.testing.assert_array_equal(np.array(x).ravel(), data["X_train"][0])
    # The gallery: W_1[i, :] of every hidden unit as an 8x8 image with its exact values.
    assert page.locator("[data-testid^=gallery-W-]").count() == 32
    for i in (0, 7, 31):
        np.testing.assert_array_equal(np.array(tip_values(lab, f"gallery-W-{i}")).ravel(), net["W"][0][i])
    assert "W_1[7,9] = " in hover_tooltip(lab, "gallery-W-7", 1, 1)
    lab.shot("digits-before-training.png")
    # Forward to the output: the bars are y_hat, the true class is marked.
    forward_to_output(lab, 2)
    trace = lab.trace()
    for j in range(10):
        assert lab.value(f"yhat-bar-{j}") == trace["y_hat"][0][j]
    label = data["y_train"][0]
    expect(page.get_by_test_id(f"yhat-bar-{label}")).to_have_attribute("data-true", "1")
    assert page.locator("[data-true='1']").count() == 1
    # Backward through layer 1: the gradient gallery is grad_W_1[i, :].
    for _ in range(2):
        page.keyboard.press("b")
    lab.wait_stage(4)
    trace = lab.trace()
    np.testing.assert_array_equal(np.array(tip_values(lab, "gallery-gW-3")).ravel(), trace["grad_W"][0][3])
    # After training: the confusion matrix on the test split, equal to the API's.
    expect(page.get_by_test_id("confusion-pending")).to_be_visible()
    page.get_by_test_id("btn-epoch").click()
    expect(page.get_by_test_id("confusion")).to_be_visible(timeout=60_000)
    ev = lab.api("GET", f"/networks/{lab.network_id}/evaluation?split=test")
    for i in range(10):
        for j in range(10):
            assert lab.value(f"confusion-{i}-{j}") == ev["confusion"][i][j]
    assert lab.value("confusion-accuracy") == ev["accuracy"]
    page.get_by_test_id("images-card").scroll_into_view_if_needed()
    lab.shot("digits-after-training.png")
    # Clicking an image traces that example.
    page.get_by_test_id("pick-train-5").click()
    expect(page.get_by_test_id("example-current")).to_have_attribute("data-row", "5")
    lab.wait_value("h-0-0", data["X_train"][5][0]) if lab.has_value("h-0-0") else None
    x5 = tip_values(lab, "img-x")
    np.testing.assert_array_equal(np.array(x5).ravel(), data["X_train"][5])


def test_a_wide_iris_network_shows_the_layer_view_with_the_api_values(lab: Lab) -> None:
    lab.open(IRIS_WIDE)
    page = lab.page
    expect(page.get_by_test_id("layerview")).to_be_visible()
    expect(page.get_by_test_id("diagram")).to_be_hidden()
    net = lab.api("GET", f"/networks/{lab.network_id}")
    sizes = net["config"]["sizes"]
    L = len(sizes) - 1
    for k in range(1, L + 1):
        assert tip_values(lab, f"lv-W-{k}") == net["W"][k - 1]
        assert tip_values(lab, f"lv-b-{k}") == [net["b"][k - 1]]
    assert f"W_2[5,17] = {net['W'][1][5][17]!r}"[:14] in hover_tooltip(lab, "lv-W-2", 5, 17)
    # Forward and backward, one layer at a time: the highlight moves, the revealed values are the API's.
    for k in range(1, L + 1):
        page.keyboard.press("f")
        lab.wait_stage(k)
        expect(page.get_by_test_id(f"lv-layer-{k}")).to_have_class(re.compile(r"\blit\b"))
    trace: dict[str, Any] = lab.trace()
    for k in range(1, L + 1):
        assert tip_values(lab, f"lv-a-{k}") == [trace["a"][k - 1][0]]
        assert tip_values(lab, f"lv-h-{k}") == [trace["h"][k][0]]
    for step in range(1, L + 1):
        page.keyboard.press("b")
        lab.wait_stage(L + step)
        k = L - step + 1
        expect(page.get_by_test_id(f"lv-layer-{k}")).to_have_class(re.compile(r"\blit\b"))
        assert tip_values(lab, f"lv-grad_W-{k}") == trace["grad_W"][k - 1]
        assert tip_values(lab, f"lv-grad_a-{k}") == [trace["grad_a"][k - 1][0]]
        assert tip_values(lab, f"lv-grad_b-{k}") == [trace["grad_b"][k - 1]]
    assert tip_values(lab, "lv-grad_h-1") == [trace["grad_h"][1][0]]
    lab.shot("wide-iris-layer-view.png")
    # A click on a cell of W_2 edits that weight.
    page.get_by_test_id("lv-W-2").scroll_into_view_if_needed()
    box = page.get_by_test_id("lv-W-2").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 3.5 * box["width"] / 64, box["y"] + 2.5 * box["height"] / 64)
    editor = page.get_by_test_id("editor-input")
    expect(editor).to_be_visible()
    editor.fill("0.75")
    editor.press("Enter")
    page.wait_for_function("() => !document.querySelector('[data-testid=editor]')")
    assert lab.api("GET", f"/networks/{lab.network_id}")["W"][1][2][3] == 0.75
    page.wait_for_function("document.querySelector('[data-testid=\"lv-W-2\"]') && true")
    assert tip_values(lab, "lv-W-2")[2][3] == 0.75


def test_the_node_diagram_can_draw_only_the_strongest_edges(lab: Lab) -> None:
    lab.open("?ds=moons&sizes=2,8,8,2&act=tanh,tanh&seed=1")
    page = lab.page
    expect(page.get_by_test_id("diagram")).to_be_visible()  # narrow enough for the node diagram
    assert page.get_by_test_id("diagram").get_attribute("data-edges-shown") == str(2 * 8 + 8 * 8 + 8 * 2)
    page.get_by_test_id("f-top-edges").select_option("10")
    page.wait_for_function("document.getElementById('diagram').dataset.edgesShown === '10'")
    shown = page.evaluate(
        """() => [...document.querySelectorAll('#diagram [data-edit^="W:"]')]
             .filter((n) => getComputedStyle(n).visibility !== 'hidden')
             .map((n) => Math.abs(Number(n.dataset.value)))"""
    )
    net = lab.api("GET", f"/networks/{lab.network_id}")
    every = sorted((abs(w) for Wk in net["W"] for r in Wk for w in r), reverse=True)
    assert sorted(shown, reverse=True) == every[:10]
    page.get_by_test_id("f-layer-view").select_option("layers")
    expect(page.get_by_test_id("layerview")).to_be_visible()


def test_the_pca_view_of_h1_is_the_cores_projection(lab: Lab) -> None:
    lab.open("?ds=iris&sizes=4,6,3&act=tanh&seed=2")
    page = lab.page
    expect(page.get_by_test_id("f-projection-layer")).to_be_visible()
    page.wait_for_function("document.getElementById('dataplot').dataset.projection === '0'")
    page.get_by_test_id("f-projection-layer").select_option("1")
    page.wait_for_function("document.getElementById('dataplot').dataset.projection === '1'")
    shown = page.evaluate(
        """() => { const out = {}; for (const t of document.getElementById('dataplot').data) {
              if (!t.customdata || t.name === 'traced example') continue;
              t.customdata.forEach((c, i) => { out[`${c[0]}:${c[1]}`] = [t.x[i], t.y[i]]; }); }
            return out; }"""
    )
    network = network_from_dict(lab.api("GET", f"/networks/{lab.network_id}/export"))
    data = make_dataset("iris", seed=0)
    pca = fit_pca(forward(network, data.X_train).h[1])
    for split, X in (("train", data.X_train), ("test", data.X_test)):
        want = project(pca, forward(network, X).h[1])
        got = np.array([shown[f"{split}:{r}"] for r in range(X.shape[0])])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    lab.shot("pca-h1-iris.png")
    # Training moves the points, not the axes: the same basis, the core's projection of the new h_1.
    page.get_by_test_id("btn-epoch").click()
    page.wait_for_function("document.getElementById('status').textContent.includes('epoch 1')")
    network = network_from_dict(lab.api("GET", f"/networks/{lab.network_id}/export"))
    want = project(pca, forward(network, data.X_train).h[1])
    page.wait_for_function(
        """(want) => { const isRow0 = (c) => c[0] === 'train' && c[1] === 0;
            const t = [...document.getElementById('dataplot').data]
                .find((t) => t.customdata && t.customdata.some(isRow0));
            if (!t) return false; const i = t.customdata.findIndex((c) => c[0] === 'train' && c[1] === 0);
            return Math.abs(t.x[i] - want[0]) < 1e-9 && Math.abs(t.y[i] - want[1]) < 1e-9; }""",
        arg=list(want[0]),
    )
