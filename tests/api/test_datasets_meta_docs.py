"""Datasets, meta, settings, the page routes and the OpenAPI docs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.settings import Settings
from ffnn_core import ACTIVATIONS, VALID_PAIRS
from ffnn_core.datasets import DATASETS, make_dataset
from tests.api.conftest import API, TestClient, assert_error


def test_list_datasets_with_metadata(client: TestClient) -> None:
    datasets = client.get(f"{API}/datasets").json()
    assert [d["name"] for d in datasets] == list(DATASETS)
    xor = datasets[0]
    assert (
        xor["task"] == "classification"
        and xor["n_inputs"] == 2
        and xor["class_names"] == ["same sign", "opposite sign"]
    )
    assert {d["name"]: d["synthetic"] for d in datasets}["iris"] is False


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("xor", {}),
        ("spiral", {"seed": 3, "n": 50, "noise": 0.2, "test_fraction": 0.5, "standardize": "true"}),
        ("blobs", {"n_classes": 5, "n": 30}),
        ("sine", {"test_fraction": 0}),
        ("iris", {"seed": 1}),
    ],
)
def test_fetch_a_dataset_as_points(client: TestClient, name: str, params: dict[str, Any]) -> None:
    response = client.get(f"{API}/datasets/{name}", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    kwargs = {
        "seed": int(params.get("seed", 0)),
        "n": int(params["n"]) if "n" in params else None,
        "noise": float(params["noise"]) if "noise" in params else None,
        "test_fraction": float(params.get("test_fraction", 0.25)),
        "standardize": params.get("standardize") == "true",
        "n_classes": int(params["n_classes"]) if "n_classes" in params else None,
    }
    data = make_dataset(name, **kwargs)  # type: ignore[arg-type]
    assert body["spec"] == {"name": name, **kwargs}
    assert np.array_equal(np.array(body["X_train"]).reshape(data.X_train.shape), data.X_train)
    assert np.array_equal(np.array(body["y_test"]).reshape(data.y_test.shape), data.y_test)
    assert body["info"]["name"] == name


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("/datasets/mnist", 404, "allowed: xor"),
        ("/datasets/iris?n=50", 422, "n does not apply"),
        ("/datasets/xor?n=1", 422, "n"),
        ("/datasets/xor?n=9000", 422, "n"),
        ("/datasets/xor?noise=-1", 422, "noise"),
        ("/datasets/xor?noise=nan", 422, "noise"),
        ("/datasets/xor?seed=abc", 422, "seed"),
        ("/datasets/xor?test_fraction=1", 422, "test_fraction"),
        ("/datasets/xor?n_classes=3", 422, "n_classes"),
        ("/datasets/xor?colour=red", 422, "colour"),
    ],
)
def test_dataset_errors(client: TestClient, path: str, status: int, fragment: str) -> None:
    assert_error(client.get(API + path), status, fragment)


def test_meta_has_what_the_page_needs(client: TestClient, settings: Settings) -> None:
    meta = client.get(f"{API}/meta").json()
    assert meta["activations"] == list(ACTIVATIONS)
    assert meta["valid_pairs"] == [list(p) for p in VALID_PAIRS]
    assert meta["optimizers"] == ["sgd", "momentum", "rmsprop", "adam"]
    assert meta["datasets"] == list(DATASETS)
    assert meta["limits"]["max_width"] == settings.max_width == 16
    assert meta["limits"]["max_batch"] == 64 and meta["limits"]["max_epochs"] == 50
    assert meta["formulas"]["activations"]["tanh"] == {"formula": "tanh(a)", "derivative": "1 - g(a)^2"}


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPROP_MAX_WIDTH", "32")
    monkeypatch.setenv("BACKPROP_TTL_SECONDS", "12.5")
    monkeypatch.setenv("BACKPROP_PORT", "9001")
    settings = Settings()
    assert (settings.max_width, settings.ttl_seconds, settings.port) == (32, 12.5, 9001)
    monkeypatch.setenv("BACKPROP_MAX_WIDTH", "wide")
    with pytest.raises(ValueError, match="max_width"):
        Settings()


def test_page_and_plotly_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    plotly = client.get("/static/vendor/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    assert b"Plotly" in plotly.content[:5000] or b"plotly" in plotly.content[:5000]


def test_docs_carry_an_example_for_every_operation(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) >= 17
    for path, method, op in operations:
        if not path.startswith(API) or path.startswith(f"{API}/lessons"):
            continue
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        success = next(r for code, r in op["responses"].items() if code.startswith("2"))
        examples = [c.get("example") or c.get("examples") for c in success.get("content", {}).values()]
        params = [p for p in op.get("parameters", []) if p.get("example") or p.get("examples")]
        params += [p for p in op.get("parameters", []) if p["schema"].get("examples")]
        has_example = bool(body.get("examples") or body.get("example") or any(examples) or params)
        assert has_example, f"{method.upper()} {path} has no example"
        if "network_id" in path:
            assert "404" in op["responses"], f"{method.upper()} {path} does not document 404"
        if "requestBody" in op:
            assert {"413", "422"} <= set(op["responses"]), f"{method.upper()} {path}"


def test_schema_descriptions_document_the_orderings(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    backward = schemas["BackwardResult"]["properties"]
    assert "k-1 holds layer k" in backward["grad_W"]["description"]
    assert "grad_h_k (k = 0..L-1)" in backward["grad_h"]["description"]
    assert "h_0 = x" in backward["h"]["description"]
