"""Networks: create, read, delete, parameters (PUT, PATCH), reset, export and import."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from ffnn_core import Network, NetworkConfig
from tests.api.conftest import API, JSON_TYPE, CreateNetwork, TestClient, assert_error


def test_create_answers_201_with_id_config_and_parameters(client: TestClient) -> None:
    response = client.post(f"{API}/networks", json={"sizes": [2, 3, 2], "activation": "relu", "seed": 7})
    assert response.status_code == 201
    net = response.json()
    assert re.fullmatch(r"[0-9a-f]{32}", net["id"])
    assert response.headers["location"] == f"{API}/networks/{net['id']}"
    assert net["config"] == {
        "sizes": [2, 3, 2],
        "activations": ["relu"],
        "output": "softmax",
        "loss": "cross_entropy",
        "init": "xavier_uniform",
        "init_scale": 1.0,
        "seed": 7,
    }
    assert net["step"] == 0 and net["epoch"] == 0 and net["diverged"] is None and net["dataset"] is None
    assert net["n_parameters"] == 3 * 3 + 2 * 4
    expected = Network.create(NetworkConfig.build([2, 3, 2], "relu", seed=7))
    assert [np.array(w).tolist() for w in net["W"]] == [w.tolist() for w in expected.W]
    assert net["b"] == [b.tolist() for b in expected.b]


def test_create_with_per_layer_activations_and_dataset(client: TestClient) -> None:
    body = {
        "sizes": [2, 4, 3, 1],
        "activation": ["sigmoid", "leaky_relu"],
        "output": "sigmoid",
        "loss": "cross_entropy",
        "init": "normal",
        "init_scale": 0.5,
        "seed": 3,
        "dataset": {"name": "moons", "seed": 1, "n": 40, "noise": 0.2, "test_fraction": 0.5, "standardize": True},
    }
    net = client.post(f"{API}/networks", json=body).json()
    assert net["config"]["activations"] == ["sigmoid", "leaky_relu"]
    assert net["dataset"] == {**body["dataset"], "n_classes": None}


def test_ids_are_random_and_unguessable(create_network: CreateNetwork) -> None:
    ids = {create_network()["id"] for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) == 32 for i in ids)


def test_read_and_delete(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network()
    assert client.get(f"{API}/networks/{net['id']}").json() == net
    assert client.delete(f"{API}/networks/{net['id']}").status_code == 204
    assert_error(client.get(f"{API}/networks/{net['id']}"), 404, "no network")
    assert_error(client.delete(f"{API}/networks/{net['id']}"), 404)


def test_no_listing_of_networks(client: TestClient, create_network: CreateNetwork) -> None:
    create_network()
    assert_error(client.get(f"{API}/networks"), 405, "not allowed")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("DELETE", "", None),
        ("PUT", "/parameters", {"W": [], "b": []}),
        ("PATCH", "/parameters", {"name": "b", "layer": 1, "i": 0, "value": 1.0}),
        ("POST", "/reset", None),
        ("GET", "/export", None),
        ("POST", "/forward", {"x": [1.0, 2.0]}),
        ("POST", "/backward", {"x": [1.0, 2.0], "y": [0]}),
        ("POST", "/step", {"x": [1.0, 2.0], "y": [0]}),
        ("POST", "/gradcheck", {"x": [1.0, 2.0], "y": [0]}),
        ("GET", "/surface", None),
        ("POST", "/train", {"epochs": 1}),
        ("POST", "/train/stream", {"epochs": 1}),
        ("POST", "/train/stop", None),
    ],
)
@pytest.mark.parametrize("network_id", ["0" * 32, "not-an-id", "F" * 32])
def test_unknown_id_is_404_everywhere(client: TestClient, method: str, path: str, body: Any, network_id: str) -> None:
    response = client.request(method, f"{API}/networks/{network_id}{path}", json=body, headers=JSON_TYPE)
    assert_error(response, 404, network_id)


def test_put_parameters_sets_all_of_them(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network()
    W = [[[0.5, -0.5], [0.25, 1.0], [0.0, 2.0]], [[1.0, -1.0, 0.5], [-0.5, 0.5, 1.5]]]
    b = [[0.1, 0.2, 0.3], [-1.0, 1.0]]
    response = client.put(f"{API}/networks/{net['id']}/parameters", json={"W": W, "b": b})
    assert response.status_code == 200, response.text
    assert response.json()["W"] == W and response.json()["b"] == b
    assert client.get(f"{API}/networks/{net['id']}").json()["W"] == W


@pytest.mark.parametrize(
    ("W", "b", "fragment"),
    [
        ([[[0.5, -0.5]]], [[0.1]], "2 weight matrices"),
        ([[[0.5, -0.5], [0.25, 1.0]], [[1.0, -1.0, 0.5], [-0.5, 0.5, 1.5]]], [[0.1, 0.2, 0.3], [1.0, 1.0]], "W_1"),
        ([[[0.5], [0.25], [0.0]], [[1.0, -1.0, 0.5], [-0.5, 0.5, 1.5]]], [[0.1, 0.2, 0.3], [1.0, 1.0]], "W_1"),
        ([[[0.5, 1], [0.25, 1], [0.0, 1]], [[1.0, -1.0, 0.5], [-0.5, 0.5]]], [[0.1, 0.2, 0.3], [1.0, 1.0]], "W_2"),
        ([[[0.5, 1], [0.25, 1], [0.0, 1]], [[1.0, -1.0, 0.5], [-0.5, 0.5, 1.0]]], [[0.1, 0.2, 0.3], [1.0]], "b_2"),
    ],
)
def test_put_parameters_checks_every_shape(
    client: TestClient, create_network: CreateNetwork, W: Any, b: Any, fragment: str
) -> None:
    net = create_network()
    response = client.put(f"{API}/networks/{net['id']}/parameters", json={"W": W, "b": b})
    assert_error(response, 422, fragment)
    assert client.get(f"{API}/networks/{net['id']}").json() == net  # nothing changed


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"name": "W", "layer": 2, "i": 1, "j": 2, "value": 7.5}, ("W", 1, 1, 2)),
        ({"name": "b", "layer": 1, "i": 2, "value": -3.0}, ("b", 0, 2, None)),
        ({"name": "b", "layer": 2, "i": 0, "j": None, "value": 0.125}, ("b", 1, 0, None)),
    ],
)
def test_patch_one_parameter(
    client: TestClient, create_network: CreateNetwork, patch: dict[str, Any], where: tuple[Any, ...]
) -> None:
    net = create_network()
    response = client.patch(f"{API}/networks/{net['id']}/parameters", json=patch)
    assert response.status_code == 200, response.text
    after = response.json()
    name, k, i, j = where
    expected = net[name]
    if j is None:
        expected[k][i] = patch["value"]
    else:
        expected[k][i][j] = patch["value"]
    assert after[name] == expected
    other = "b" if name == "W" else "W"
    assert after[other] == net[other]


@pytest.mark.parametrize(
    ("patch", "fragment"),
    [
        ({"name": "W", "layer": 3, "i": 0, "j": 0, "value": 1.0}, "layers 1..2"),
        ({"name": "W", "layer": 0, "i": 0, "j": 0, "value": 1.0}, "layer"),
        ({"name": "W", "layer": 1, "i": 3, "j": 0, "value": 1.0}, "i = 0..2"),
        ({"name": "W", "layer": 1, "i": 0, "j": 2, "value": 1.0}, "j = 0..1"),
        ({"name": "W", "layer": 1, "i": 0, "value": 1.0}, "needs a column j"),
        ({"name": "b", "layer": 1, "i": 0, "j": 0, "value": 1.0}, "no column"),
        ({"name": "b", "layer": 1, "i": -1, "value": 1.0}, "i"),
        ({"name": "a", "layer": 1, "i": 0, "value": 1.0}, "'W' or 'b'"),
        ({"name": "b", "layer": 1, "i": 0, "value": "1"}, "value"),
    ],
)
def test_patch_checks_indices(
    client: TestClient, create_network: CreateNetwork, patch: dict[str, Any], fragment: str
) -> None:
    net = create_network()
    assert_error(client.patch(f"{API}/networks/{net['id']}/parameters", json=patch), 422, fragment)
    assert client.get(f"{API}/networks/{net['id']}").json() == net


def test_reset_gives_exactly_the_first_parameters(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(dataset={"name": "xor", "n": 40})
    url = f"{API}/networks/{net['id']}"
    client.post(f"{url}/train", json={"epochs": 2, "batch_size": 8, "optimizer": {"name": "adam", "eta": 0.05}})
    client.patch(f"{url}/parameters", json={"name": "b", "layer": 1, "i": 0, "value": 9.0})
    trained = client.get(url).json()
    assert trained["W"] != net["W"] and trained["step"] > 0 and trained["epoch"] == 2
    reset = client.post(f"{url}/reset", headers=JSON_TYPE).json()
    assert reset == net
    assert client.get(f"{url}/export").json()["optimizer_state"] == {}


def test_export_import_gives_identical_numbers(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 4, 2], dataset={"name": "circles", "n": 60, "seed": 4})
    url = f"{API}/networks/{net['id']}"
    client.post(f"{url}/train", json={"epochs": 3, "batch_size": 7, "optimizer": {"name": "adam", "eta": 0.01}})
    document = client.get(f"{url}/export").json()
    assert document["format"] == "backprop-lab/network" and document["version"] == 1
    assert set(document["optimizer_state"]) == {"adam.m_W", "adam.v_W", "adam.m_b", "adam.v_b", "adam.t"}
    assert document["diverged"] is None
    response = client.post(f"{API}/networks/import", json=document)
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["id"] != net["id"]
    copy_document = client.get(f"{API}/networks/{copy['id']}/export").json()
    assert copy_document == document  # every number, bit for bit (JSON floats round-trip exactly)
    # ... and the copy keeps computing exactly like the original
    step = {"rows": [0, 1, 2, 3], "optimizer": {"name": "adam", "eta": 0.01}}
    original_step = client.post(f"{url}/step", json=step).json()
    copy_step = client.post(f"{API}/networks/{copy['id']}/step", json=step).json()
    assert original_step == copy_step


def _document(client: TestClient, create_network: CreateNetwork) -> dict[str, Any]:
    net = create_network()
    client.post(f"{API}/networks/{net['id']}/step", json={"x": [1.0, 2.0], "y": [1], "optimizer": {"name": "momentum"}})
    document: dict[str, Any] = client.get(f"{API}/networks/{net['id']}/export").json()
    return document


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d["W"].pop(), "2 weight matrices"),
        (lambda d: d["W"][0].pop(), "W_1"),
        (lambda d: d["b"][1].append(1.0), "b_2"),
        (lambda d: d["W"][0][0].__setitem__(0, None), "W[0][0][0]"),
        (lambda d: d["optimizer_state"].update({"adam.x_W": []}), "adam.x_W: unknown field"),
        (lambda d: d["optimizer_state"]["momentum.u_W"].pop(), "one per layer"),
        (lambda d: d["optimizer_state"]["momentum.u_b"][0].append(0.0), "momentum.u_b"),
        (lambda d: d["config"].update(activations=["tanh", "relu"]), "1 activation"),
        (lambda d: d["config"].update(loss="hinge"), "cross_entropy"),
        (lambda d: d.update(step=-1), "step"),
        (lambda d: d.update(dataset={"name": "sine"}), "sine"),
        (lambda d: d.update(surprise=1), "unknown field"),
    ],
)
def test_import_refuses_malformed_documents(
    client: TestClient, create_network: CreateNetwork, change: Any, fragment: str
) -> None:
    document = _document(client, create_network)
    change(document)
    assert_error(client.post(f"{API}/networks/import", json=document), 422, fragment)


def test_import_checks_limits(client: TestClient, create_network: CreateNetwork) -> None:
    document = _document(client, create_network)
    document["config"]["sizes"] = [2, 30, 2]
    assert_error(client.post(f"{API}/networks/import", json=document), 422, "max_width")
