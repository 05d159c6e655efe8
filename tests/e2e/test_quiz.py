"""Predict, then reveal: a teacher's link (/?quiz=1&qseed=5) turns quiz mode on; before each
Forward or Backward step the student types one entry of the quantity about to be revealed, the
step runs, and the page says how close the answer was. The score is kept for the session and the
questions are the same for the same seed."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e

QUERY = "?ds=xor&sizes=2,3,2&act=tanh&seed=1&quiz=1&qseed=5"


def question(lab: Lab) -> dict[str, Any]:
    node = lab.page.get_by_test_id("quiz-question")
    expect(node).to_be_visible()
    index = [int(i) for i in (node.get_attribute("data-index") or "").split(",")]
    return {
        "quantity": node.get_attribute("data-quantity"),
        "k": int(node.get_attribute("data-layer") or 0),
        "index": index,
    }


def truth(q: dict[str, Any], trace: Any) -> float:
    k, index = q["k"], q["index"]
    if q["quantity"] == "a":
        return float(trace["a"][k - 1][0][index[0]])
    if q["quantity"] == "h":
        return float(trace["h"][k][0][index[0]])
    if q["quantity"] == "grad_a":
        return float(trace["grad_a"][k - 1][0][index[0]])
    if q["quantity"] == "grad_W":
        return float(trace["grad_W"][k - 1][index[0]][index[1]])
    return float(trace["grad_h"][k][0][index[0]])


def cell_id(q: dict[str, Any]) -> str:
    return f"{q['quantity']}-{q['k']}-" + "-".join(str(i) for i in q["index"])


def answer(lab: Lab, text: str) -> None:
    box = lab.page.get_by_test_id("quiz-input")
    expect(box).to_be_focused()
    box.fill(text)
    box.press("Enter")


def test_predict_then_reveal_with_a_score(lab: Lab) -> None:
    lab.open(QUERY)
    page = lab.page
    expect(page.get_by_test_id("quiz")).to_be_visible()
    expect(page.get_by_test_id("f-quiz")).to_be_checked()
    expect(page.get_by_test_id("quiz-idle")).to_be_visible()
    page.wait_for_function("new URLSearchParams(location.search).get('quiz') === '1'")
    assert "qseed=5" in page.url  # kept in the share link
    trace = lab.trace()

    # Forward: asked first, nothing revealed until the answer.
    page.keyboard.press("f")
    first = question(lab)
    assert first["k"] == 1 and first["quantity"] in ("a", "h")
    assert lab.stage == 0 and not lab.has_value(cell_id(first))
    lab.shot("quiz_question.png")
    value = truth(first, trace)
    answer(lab, repr(value * 1.02))
    lab.wait_stage(1)
    assert lab.value(cell_id(first)) == value  # now revealed
    verdict = page.get_by_test_id("quiz-verdict")
    expect(verdict).to_have_attribute("data-grade", "close")
    expect(verdict).to_contain_text("Very close")
    assert float(verdict.get_attribute("data-truth") or "nan") == value
    assert float(verdict.get_attribute("data-abs") or "nan") == pytest.approx(abs(0.02 * value), rel=1e-9)
    assert float(verdict.get_attribute("data-rel") or "nan") == pytest.approx(0.02, rel=1e-9)
    score = page.get_by_test_id("quiz-score")
    expect(score).to_have_attribute("data-asked", "1")
    expect(score).to_have_attribute("data-correct", "1")

    # The output layer: a wrong sign is told apart (and an unreadable answer is refused inline).
    page.keyboard.press("f")
    second = question(lab)
    assert second["k"] == 2
    answer(lab, "one half")
    expect(page.get_by_test_id("quiz-error")).to_contain_text("is not a number")
    assert lab.stage == 1
    value = truth(second, trace)
    answer(lab, repr(-value))
    lab.wait_stage(2)
    expect(page.get_by_test_id("quiz-verdict")).to_have_attribute("data-grade", "wrong")
    expect(page.get_by_test_id("quiz-verdict")).to_contain_text("Wrong sign")
    expect(score).to_have_attribute("data-asked", "2")
    expect(score).to_have_attribute("data-correct", "1")
    lab.shot("quiz.png")

    # Backward: a gradient entry of layer 2 (grad_a_2, grad_W_2 or grad_h_1), answered exactly.
    page.keyboard.press("b")
    third = question(lab)
    assert third["quantity"] in ("grad_a", "grad_W", "grad_h")
    assert third["k"] == (1 if third["quantity"] == "grad_h" else 2)
    expect(page.get_by_test_id("quiz-hint")).to_contain_text("\u2207")
    answer(lab, repr(truth(third, trace)))
    lab.wait_stage(3)
    expect(page.get_by_test_id("quiz-verdict")).to_have_attribute("data-grade", "exact")
    expect(score).to_have_attribute("data-asked", "3")
    expect(score).to_have_attribute("data-correct", "2")

    # Skip reveals without scoring.
    page.keyboard.press("b")
    question(lab)
    page.get_by_test_id("quiz-skip").click()
    lab.wait_stage(4)
    expect(page.get_by_test_id("quiz-verdict")).to_have_attribute("data-grade", "skipped")
    expect(score).to_have_attribute("data-asked", "3")

    # The score lasts for the session: a reload keeps it.
    page.reload()
    page.wait_for_function("document.body.dataset.ready === '1'")
    lab.wait_trace()
    expect(page.get_by_test_id("quiz-score")).to_have_attribute("data-asked", "3")

    # Same seed, same question number: the same question. "New score" starts the count again.
    page.get_by_test_id("quiz-reset").click()
    expect(page.get_by_test_id("quiz-score")).to_have_attribute("data-asked", "0")
    page.keyboard.press("f")
    assert question(lab) == first

    # Turning the quiz off drops it from the link; stepping reveals at once again.
    page.get_by_test_id("quiz-skip").click()
    lab.wait_stage(1)
    page.get_by_test_id("f-quiz").uncheck()
    expect(page.get_by_test_id("quiz")).to_be_hidden()
    page.wait_for_function("!new URLSearchParams(location.search).has('quiz')")
    page.get_by_test_id("btn-forward").click()
    lab.wait_stage(2)


def test_another_seed_asks_other_entries(lab: Lab) -> None:
    """The pick is seeded: over a forward-and-backward pass, seeds 5 and 6 ask different entries."""

    def asked(seed: int) -> list[dict[str, Any]]:
        lab.open(f"?ds=xor&sizes=2,4,4,2&act=tanh,tanh&seed=1&quiz=1&qseed={seed}")
        lab.page.get_by_test_id("quiz-reset").click()
        out = []
        for key in "fffbbb":
            lab.page.keyboard.press(key)
            out.append(question(lab))
            lab.page.get_by_test_id("quiz-skip").click()
            lab.wait_stage(len(out))
        return out

    five = asked(5)
    again = asked(5)
    six = asked(6)
    assert five == again
    assert five != six
    expect(lab.page.get_by_test_id("quiz-seed")).to_have_value("6")
