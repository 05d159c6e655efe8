"""Projector mode in a room: from the back row every number and label of the diagram and the
equations is readable (>= 24 px on 1920x1080, >= 20 px on smaller screens) and no two of them
overlap each other or another neuron, the current equation sits beside the diagram without
scrolling, the lesson's title and what to look at are on screen, no controls are shown, and the
keys still step."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from .room_support import DESKTOPS, boxes_overlap, diagram_overlaps, shot, sized, smallest_text, text_overlaps
from .support import Lab

pytestmark = pytest.mark.e2e

# Every interactive element that is drawn anywhere on the page (the diagram's units and the number
# tables are focusable for the keyboard, but they are not controls a room sees).
_CONTROLS = """() => [...document.querySelectorAll("button, input, select, textarea, summary, a[href], label.file")]
  .filter((n) => n.getClientRects().length && getComputedStyle(n).visibility !== "hidden")
  .map((n) => n.dataset.testid || n.id || n.tagName)"""


def _inside_viewport(lab: Lab, selector: str) -> bool:
    return bool(
        lab.page.evaluate(
            """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                 return r.width > 0 && r.top >= 0 && r.left >= 0
                   && r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5; }""",
            selector,
        )
    )


def _press(lab: Lab, key: str, times: int) -> None:
    for _ in range(times):
        stage = lab.stage
        lab.page.keyboard.press(key)
        lab.wait_stage(stage + 1)


def _readable_and_apart(lab: Lab, minimum: int) -> None:
    """The diagram's and the equations' text: big enough, and no two boxes overlapping."""
    page = lab.page
    diagram = smallest_text(page, "[data-testid='diagram'] svg")
    equations = smallest_text(page, "[data-testid='equations']")
    assert diagram["px"] >= minimum, diagram
    assert equations["px"] >= minimum, equations
    assert diagram_overlaps(page) == {"texts": [], "shapes": [], "outside": []}
    assert text_overlaps(page, "[data-testid='equations']") == []
    assert text_overlaps(page, "[data-testid='lesson-projector']") == []
    cards = ["[data-testid='diagram-svg']", "[data-testid='lesson-projector']", "[data-testid='equations']", ".topbar"]
    assert boxes_overlap(page, cards) == []


@pytest.mark.parametrize(("width", "height"), DESKTOPS)
def test_projector_mode_is_readable_from_the_back(lab: Lab, width: int, height: int) -> None:
    page = lab.page
    sized(page, width, height)
    lab.open("?lesson=xor-hidden-layer&projector=1")
    expect(page.locator("html")).to_have_class("projector")
    minimum = 24 if width >= 1600 else 20
    _press(lab, "f", 2)  # forward to the output layer (L = 2): the longest equation of this lesson
    lab.wait_value("a-2-0", lab.trace()["a"][1][0][0])

    assert page.evaluate(_CONTROLS) == ["projector-link"], "no controls but the way out"
    for hidden in ("builder", "btn-forward", "btn-play", "f-lesson", "timeline", "f-diagram-mode", "insight"):
        expect(page.get_by_test_id(hidden)).to_be_hidden()
    lesson = lab.api("GET", "/lessons/xor-hidden-layer")
    block = page.get_by_test_id("lesson-projector")
    expect(block).to_be_visible()
    expect(block.locator("h2")).to_have_text(lesson["title"])
    expect(block.locator("li")).to_have_count(len(lesson["look_at"]))
    assert _inside_viewport(lab, "[data-testid='lesson-projector']")
    status = page.get_by_test_id("status")
    cut = page.evaluate("(n) => n.scrollWidth > n.clientWidth + 1", status.element_handle())
    assert not cut, "the counters and the stage are not cut off"
    expect(status).to_contain_text("epoch 0")

    _readable_and_apart(lab, minimum)
    # the current equation (its result included) is on screen beside the diagram, unscrolled
    assert page.evaluate("document.querySelector('[data-testid=\"equations\"]').scrollTop") == 0
    assert _inside_viewport(lab, "[data-testid='equations'] .eq")
    assert _inside_viewport(lab, "[data-testid='equations'] [data-testid='eq-result']")
    assert _inside_viewport(lab, "[data-testid='diagram'] svg")
    clipped = page.evaluate(
        """[...document.querySelectorAll('[data-testid="equations"] .eq:first-of-type .eq-block')]
             .filter((n) => n.scrollWidth > n.clientWidth + 1).length"""
    )
    assert clipped == 0, "the current equation fits its panel's width"
    eq_box = page.get_by_test_id("equations").bounding_box()
    diagram_box = page.get_by_test_id("diagram").bounding_box()
    assert eq_box is not None and diagram_box is not None
    assert eq_box["x"] >= diagram_box["x"] + diagram_box["width"] - 1, "beside the diagram"
    shot(page, f"projector-{width}x{height}.png")

    _press(lab, "b", 2)  # the keys still drive it: backward to layer 1, gradients in the diagram
    expect(page.get_by_test_id("diagram-mode")).to_contain_text("gradients")
    _readable_and_apart(lab, minimum)
    assert _inside_viewport(lab, "[data-testid='equations'] .eq")
    shot(page, f"projector-{width}x{height}-backward.png")


_LESSONS = [
    "notes-three-layer-network",
    "learning-rate-too-high",
    "softmax-cross-entropy-vs-squared-error",
    "zero-init-symmetry",
]


@pytest.mark.parametrize("lesson", _LESSONS)
def test_every_lesson_fits_a_small_projector(lab: Lab, lesson: str) -> None:
    """1280x720, the most crowded projector: the notes' four columns, eight units in a column, three
    outputs. Through the whole forward and backward pass nothing overlaps and nothing is small."""
    page = lab.page
    sized(page, 1280, 720)
    lab.open(f"?lesson={lesson}&projector=1")
    L = len(lab.api("GET", f"/networks/{lab.network_id}")["config"]["sizes"]) - 1
    for key in ["f"] * L + ["b"] * L:
        _press(lab, key, 1)
        _readable_and_apart(lab, 20)
        assert _inside_viewport(lab, "[data-testid='equations'] .eq")
    shot(page, f"projector-1280x720-{lesson}.png")


def test_wide_layers_in_projector_mode_are_readable(lab: Lab) -> None:
    """Eight layers of 16 units: the layer view, with its labels in room type, grows instead of clipping."""
    page = lab.page
    sized(page, 1280, 720)
    lab.open("?lesson=vanishing-gradients&projector=1")
    expect(page.get_by_test_id("layerview")).to_be_visible()
    assert smallest_text(page, "[data-testid='layerview']")["px"] >= 20
    assert text_overlaps(page, "[data-testid='layerview'] .lv-layer:first-child") == []
    assert page.evaluate(_CONTROLS) == ["projector-link"]
    L = len(lab.api("GET", f"/networks/{lab.network_id}")["config"]["sizes"]) - 1
    for _ in range(L):  # every layer in turn: the card scrolls to it
        _press(lab, "f", 1)
        assert _lit_layer_in_view(lab), f"stage {lab.stage}: the lit layer is inside its card, on screen"
    shot(page, "projector-1280x720-vanishing-gradients.png")


_LIT_IN_CARD = """(() => { const lit = document.querySelector('[data-testid="layerview"] .lv-layer.lit');
  const card = lit.closest('.card').getBoundingClientRect(); const r = lit.getBoundingClientRect();
  return r.top >= card.top - 0.5 && r.bottom <= card.bottom + 0.5 && card.bottom <= innerHeight + 0.5; })()"""


def _lit_layer_in_view(lab: Lab) -> bool:
    """The lit layer's panel of the layer view, whole, inside its card and the screen (once it has
    scrolled there: a frame after the step)."""
    try:
        lab.page.wait_for_function(_LIT_IN_CARD, timeout=3000)
    except PlaywrightTimeout:
        return False
    return True


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_the_digits_layer_view_keeps_the_current_layer_beside_its_equation(lab: Lab, width: int, height: int) -> None:
    """The notes' 8x8 digits into 10 classes: the layer view is taller than a projector's first
    screen, so its card scrolls itself to the lit layer at every step, forward and backward, and the
    current equation stays on screen beside it."""
    page = lab.page
    sized(page, width, height)
    lab.open("?ds=digits&sizes=64,32,10&act=tanh&seed=0&projector=1")
    expect(page.get_by_test_id("layerview")).to_be_visible()
    if height < 800:
        assert page.evaluate("document.querySelector('#diagram-card').scrollHeight > innerHeight"), "too tall"
    for key in "ffbb":
        _press(lab, key, 1)
        assert _lit_layer_in_view(lab), f"{key} to stage {lab.stage}"
        assert _inside_viewport(lab, "[data-testid='equations'] .eq")
        assert page.evaluate("document.querySelector('.layout').scrollTop") == 0, "the page itself stays put"
        shot(page, f"projector-{width}x{height}-digits-stage-{lab.stage}.png")
    assert page.evaluate("document.querySelector('#diagram-card').tabIndex") == 0, "the keyboard reaches the scroll"
    # While training plays the stage stays put: the card is not measured again for every frame
    runs = "(window.__lab.sched.costs['extras-lit-in-view'] || { n: 0 }).n"
    before = page.evaluate(runs)
    frames = int(page.evaluate("window.__perf.live ? window.__perf.live.frames : 0"))
    page.keyboard.press(" ")
    page.wait_for_function(f"window.__perf.live && window.__perf.live.frames >= {frames + 10}", timeout=30_000)
    page.keyboard.press(" ")
    expect(page.get_by_test_id("btn-play")).to_have_attribute("aria-pressed", "false")
    assert page.evaluate(runs) - before <= 2, "at Play (a new stage) and once the views are drawn in full"
    assert _lit_layer_in_view(lab)


_DIVERGING = "?ds=plane&sizes=2,8,8,1&act=linear,linear&out=linear&loss=squared_error&eta=5&bs=4&projector=1"


def _train_until_diverged(lab: Lab) -> None:
    page = lab.page
    banner = page.get_by_test_id("banner")
    for epoch in range(1, 7):
        page.keyboard.press("e")
        page.wait_for_function(
            """(epoch) => !document.querySelector('[data-testid="banner"]').hidden
                 || document.querySelector('[data-testid="status"]').textContent.includes(`epoch ${epoch}`)""",
            arg=epoch,
        )
        if banner.is_visible():
            return
    expect(banner).to_be_visible()


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_projector_keeps_its_numbers_after_a_divergence(lab: Lab, width: int, height: int) -> None:
    """The divergence banners take height from the diagram: its units still carry their numbers, in
    room type, and the trace the room then steps is the diverged network's, not the one before it."""
    page = lab.page
    sized(page, width, height)
    lab.open(_DIVERGING)
    lab.wait_trace()  # the network is built: the keys train it
    _train_until_diverged(lab)
    expect(page.get_by_test_id("diverged-message")).to_contain_text("non-finite")
    minimum = 24 if width >= 1600 else 20
    expect(page.get_by_test_id("btn-forward")).to_be_enabled()  # hidden here, but it says when F steps
    _press(lab, "f", 1)
    numbers = page.evaluate(
        """[...document.querySelectorAll('[data-testid="diagram"] svg text.neuron-text')]
             .filter((t) => t.getBBox().width > 0).map((t) => t.textContent)"""
    )
    assert len(numbers) >= 2 + 2 * 8, f"the inputs and layer 1 show their values: {numbers}"
    x = lab.trace()["h"][0][0]
    assert page.get_by_test_id("dg-h-0-0").get_attribute("data-value") == str(x[0])
    # both banners are up (the gradient alert comes with the diagnostics, after the step) and the
    # diagram, redrawn 80 ms after its box shrank, is drawn at its new size
    expect(page.get_by_test_id("gradient-alert")).to_be_visible()
    page.wait_for_function(
        """() => { const svg = document.querySelector('[data-testid="diagram"] svg');
                   const box = svg.getBoundingClientRect(); const view = svg.viewBox.baseVal;
                   return Math.abs(view.width - box.width) < 1 && Math.abs(view.height - box.height) < 1; }"""
    )
    smallest = smallest_text(page, "[data-testid='diagram'] svg")
    assert smallest["px"] >= minimum, smallest
    assert diagram_overlaps(page) == {"texts": [], "shapes": [], "outside": []}
    # W_1 is NaN after the blow-up, so a_1 is too: the equation shows the diverged network's numbers
    expect(page.get_by_test_id("equations").get_by_test_id("eq-result").first).to_contain_text("NaN")
    shot(page, f"projector-{width}x{height}-diverged.png")
