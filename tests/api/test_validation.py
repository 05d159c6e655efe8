"""Every class of bad input gets a clear 4xx (``detail`` says what is wrong and what is allowed),
and no invalid request changes any state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ffnn_core import ACTIVATIONS, INITIALIZERS, LOSSES, OPTIMIZERS, OUTPUTS
from ffnn_core.datasets import DATASETS
from tests.api.conftest import API, CreateNetwork, TestClient, assert_error

JSON = {"content-type": "application/json"}


# --- creating networks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ({"sizes": [2, False]}, ["sizes[1]", "valid integer"]),
        ({"sizes": [2, "3"]}, ["sizes[1]", "valid integer"]),
        ({"sizes": [2, 3.0]}, ["sizes[1]", "valid integer"]),
        ({"sizes": [2, 2], "init_scale": False}, ["init_scale", "valid number"]),
        ({"sizes": [2, 2], "init_scale": "1"}, ["init_scale", "valid number"]),
        ({"sizes": [2, 2], "seed": True}, ["seed", "valid integer"]),
        ({"sizes": [2, 2], "dataset": {"name": "xor", "standardize": 1}}, ["dataset.standardize", "boolean"]),
        ({"sizes": [2]}, ["sizes", "at least 2"]),
        ({"sizes": [2, 0]}, ["sizes[1]", "greater than or equal to 1"]),
        ({"sizes": [2, 2], "seed": -1}, ["seed", "greater than or equal to 0"]),
        ({"sizes": [2, 2], "init_scale": -1.0}, ["init_scale"]),
        ({"sizes": [2, 2], "colour": "red"}, ["colour", "unknown field"]),
        ({}, ["sizes", "field required"]),
    ],
)
def test_create_rejects_wrong_types_and_values(client: TestClient, body: dict[str, Any], fragments: list[str]) -> None:
    response = client.post(f"{API}/networks", json=body)
    assert_error(response, 422, *fragments)
    errors = response.json()["errors"]
    assert errors and all({"type", "loc", "msg"} <= set(e) for e in errors)


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("activation", "softplus", ACTIVATIONS),
        ("activation", ["softplus"], ACTIVATIONS),
        ("output", "tanh", OUTPUTS),
        ("loss", "hinge", LOSSES),
        ("init", "orthogonal", INITIALIZERS),
    ],
)
def test_unknown_names_list_the_allowed_ones(client: TestClient, field: str, value: Any, allowed: Any) -> None:
    body = {"sizes": [2, 3, 2], field: value}
    detail = assert_error(client.post(f"{API}/networks", json=body), 422, field)
    for name in allowed:
        assert f"'{name}'" in detail


def test_unknown_dataset_and_optimizer_list_the_allowed_ones(client: TestClient, create_network: CreateNetwork) -> None:
    detail = assert_error(client.post(f"{API}/networks", json={"sizes": [2, 2], "dataset": {"name": "mnist"}}), 422)
    assert all(f"'{name}'" in detail for name in DATASETS)
    net = create_network()
    body = {"x": [1.0, 2.0], "y": [0], "optimizer": {"name": "lbfgs"}}
    detail = assert_error(client.post(f"{API}/networks/{net['id']}/step", json=body), 422, "optimizer.name")
    assert all(f"'{name}'" in detail for name in OPTIMIZERS)


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ({"sizes": [2, 3, 2], "output": "linear", "loss": "cross_entropy"}, ["valid pairs", "linear + squared_error"]),
        ({"sizes": [2, 3, 2], "activation": ["tanh", "relu"]}, ["1 hidden layer", "got a list of 2"]),
        ({"sizes": [2, 2, 2, 2, 2, 2]}, ["max_layers = 4"]),
        ({"sizes": [2, 17, 2]}, ["sizes[1]", "max_width = 16"]),
        ({"sizes": [16, 16, 16, 16]}, ["max_parameters = 600"]),
        ({"sizes": [3, 4, 2], "dataset": {"name": "xor"}}, ["'xor' has 2 input", "not 3"]),
        ({"sizes": [2, 4, 3], "dataset": {"name": "xor"}}, ["2 classes", "2 or 1", "not 3"]),
        ({"sizes": [2, 4, 2], "dataset": {"name": "blobs", "n_classes": 4}}, ["4 classes"]),
        ({"sizes": [1, 4, 1], "output": "sigmoid", "dataset": {"name": "sine"}}, ["regression", "squared_error"]),
        ({"sizes": [1, 4, 1], "dataset": {"name": "sine"}}, ["softmax", "n_L >= 2"]),
        ({"sizes": [4, 4, 3], "dataset": {"name": "iris", "n": 100}}, ["n does not apply", "iris"]),
        ({"sizes": [2, 4, 2], "dataset": {"name": "xor", "n": 2}}, ["dataset.n", "greater than or equal to 4"]),
        ({"sizes": [2, 4, 2], "dataset": {"name": "xor", "test_fraction": 0.95}}, ["test_fraction"]),
    ],
)
def test_create_rejects_configs_that_do_not_fit(client: TestClient, body: dict[str, Any], fragments: list[str]) -> None:
    assert_error(client.post(f"{API}/networks", json=body), 422, *fragments)


# --- the request body itself -------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{"content-type": "text/plain"}, {}], ids=["text/plain", "none"])
def test_a_body_not_marked_as_json_is_415(client: TestClient, headers: dict[str, str]) -> None:
    # a cross-site form can send text/plain or form bodies, never application/json
    response = client.post(f"{API}/networks", content=b'{"sizes": [2, 3]}', headers=headers)
    assert_error(response, 415, "must be sent with Content-Type: application/json")


@pytest.mark.parametrize(
    ("raw", "headers", "fragments"),
    [
        (b'{"sizes": [2, 3', JSON, ["not valid JSON"]),
        (b"{'sizes': [2, 3]}", JSON, ["not valid JSON"]),
        (b"", JSON, ["body is required"]),
        (b"[2, 3]", JSON, ["JSON object"]),
        (b'{"sizes": [2, NaN]}', JSON, ["sizes[1]"]),
        (b'{"sizes": [2, 2], "init_scale": NaN}', JSON, ["init_scale", "finite"]),
        (b'{"sizes": [2, 2], "init_scale": Infinity}', JSON, ["init_scale", "finite"]),
        (b'{"sizes": [2, 2], "init_scale": 1e400}', JSON, ["init_scale", "finite"]),
    ],
)
def test_create_rejects_malformed_bodies(
    client: TestClient, raw: bytes, headers: dict[str, str], fragments: list[str]
) -> None:
    assert_error(client.post(f"{API}/networks", content=raw, headers=headers), 422, *fragments)


def test_a_body_that_is_not_utf8_is_400(client: TestClient) -> None:
    response = client.post(f"{API}/networks", content=b'{"sizes": [2, "\xff"]}', headers=JSON)
    assert response.status_code in (400, 422)
    assert isinstance(response.json()["detail"], str)


def test_too_large_a_body_is_413(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network()
    big = {"x": [[0.5, 0.5]] * 10_000, "y": [0] * 10_000}  # about 200 kB > 64 kB
    response = client.post(f"{API}/networks/{net['id']}/backward", json=big)
    assert_error(response, 413, "max_body_bytes", "65536")


def test_too_large_a_streamed_body_is_413(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network()

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"x": ['
        for _ in range(10_000):
            yield b"[0.5, 0.5],"
        yield b"[0.5, 0.5]]}"

    response = client.post(f"{API}/networks/{net['id']}/forward", content=chunks(), headers=JSON)
    assert_error(response, 413, "max_body_bytes")


def test_a_bad_content_length_is_400(client: TestClient) -> None:
    response = client.post(f"{API}/networks", content=b"{}", headers={**JSON, "content-length": "abc"})
    assert response.status_code == 400


# --- examples and targets ---------------------------------------------------------------------


def _network_with_data(create_network: CreateNetwork) -> dict[str, Any]:
    return create_network(dataset={"name": "xor", "n": 20, "test_fraction": 0.25})


@pytest.mark.parametrize("operation", ["forward", "backward", "step", "gradcheck"])
@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ({"x": [[1.0, 2.0, 3.0]], "y": [0]}, ["x[0] has 3 number(s)", "n_0 = 2"]),
        ({"x": [1.0], "y": [0]}, ["x[0] has 1 number(s)", "n_0 = 2"]),
        ({"x": [[1.0, 2.0], [1.0]], "y": [0, 1]}, ["x[1] has 1"]),
        ({"x": [], "y": []}, ["at least one example"]),
        ({"x": [[1.0, False]], "y": [0]}, ["x[0][1]", "valid number"]),
        ({"x": [["1", 2.0]], "y": [0]}, ["x[0][0]", "valid number"]),
        ({"x": [[1.0, 2.0]] * 65, "y": [0] * 65}, ["max_batch = 64"]),
        ({"rows": [0, 99], "split": "train"}, ["rows[1] = 99 is out of range", "15 row(s)"]),
        ({"rows": [5], "split": "test"}, ["out of range", "test split has 5"]),
        ({"rows": [0], "split": "validation"}, ["split", "'train' or 'test'"]),
        ({"rows": [-1]}, ["rows[0]", "greater than or equal to 0"]),
        ({"x": [[1.0, 2.0]], "rows": [0]}, ["either x or rows"]),
        ({}, ["either x or rows"]),
    ],
)
def test_bad_examples(
    client: TestClient, create_network: CreateNetwork, operation: str, body: dict[str, Any], fragments: list[str]
) -> None:
    net = _network_with_data(create_network)
    if operation == "forward":
        body = {k: v for k, v in body.items() if k != "y"}
    assert_error(client.post(f"{API}/networks/{net['id']}/{operation}", json=body), 422, *fragments)
    assert client.get(f"{API}/networks/{net['id']}").json() == net


@pytest.mark.parametrize("operation", ["backward", "step", "gradcheck"])
@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ({"x": [[1.0, 2.0]], "y": [2]}, ["class label 2 is out of range", "0..1"]),
        ({"x": [[1.0, 2.0]], "y": [-1]}, ["out of range"]),
        ({"x": [[1.0, 2.0]], "y": [0, 1]}, ["y has 2 target(s) but x has 1"]),
        ({"x": [[1.0, 2.0]], "y": [[0.5, 0.5, 0.0]]}, ["y[0] has 3", "n_L = 2"]),
        ({"x": [[1.0, 2.0]], "y": [[1.5, -0.5]]}, ["[0, 1]"]),
        ({"x": [[1.0, 2.0]], "y": [0.5]}, ["y"]),
        ({"x": [[1.0, 2.0]], "y": [True]}, ["y"]),
        ({"x": [[1.0, 2.0]]}, ["y is required"]),
        ({"rows": [0], "y": [1]}, ["y must not be given with rows"]),
    ],
)
def test_bad_targets(
    client: TestClient, create_network: CreateNetwork, operation: str, body: dict[str, Any], fragments: list[str]
) -> None:
    net = _network_with_data(create_network)
    assert_error(client.post(f"{API}/networks/{net['id']}/{operation}", json=body), 422, *fragments)
    assert client.get(f"{API}/networks/{net['id']}").json() == net


def test_rows_need_an_attached_dataset(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network()
    assert_error(client.post(f"{API}/networks/{net['id']}/forward", json={"rows": [0]}), 422, "no dataset attached")


@pytest.mark.parametrize(
    ("optimizer", "fragment"),
    [
        ({"eta": -0.1}, "optimizer.eta"),
        ({"eta": False}, "optimizer.eta"),
        ({"name": "momentum", "beta": 1.0}, "optimizer.beta"),
        ({"name": "adam", "beta2": 1.5}, "optimizer.beta2"),
        ({"eps": -1e-8}, "optimizer.eps"),
        ({"l2": -1.0}, "optimizer.l2"),
        ({"momentum": 0.9}, "unknown field"),
    ],
)
def test_bad_optimizers(
    client: TestClient, create_network: CreateNetwork, optimizer: dict[str, Any], fragment: str
) -> None:
    net = create_network()
    body = {"x": [1.0, 2.0], "y": [1], "optimizer": optimizer}
    assert_error(client.post(f"{API}/networks/{net['id']}/step", json=body), 422, fragment)
    assert client.get(f"{API}/networks/{net['id']}").json() == net


def test_nan_in_examples_is_rejected(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network()
    for raw in (b'{"x": [[NaN, 1.0]], "y": [0]}', b'{"x": [1.0, -Infinity], "y": [0]}', b'{"x": [1e999, 1], "y": [0]}'):
        response = client.post(f"{API}/networks/{net['id']}/step", content=raw, headers=JSON)
        assert_error(response, 422, "finite")
    assert client.get(f"{API}/networks/{net['id']}").json() == net


@pytest.mark.parametrize("operation", ["forward", "backward", "step", "gradcheck", "train"])
def test_malformed_json_on_every_body_route(client: TestClient, create_network: CreateNetwork, operation: str) -> None:
    net = create_network()
    url = f"{API}/networks/{net['id']}/{operation}"
    assert_error(client.post(url, content=b'{"x": [1, 2', headers=JSON), 422, "not valid JSON")
    assert_error(client.post(url, content=b'{"x": [1, 2]}', headers={"content-type": "text/csv"}), 415, "JSON")
    assert_error(client.post(url, content=b"", headers=JSON), 422, "body is required")
    assert client.get(f"{API}/networks/{net['id']}").json() == net


def test_drop_g_prime_layer_must_be_hidden(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network()
    body = {"x": [1.0, 2.0], "y": [1], "drop_g_prime_layer": 2}
    assert_error(client.post(f"{API}/networks/{net['id']}/backward", json=body), 422, "hidden layer 1..1")
    shallow = create_network(sizes=[2, 2])
    body["drop_g_prime_layer"] = 1
    assert_error(client.post(f"{API}/networks/{shallow['id']}/backward", json=body), 422, "no hidden layer")
    del body["drop_g_prime_layer"]
    body["optimizer"] = {"eta": 0.1}
    body["drop_g_prime_layer"] = 1
    assert_error(client.post(f"{API}/networks/{net['id']}/step", json=body), 422, "unknown field")


def test_errors_never_leak_non_json(client: TestClient) -> None:
    response = client.request("PATCH", f"{API}/meta")
    assert_error(response, 405, "allowed: GET")
    assert response.headers["allow"] == "GET"
    assert_error(client.get(f"{API}/nothing-here"), 404)
