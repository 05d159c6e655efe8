"""The page's data views through a network: 2-D PCA projection of x and h_k (equal to the core's,
fitted on the training inputs, kept fixed when the basis is sent back) and the evaluation on a
split (predictions and confusion matrix equal to the core's); image shape in dataset metadata."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from ffnn_core import forward
from ffnn_core.datasets import make_dataset
from ffnn_core.pca import confusion_matrix, fit_pca, predicted_classes, project
from ffnn_core.serialization import network_from_dict

from .conftest import API, CreateNetwork, assert_error

IRIS = {"name": "iris", "seed": 0}


def core_network(client: TestClient, net_id: str):  # type: ignore[no-untyped-def]
    doc = client.get(f"{API}/networks/{net_id}/export").json()
    return network_from_dict(doc)


def iris_network(create_network: CreateNetwork) -> dict:  # type: ignore[type-arg]
    return create_network(sizes=[4, 5, 3], dataset=IRIS)


def test_digits_say_they_are_8x8_images(client: TestClient) -> None:
    infos = {d["name"]: d for d in client.get(f"{API}/datasets").json()}
    assert infos["digits"]["image_shape"] == [8, 8]
    assert infos["digits"]["n_inputs"] == 64
    assert infos["iris"]["image_shape"] is None
    points = client.get(f"{API}/datasets/digits").json()
    assert points["info"]["image_shape"] == [8, 8]


def test_projection_of_x_and_h1_equals_the_core(client: TestClient, create_network: CreateNetwork) -> None:
    net = iris_network(create_network)
    data = make_dataset("iris", seed=0)
    network = core_network(client, net["id"])
    for layer in (0, 1, 2):
        res = client.post(f"{API}/networks/{net['id']}/projection", json={"layer": layer})
        assert res.status_code == 200, res.text
        body = res.json()
        Z_train = forward(network, data.X_train).h[layer]
        Z_test = forward(network, data.X_test).h[layer]
        pca = fit_pca(Z_train)
        assert body["fitted"] is True and body["dim"] == network.config.sizes[layer]
        np.testing.assert_allclose(body["components"], pca.components, atol=1e-9)
        np.testing.assert_allclose(body["train"], project(pca, Z_train), atol=1e-9)
        np.testing.assert_allclose(body["test"], project(pca, Z_test), atol=1e-9)
        assert len(body["train"]) == data.X_train.shape[0]


def test_a_basis_sent_back_stays_fixed_while_training(client: TestClient, create_network: CreateNetwork) -> None:
    net = iris_network(create_network)
    url = f"{API}/networks/{net['id']}/projection"
    first = client.post(url, json={"layer": 1}).json()
    basis = {"mean": first["mean"], "components": first["components"]}
    trained = client.post(f"{API}/networks/{net['id']}/train", json={"epochs": 3, "batch_size": 16})
    assert trained.status_code == 200, trained.text
    kept = client.post(url, json={"layer": 1, "basis": basis}).json()
    assert kept["fitted"] is False and kept["components"] == first["components"]
    network = core_network(client, net["id"])
    data = make_dataset("iris", seed=0)
    Z = forward(network, data.X_train).h[1]
    want = (Z - np.asarray(basis["mean"])) @ np.asarray(basis["components"]).T
    np.testing.assert_allclose(kept["train"], want, atol=1e-9)
    assert not np.allclose(kept["train"], first["train"])  # the points moved, the axes did not


def test_projection_refuses_what_does_not_fit(client: TestClient, create_network: CreateNetwork) -> None:
    net = iris_network(create_network)
    url = f"{API}/networks/{net['id']}/projection"
    assert_error(client.post(url, json={"layer": 3}), 422, "layer must be 0..2")
    bad = {"layer": 1, "basis": {"mean": [0.0] * 4, "components": [[1.0] * 5, [0.0] * 5]}}
    assert_error(client.post(url, json=bad), 422, "n_1 = 5")
    bare = create_network(sizes=[2, 3, 2])
    assert_error(client.post(f"{API}/networks/{bare['id']}/projection", json={}), 422, "no dataset")


def test_evaluation_confusion_matrix_equals_the_core(client: TestClient, create_network: CreateNetwork) -> None:
    net = iris_network(create_network)
    client.post(f"{API}/networks/{net['id']}/train", json={"epochs": 5, "batch_size": 16})
    res = client.get(f"{API}/networks/{net['id']}/evaluation", params={"split": "test"})
    assert res.status_code == 200, res.text
    body = res.json()
    network = core_network(client, net["id"])
    data = make_dataset("iris", seed=0)
    predicted = predicted_classes(forward(network, data.X_test).y_hat)
    assert body["predicted"] == predicted.tolist()
    assert body["confusion"] == confusion_matrix(data.y_test.astype(np.int64), predicted, 3).tolist()
    assert body["n"] == data.X_test.shape[0] == sum(map(sum, body["confusion"]))
    assert abs(body["accuracy"] - float((predicted == data.y_test).mean())) < 1e-12
    regression = create_network(sizes=[1, 3, 1], output="linear", loss="squared_error", dataset={"name": "sine"})
    assert_error(client.get(f"{API}/networks/{regression['id']}/evaluation"), 422, "classification")
