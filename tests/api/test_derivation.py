"""POST /derivation and /paths: the same numbers as backward, bounded, documented, and clear errors."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.api.conftest import API, CreateNetwork, TestClient, assert_error

X = [[0.5, -1.0], [1.0, 0.25]]
Y = [0, 1]


def post(client: TestClient, net: dict[str, Any], operation: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}/networks/{net['id']}/{operation}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_derivation_answers_the_backward_numbers(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 3, 3, 2], activation="tanh")
    trace = post(client, net, "backward", {"x": X, "y": Y})
    body = {"x": X, "y": Y, "quantity": "grad_W", "layer": 2, "index": [1, 2]}
    d = post(client, net, "derivation", body)
    assert d["rule"] == "mean" and d["example"] is None and d["diverged"] is None
    assert d["trace_value"] == trace["grad_W"][1][1][2]
    assert math.isclose(d["value"], d["trace_value"], rel_tol=1e-12)
    for n, t in enumerate(d["terms"]):  # grad_a_2[1] h_1[2] of each example
        grad_a, h = t["factors"]
        assert (grad_a["quantity"], grad_a["layer"], grad_a["index"], grad_a["example"]) == ("grad_a", 2, [1], n)
        assert grad_a["value"] == trace["grad_a"][1][n][1] and h["value"] == trace["h"][1][n][2]
    d = post(client, net, "derivation", {"x": X, "y": Y, "quantity": "grad_h", "layer": 1, "index": [0], "example": 1})
    assert d["formula"] == "grad_h_1[0] = sum_m grad_a_2[m] W_2[m,0]" and len(d["terms"]) == 3
    assert math.isclose(d["value"], trace["grad_h"][1][1][0], rel_tol=1e-12)
    d = post(client, net, "derivation", {"x": X, "y": Y, "quantity": "grad_a", "layer": 3, "index": [1]})
    assert d["kind"] == "shortcut" and len(d["jacobian"]) == 2
    assert d["value"] == -(1.0 * (Y[0] == 1) - trace["y_hat"][0][1])
    d = post(client, net, "derivation", {"x": X, "y": Y, "quantity": "h", "layer": 1, "index": [2]})
    assert d["rule"] == "g" and len(d["curve"]["a"]) == len(d["curve"]["g_prime"]) > 50
    assert d["curve"]["at_a"] == trace["a"][0][0][2]


def test_chain_rule_pair_and_dataset_rows(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(
        sizes=[2, 3, 2], output="softmax", loss="squared_error", dataset={"name": "xor", "n": 20, "seed": 1}
    )
    d = post(client, net, "derivation", {"rows": [0, 1, 2], "quantity": "grad_a", "layer": 2, "index": [0]})
    assert d["kind"] == "chain_rule"
    assert [f["quantity"] for f in d["terms"][0]["factors"]] == ["grad_y_hat", "jacobian"]
    trace = post(client, net, "backward", {"rows": [0, 1, 2]})
    assert math.isclose(d["value"], trace["grad_a"][1][0][0], rel_tol=1e-9)


def test_paths_sum_to_the_gradient(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 3, 3, 2], activation="sigmoid")
    trace = post(client, net, "backward", {"x": X, "y": Y})
    p = post(client, net, "paths", {"x": X, "y": Y, "layer": 1, "i": 2, "j": 0, "max_paths": 5, "example": 1})
    assert (p["count"], p["count_exact"], len(p["paths"]), p["remainder_count"]) == (
        12,
        "12",
        5,
        7,
    )  # 3 x 2 neurons above, x 2 softmax outputs
    assert p["grad_W"] == trace["grad_W"][0][2][0]
    assert math.isclose(p["listed_sum"] + p["remainder_sum"], p["grad_W"], rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(p["total"], p["grad_W"], rel_tol=1e-12)
    first = p["paths"][0]
    assert first["neurons"][0] == 2 and len(first["factors"]) == 2 * 2 + 3
    assert first["factors"][-1] == {
        "symbol": "da_1[2]/dW_1[2,0]", "value": X[1][0], "quantity": "h", "layer": 0, "index": [0], "example": 1,
    }  # fmt: skip
    assert math.isclose(first["product"], math.prod(f["value"] for f in first["factors"]), rel_tol=1e-15)
    every = post(client, net, "paths", {"x": X, "y": Y, "layer": 1, "i": 2, "j": 0, "max_paths": 1000})
    assert len(every["paths"]) == 12 and every["remainder_sum"] == 0


@pytest.mark.parametrize(
    ("body", "status", "fragments"),
    [
        ({"quantity": "grad_W", "layer": 3, "index": [0, 0]}, 422, ["layers k = 1..2", "got k = 3"]),
        ({"quantity": "grad_W", "layer": 1, "index": [0]}, 422, ["[i, j]", "0 <= i < 3"]),
        ({"quantity": "a", "layer": 1, "index": [0], "example": 5}, 422, ["0..1"]),
        ({"quantity": "w", "layer": 1, "index": [0]}, 422, ["quantity"]),
        ({"quantity": "a", "layer": 1}, 422, ["index"]),
    ],
)
def test_derivation_rejects_bad_requests(
    client: TestClient, create_network: CreateNetwork, body: dict[str, Any], status: int, fragments: list[str]
) -> None:
    net = create_network()
    response = client.post(f"{API}/networks/{net['id']}/derivation", json={"x": X, "y": Y, **body})
    assert_error(response, status, *fragments)


def test_paths_are_bounded_and_reject_bad_requests(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network()
    url = f"{API}/networks/{net['id']}/paths"
    assert_error(client.post(url, json={"x": X, "y": Y, "layer": 1, "i": 0, "j": 0, "max_paths": 1001}), 422, "1000")
    assert_error(client.post(url, json={"x": X, "y": Y, "layer": 1, "i": 3, "j": 0}), 422, "W_1 has shape (3, 2)")
    assert_error(client.post(url, json={"x": X, "y": Y, "layer": 3, "i": 0, "j": 0}), 422, "1..2")
    assert_error(client.post(url, json={"x": X, "layer": 1, "i": 0, "j": 0}), 422, "y is required")
    missing = f"{API}/networks/{'0' * 32}/paths"
    assert client.post(missing, json={"x": X, "y": Y, "layer": 1, "i": 0, "j": 0}).status_code == 404


def test_documented_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("derivation", "paths"):
        operation = spec["paths"][f"{API}/networks/{{network_id}}/{path}"]["post"]
        assert operation["requestBody"]["content"]["application/json"]["examples"]
        example = operation["responses"]["200"]["content"]["application/json"]["example"]
        assert example["value" if path == "derivation" else "total"] is not None  # (the docs drop null fields)
