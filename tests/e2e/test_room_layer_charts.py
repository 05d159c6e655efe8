"""The layer panels' charts (bars and heatmaps) keep their labels' type on screen: a chart is drawn
at the width its box gives it, not drawn wider and scaled down by max-width (6-9 px labels)."""

from __future__ import annotations

import pytest

from .room_support import ALL_SIZES, shot, sized
from .support import Lab

# Each chart label's height on screen: its font size times the chart's scale (drawn / natural width).
_ON_SCREEN = """() => [...document.querySelectorAll('#layers svg.chart')].flatMap((svg) => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll("text")]
    .map((t) => [parseFloat(getComputedStyle(t).fontSize) * scale, t.textContent]);
}).sort((a, b) => a[0] - b[0])"""


@pytest.mark.parametrize(("width", "height"), ALL_SIZES)
def test_layer_chart_labels_are_10_px_on_screen(lab: Lab, width: int, height: int) -> None:
    page = lab.page
    sized(page, width, height)
    lab.open("?ds=moons&sizes=2,8,8,2&act=tanh,tanh&seed=0")
    for key in "fffbbb":
        stage = lab.stage
        page.keyboard.press(key)
        lab.wait_stage(stage + 1)
    page.locator("#layers").scroll_into_view_if_needed()
    labels = page.evaluate(_ON_SCREEN)
    assert len(labels) > 20, labels
    assert labels[0][0] >= 10 - 0.01, f"{width}x{height}: smallest {labels[:5]}"
    shot(page, f"layer_charts_{width}x{height}.png")
