"""Lessons through the API: every lesson's networks build, train and trace, and every claim an
explanation makes holds for the numbers the server gives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.lessons import LESSONS
from app.main import create_app
from app.settings import Settings

API = "/api/v1"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as test_client:
        yield test_client


def lesson(client: TestClient, lesson_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/lessons/{lesson_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def setups(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The lesson's own network under "main", then the ones it compares with, by id."""
    main = {"id": "main", "label": body["label"], "network": body["network"], "training": body["training"]}
    return {"main": main, **{s["id"]: s for s in body["compare"]}}


def create(client: TestClient, setup: dict[str, Any]) -> str:
    response = client.post(f"{API}/networks", json=setup["network"])
    assert response.status_code == 201, response.text
    network_id: str = response.json()["id"]
    return network_id


def train(client: TestClient, network_id: str, setup: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}/networks/{network_id}/train", json=setup["training"])
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def backward(client: TestClient, network_id: str, example: dict[str, Any]) -> dict[str, Any]:
    body = (
        {"rows": example["rows"], "split": example["split"]}
        if example["rows"] is not None
        else {"x": example["x"], "y": example["y"]}
    )
    response = client.post(f"{API}/networks/{network_id}/backward", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def get_network(client: TestClient, network_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/networks/{network_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def rms_norms(grad_a: list[list[list[float]]]) -> np.ndarray:
    """RMS over the examples of ||grad_a_k||, for k = 1..L."""
    return np.array([np.sqrt((np.asarray(g) ** 2).sum(axis=1).mean()) for g in grad_a])


def all_equal(a: np.ndarray, axis: int) -> bool:
    """Every slice of ``a`` along ``axis`` equals the first (rows of W_1, entries of b_1, columns of W_2)."""
    return bool((a == a.take([0], axis=axis)).all())


# --- the list and the lessons themselves ----------------------------------------------------------


def test_list_has_every_lesson_with_a_link(client: TestClient) -> None:
    response = client.get(f"{API}/lessons")
    assert response.status_code == 200
    items = response.json()
    assert [item["id"] for item in items] == list(LESSONS)
    for item in items:
        assert set(item) == {"id", "title", "summary", "link"}
        assert item["link"] == f"/?lesson={item['id']}"
        assert item["title"] and item["summary"]


def test_unknown_lesson_is_404_with_the_list(client: TestClient) -> None:
    response = client.get(f"{API}/lessons/no-such-lesson")
    assert response.status_code == 404
    assert "xor-hidden-layer" in response.json()["detail"]


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_every_network_builds_trains_and_traces(client: TestClient, lesson_id: str) -> None:
    body = lesson(client, lesson_id)
    assert body["explanation"] and body["look_at"]
    assert body["seed"] == body["network"]["seed"]
    assert body["dataset"] == body["network"]["dataset"]
    for setup in setups(body).values():
        network_id = create(client, setup)
        if setup["training"] is not None:
            result = train(client, network_id, setup)
            assert result["history"], "training ran no epoch"
        if body["example"] is not None:
            trace = backward(client, network_id, body["example"])
            assert len(trace["grad_W"]) == len(setup["network"]["sizes"]) - 1


# --- the claims -----------------------------------------------------------------------------------


def test_xor_needs_a_hidden_layer(client: TestClient) -> None:
    s = setups(lesson(client, "xor-hidden-layer"))
    hidden = train(client, create(client, s["main"]), s["main"])
    linear = train(client, create(client, s["no-hidden-layer"]), s["no-hidden-layer"])
    assert hidden["history"][-1]["train_accuracy"] == 1.0
    assert max(record["train_accuracy"] for record in linear["history"]) < 0.8


def test_eight_sigmoid_layers_make_grad_a_vanish(client: TestClient) -> None:
    body = lesson(client, "vanishing-gradients")
    ratios = {}
    for name, setup in setups(body).items():
        assert setup["network"]["sizes"][1:-1] == [16] * 8
        norms = rms_norms(backward(client, create(client, setup), body["example"])["grad_a"])
        ratios[name] = norms[7] / norms[0]  # grad_a_8 / grad_a_1
    assert ratios["main"] > 1e3, ratios  # sigmoid: orders of magnitude
    assert 0.1 < ratios["tanh"] < 10, ratios
    assert 0.1 < ratios["relu"] < 10, ratios


def test_zero_initialisation_keeps_hidden_units_identical(client: TestClient) -> None:
    s = setups(lesson(client, "zero-init-symmetry"))
    for name in ("main", "xavier"):
        network_id = create(client, s[name])
        train(client, network_id, s[name])
        net = get_network(client, network_id)
        W_1, b_1, W_2 = np.asarray(net["W"][0]), np.asarray(net["b"][0]), np.asarray(net["W"][1])
        identical = all_equal(W_1, axis=0) and all_equal(b_1, axis=0) and all_equal(W_2, axis=1)
        if name == "main":
            assert identical, "hidden units of the zero-initialised network differ"
            assert np.abs(W_1).max() > 0.1, "the zero-initialised network did not learn at all"
        else:
            assert not identical


def test_too_high_a_learning_rate_diverges(client: TestClient) -> None:
    s = setups(lesson(client, "learning-rate-too-high"))
    assert s["main"]["network"] == s["eta-0.05"]["network"]
    high = train(client, create(client, s["main"]), s["main"])
    assert high["diverged"] is not None and "non-finite" in high["diverged"]["message"]
    low = train(client, create(client, s["eta-0.05"]), s["eta-0.05"])
    assert low["diverged"] is None
    assert low["history"][-1]["train_loss"] < low["history"][0]["train_loss"]


def test_softmax_gradients_follow_the_formulas(client: TestClient) -> None:
    body = lesson(client, "softmax-cross-entropy-vs-squared-error")
    s = setups(body)
    assert s["main"]["network"]["loss"] == "cross_entropy"
    assert s["squared-error"]["network"]["loss"] == "squared_error"
    ce = backward(client, create(client, s["main"]), body["example"])
    se = backward(client, create(client, s["squared-error"]), body["example"])
    y_hat, e_y = np.asarray(ce["y_hat"]), np.asarray(ce["y"])
    assert np.array_equal(y_hat, np.asarray(se["y_hat"]))  # same network, same example
    assert y_hat[0, body["example"]["y"][0]] < 0.01  # confidently wrong
    grad_ce, grad_se = np.asarray(ce["grad_a"][-1]), np.asarray(se["grad_a"][-1])
    # cross-entropy: grad_a_L = -(e(y) - y_hat)
    np.testing.assert_allclose(grad_ce, -(e_y - y_hat), rtol=0, atol=1e-15)
    # squared error: grad_a_L = J_softmax^T grad_y_hat, J = diag(y_hat) - y_hat y_hat^T, grad_y_hat = 2 (y_hat - e(y))
    g = 2.0 * (y_hat - e_y)
    expected = y_hat * (g - (y_hat * g).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(grad_se, expected, rtol=1e-12, atol=1e-15)
    assert np.linalg.norm(grad_ce) > 10 * np.linalg.norm(grad_se)


def test_notes_network_has_the_notes_shapes(client: TestClient) -> None:
    body = lesson(client, "notes-three-layer-network")
    n_inputs, n, k = 3, 3, 2
    network_id = create(client, setups(body)["main"])
    net = get_network(client, network_id)
    assert [np.asarray(W).shape for W in net["W"]] == [(n, n_inputs), (n, n), (k, n)]
    assert [len(b) for b in net["b"]] == [n, n, k]
    assert net["config"]["activations"] == ["sigmoid", "sigmoid"]
    assert (net["config"]["output"], net["config"]["loss"]) == ("softmax", "cross_entropy")
    trace = backward(client, network_id, body["example"])
    assert [np.asarray(g).shape for g in trace["grad_W"]] == [(n, n_inputs), (n, n), (k, n)]
    y_hat = np.asarray(trace["y_hat"])
    np.testing.assert_allclose(np.asarray(trace["grad_a"][-1]), y_hat - np.asarray(trace["y"]), atol=1e-15)
