"""Keeping and sharing in class: a wrong file gets a plain sentence (not the validator's list), the
copied link says that it does not carry trained weights, and blobs' number of classes is a field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .support import Lab

pytestmark = pytest.mark.e2e


def _export(lab: Lab) -> dict:
    return dict(lab.api("GET", f"/networks/{lab.network_id}/export"))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: d["W"].__setitem__(0, [[1.0, 2.0, 3.0]]), "W_1 has 1 row, but it needs 3"),
        (lambda d: d["b"][1].append(0.5), "b_2 has 3 numbers, but layer 2 has 2 units"),
        (lambda d: d.pop("format"), "not a network exported by Backprop Lab"),
        (lambda d: d["W"][1][0].__setitem__(0, "x"), 'W_2[0][0] is "x", not a finite number'),
    ],
    ids=["W rows", "b length", "not an export", "not a number"],
)
def test_a_wrong_file_is_explained_in_plain_words(lab: Lab, tmp_path: Path, change, says: str) -> None:  # type: ignore[no-untyped-def]
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=1")
    page = lab.page
    doc = _export(lab)
    change(doc)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    before = lab.network_id
    page.get_by_test_id("f-import").set_input_files(str(path))
    error = page.get_by_test_id("error-share")
    expect(error).to_be_visible()
    expect(error).to_contain_text(says)
    for jargon in ("Field required", "invalid request", "loc", "Input should be"):
        expect(error).not_to_contain_text(jargon)
    assert lab.network_id == before, "nothing changed"


def test_the_copied_link_says_it_does_not_carry_trained_weights(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=1")
    page = lab.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_test_id("btn-copy-link").click()
    note = page.get_by_test_id("share-note")
    expect(note).to_contain_text("same first weights")
    expect(note).not_to_contain_text("trained weights")
    page.keyboard.press("e")
    expect(page.get_by_test_id("status")).to_contain_text("epoch 1")
    page.get_by_test_id("btn-copy-link").click()
    expect(note).to_contain_text("does not carry the trained weights")
    expect(note).to_contain_text("Export JSON")


def test_blobs_number_of_classes_is_a_field_of_the_builder(lab: Lab) -> None:
    lab.open("?ds=xor&sizes=2,3,2&act=tanh&seed=1")
    page = lab.page
    expect(page.get_by_test_id("f-k-label")).to_be_hidden()
    page.get_by_test_id("f-dataset").select_option("blobs")
    classes = page.get_by_test_id("f-k")
    expect(classes).to_be_visible()
    expect(classes).to_have_value("3")
    built_before = lab.network_id
    classes.fill("5")
    classes.press("Enter")
    page.wait_for_function("new URLSearchParams(location.search).get('k') === '5'")
    # the URL changes first; the rebuilt network (and its id) follows, and the old one is deleted
    page.wait_for_function(f"(document.body.dataset.networkId || '{built_before}') !== '{built_before}'")
    lab.wait_trace()
    net = lab.api("GET", f"/networks/{lab.network_id}")
    assert net["dataset"]["n_classes"] == 5
    assert net["config"]["sizes"][-1] == 5
    expect(page.get_by_test_id("f-sizes")).to_have_value("2, 3, 5")
    classes.fill("11")  # outside 2..10: refused, the field goes back
    classes.press("Enter")
    expect(classes).to_have_value("5")
