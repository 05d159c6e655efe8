"""Forward, backward, step, gradient check and decision surface: shapes, orderings, behaviour."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.api.conftest import API, CreateNetwork, TestClient, assert_error


def post(client: TestClient, net: dict[str, Any], operation: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}/networks/{net['id']}/{operation}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def shape(value: Any) -> tuple[int, ...]:
    return np.array(value).shape


def test_forward_one_example_and_a_batch(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 4, 3, 2], activation=["relu", "sigmoid"])
    one = post(client, net, "forward", {"x": [0.5, -1.0]})
    assert set(one) == {"a", "h", "y_hat", "diverged"}
    assert [shape(a) for a in one["a"]] == [(1, 4), (1, 3), (1, 2)]  # a_1..a_L
    assert [shape(h) for h in one["h"]] == [(1, 2), (1, 4), (1, 3), (1, 2)]  # h_0..h_L
    assert one["h"][0] == [[0.5, -1.0]] and one["h"][-1] == one["y_hat"]
    assert one["diverged"] is None
    batch = post(client, net, "forward", {"x": [[0.5, -1.0], [2.0, 3.0], [0.0, 0.0]]})
    assert shape(batch["y_hat"]) == (3, 2)
    assert batch["a"][0][0] == one["a"][0][0]  # rows are independent
    assert np.allclose(np.sum(batch["y_hat"], axis=1), 1.0)  # softmax rows


def test_forward_on_dataset_rows(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(dataset={"name": "xor", "n": 20, "seed": 5})
    points = client.get(f"{API}/datasets/xor", params={"n": 20, "seed": 5}).json()
    train = post(client, net, "forward", {"rows": [3, 0, 3]})
    assert train["h"][0] == [points["X_train"][3], points["X_train"][0], points["X_train"][3]]
    test = post(client, net, "forward", {"rows": [1], "split": "test"})
    assert test["h"][0] == [points["X_test"][1]]


def test_backward_fields_and_orderings(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 4, 3, 2])
    result = post(client, net, "backward", {"x": [[0.5, -1.0], [2.0, 3.0]], "y": [1, 0]})
    assert set(result) == {"a", "h", "y_hat", "y", "grad_a", "grad_h", "grad_W", "grad_b", "losses", "loss", "diverged"}
    assert result["y"] == [[0.0, 1.0], [1.0, 0.0]]  # e(y) rows
    assert [shape(g) for g in result["grad_a"]] == [(2, 4), (2, 3), (2, 2)]  # grad_a_1..grad_a_L
    assert [shape(g) for g in result["grad_h"]] == [(2, 2), (2, 4), (2, 3)]  # grad_h_0..grad_h_{L-1}
    assert [shape(g) for g in result["grad_W"]] == [(4, 2), (3, 4), (2, 3)]  # like W_k
    assert [shape(g) for g in result["grad_b"]] == [(4,), (3,), (2,)]
    assert len(result["losses"]) == 2 and result["loss"] == pytest.approx(np.mean(result["losses"]))
    # softmax + cross-entropy: grad_a_L = -(e(y) - y_hat)
    assert np.allclose(result["grad_a"][-1], np.array(result["y_hat"]) - np.array(result["y"]))
    assert client.get(f"{API}/networks/{net['id']}").json() == net  # backward changes nothing


def test_backward_with_target_rows_and_rows(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 3, 2], output="linear", loss="squared_error")
    result = post(client, net, "backward", {"x": [[1.0, 2.0]], "y": [[0.5, -2.0]]})
    assert result["y"] == [[0.5, -2.0]]
    assert np.allclose(result["grad_a"][-1], 2 * (np.array(result["y_hat"]) - result["y"]))
    regression = create_network(sizes=[1, 3, 1], output="linear", loss="squared_error", dataset={"name": "sine"})
    result = post(client, regression, "backward", {"rows": [0, 1, 2, 3]})
    assert shape(result["y"]) == (4, 1)


def test_backward_binary_sigmoid_output_with_labels(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 3, 1], output="sigmoid", dataset={"name": "circles", "n": 20})
    result = post(client, net, "backward", {"rows": [0, 1, 2]})
    assert shape(result["y"]) == (3, 1) and set(np.ravel(result["y"])) <= {0.0, 1.0}


def test_drop_g_prime_layer_changes_the_gradient_below(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 3, 3, 2])
    body = {"x": [[0.5, -1.0]], "y": [1]}
    true = post(client, net, "backward", body)
    broken = post(client, net, "backward", {**body, "drop_g_prime_layer": 2})
    assert broken["grad_a"][2] == true["grad_a"][2]  # layer 3 untouched
    assert broken["grad_a"][1] == true["grad_h"][2]  # grad_a_2 := grad_h_2 (g' left out)
    assert broken["grad_W"][0] != true["grad_W"][0]


def test_step_updates_once_and_counts(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network()
    body = {"x": [[0.5, -1.0], [1.0, 1.0]], "y": [1, 0], "optimizer": {"name": "sgd", "eta": 0.5}}
    result = post(client, net, "step", body)
    assert result["step"] == 1 and result["W_before"] == net["W"] and result["b_before"] == net["b"]
    for k in range(2):
        expected = np.array(net["W"][k]) - 0.5 * np.array(result["grad_W"][k])
        assert np.array_equal(result["W_after"][k], expected)
    after = client.get(f"{API}/networks/{net['id']}").json()
    assert after["W"] == result["W_after"] and after["b"] == result["b_after"] and after["step"] == 1
    second = post(client, net, "step", body)
    assert second["step"] == 2 and second["W_before"] == result["W_after"]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_every_optimizer_steps(client: TestClient, create_network: CreateNetwork, optimizer: str) -> None:
    net = create_network(dataset={"name": "xor", "n": 20})
    result = post(client, net, "step", {"rows": [0, 1, 2], "optimizer": {"name": optimizer, "eta": 0.01, "l2": 0.1}})
    assert result["W_after"] != result["W_before"] and result["diverged"] is None


def test_gradcheck_agrees_and_catches_the_fault(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 3, 3, 2], activation="sigmoid")
    body = {"x": [[0.5, -1.0], [1.0, 2.0]], "y": [1, 0]}
    good = post(client, net, "gradcheck", body)
    assert [(t["name"], t["layer"]) for t in good["tensors"]] == [
        ("W", 1),
        ("b", 1),
        ("W", 2),
        ("b", 2),
        ("W", 3),
        ("b", 3),
    ]
    assert all(t["max_relative_error"] < 1e-5 for t in good["tensors"])
    assert len(good["tensors"][0]["entries"]) == 6 and good["tensors"][0]["entries"][0]["index"] == [0, 0]
    bad = post(client, net, "gradcheck", {**body, "drop_g_prime_layer": 2, "layers": [1], "max_entries": 3})
    assert [t["layer"] for t in bad["tensors"]] == [1, 1]
    assert len(bad["tensors"][0]["entries"]) == 3
    assert bad["tensors"][0]["max_relative_error"] > 1e-3


def test_gradcheck_limits(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 16, 16, 2])  # 338 parameters > max_gradcheck_entries = 200
    body: dict[str, Any] = {"x": [[0.5, -1.0]], "y": [1]}
    assert_error(client.post(f"{API}/networks/{net['id']}/gradcheck", json=body), 422, "max_gradcheck_entries")
    assert post(client, net, "gradcheck", {**body, "max_entries": 20})["tensors"]
    body["layers"] = [4]
    assert_error(client.post(f"{API}/networks/{net['id']}/gradcheck", json=body), 422, "layers 1..3")


def test_surface_of_a_two_input_network(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(dataset={"name": "moons", "n": 40})
    surface = client.get(f"{API}/networks/{net['id']}/surface", params={"resolution": 5}).json()
    assert len(surface["x1"]) == 5 and len(surface["x2"]) == 5
    assert shape(surface["y_hat"]) == (5, 5, 2)  # [x2 rows][x1 columns][n_L]
    points = client.get(f"{API}/datasets/moons", params={"n": 40}).json()
    X = np.array(points["X_train"] + points["X_test"])
    span = X[:, 0].max() - X[:, 0].min()
    assert surface["x1"][0] == pytest.approx(X[:, 0].min() - 0.1 * span)
    # row i, column j is the network at (x1[j], x2[i])
    forward = post(client, net, "forward", {"x": [surface["x1"][3], surface["x2"][1]]})
    assert forward["y_hat"][0] == pytest.approx(surface["y_hat"][1][3], rel=1e-12)


def test_surface_ranges_and_one_input(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network()
    surface = client.get(f"{API}/networks/{net['id']}/surface", params={"resolution": 3}).json()
    assert surface["x1"] == [-1.0, 0.0, 1.0]
    custom = client.get(
        f"{API}/networks/{net['id']}/surface", params={"resolution": 2, "x1_min": 0, "x1_max": 4, "x2_min": -2}
    ).json()
    assert custom["x1"] == [0.0, 4.0] and custom["x2"] == [-2.0, 1.0]
    curve_net = create_network(sizes=[1, 4, 1], output="linear", loss="squared_error")
    curve = client.get(f"{API}/networks/{curve_net['id']}/surface", params={"resolution": 4}).json()
    assert curve["x2"] is None and shape(curve["y_hat"]) == (1, 4, 1)  # one row: [x2 rows][x1][n_L]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"resolution": 61}, "max_surface_resolution = 60"),
        ({"resolution": 1}, "resolution"),
        ({"resolution": "many"}, "resolution"),
        ({"resolution": 3, "x1_min": 1, "x1_max": 0}, "x1_min must be below x1_max"),
        ({"x2_min": "nan"}, "x2_min"),
        ({"zoom": 2}, "zoom"),
    ],
)
def test_surface_bad_queries(
    client: TestClient, create_network: CreateNetwork, params: dict[str, Any], fragment: str
) -> None:
    net = create_network()
    assert_error(client.get(f"{API}/networks/{net['id']}/surface", params=params), 422, fragment)


def test_surface_needs_one_or_two_inputs(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[3, 2])
    assert_error(client.get(f"{API}/networks/{net['id']}/surface"), 422, "1 or 2 inputs", "n_0 = 3")


def test_bigger_work_runs_in_a_thread_with_the_same_numbers(create_network: CreateNetwork, client: TestClient) -> None:
    from app.main import create_app
    from tests.api.conftest import make_settings

    body = {"x": [[0.5, -1.0], [1.0, 1.0]], "y": [1, 0]}
    net = create_network()
    inline = post(client, net, "step", body)
    with TestClient(create_app(make_settings(inline_work_limit=0))) as threaded_client:
        copy = threaded_client.post(f"{API}/networks", json={"sizes": [2, 3, 2], "activation": "tanh"}).json()
        threaded = post(threaded_client, copy, "step", body)
    assert threaded == inline
