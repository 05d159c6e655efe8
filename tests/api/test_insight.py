"""Insight routes: blame, per-example contributions, diagnostics, learning-rate what-if."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.api.conftest import API, CreateNetwork

X = [[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]]
Y = [0, 1, 1]


def _post(client: Any, nid: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{API}/networks/{nid}/{path}", json=body)


def test_blame_terms_sum_to_the_backward_grad_h(client: Any, create_network: CreateNetwork) -> None:
    nid = create_network(sizes=[2, 3, 3, 2])["id"]
    trace = _post(client, nid, "backward", {"x": X, "y": Y}).json()
    for layer in (0, 1, 2):
        for j in range(len(trace["grad_h"][layer][0])):
            r = _post(client, nid, "blame", {"x": X, "y": Y, "layer": layer, "j": j, "example": 2})
            assert r.status_code == 200, r.text
            blame = r.json()
            assert blame["grad_h"] == trace["grad_h"][layer][2][j]
            assert sum(t["term"] for t in blame["terms"]) == pytest.approx(blame["grad_h"], abs=1e-15)
            magnitudes = [abs(t["term"]) for t in blame["terms"]]
            assert magnitudes == sorted(magnitudes, reverse=True)


def test_blame_refuses_a_layer_without_one_above(client: Any, create_network: CreateNetwork) -> None:
    nid = create_network()["id"]
    r = _post(client, nid, "blame", {"x": X, "y": Y, "layer": 2, "j": 0})
    assert r.status_code == 422
    assert "layer must be 0..1" in r.json()["detail"]
    r = _post(client, nid, "blame", {"x": X, "y": Y, "layer": 0, "j": 0, "example": 3})
    assert r.status_code == 422
    assert "example must be 0..2" in r.json()["detail"]


def test_contributions_average_to_grad_W(client: Any, create_network: CreateNetwork) -> None:
    nid = create_network()["id"]
    trace = _post(client, nid, "backward", {"x": X, "y": Y}).json()
    for layer in (1, 2):
        r = _post(client, nid, "contributions", {"x": X, "y": Y, "layer": layer})
        assert r.status_code == 200, r.text
        c = r.json()
        per = np.array(c["per_example_grad_W"])
        assert per.shape[0] == 3
        np.testing.assert_allclose(per.mean(axis=0), trace["grad_W"][layer - 1], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(np.array(c["per_example_grad_b"]).mean(axis=0), trace["grad_b"][layer - 1])
        assert c["grad_W"] == trace["grad_W"][layer - 1]
        assert sorted(c["ranking"]) == [0, 1, 2]
        assert c["norms"][c["ranking"][0]] == max(c["norms"])


def test_what_if_at_the_step_rate_equals_the_real_next_loss(client: Any, create_network: CreateNetwork) -> None:
    nid = create_network()["id"]
    eta = 0.5
    r = _post(client, nid, "what-if", {"x": X, "y": Y, "etas": [0.0, eta]})
    assert r.status_code == 200, r.text
    curve = r.json()
    before = _post(client, nid, "backward", {"x": X, "y": Y}).json()["loss"]
    assert curve["loss"] == before == curve["losses"][0]
    step = _post(client, nid, "step", {"x": X, "y": Y, "optimizer": {"name": "sgd", "eta": eta}})
    assert step.status_code == 200
    after = _post(client, nid, "backward", {"x": X, "y": Y}).json()["loss"]
    assert curve["losses"][1] == pytest.approx(after, rel=1e-13)


def test_what_if_reports_divergence_as_null_and_says_so(client: Any, create_network: CreateNetwork) -> None:
    nid = create_network()["id"]
    r = _post(client, nid, "what-if", {"x": X, "y": Y, "etas": [0.1, 1e6]})
    assert r.status_code == 200
    assert "NaN" not in r.text and "Infinity" not in r.text
    r = _post(client, nid, "what-if", {"x": X, "y": Y, "etas": []})
    assert r.status_code == 422


def test_diagnostics_flag_vanishing_gradients_in_deep_sigmoid_networks(
    client: Any, create_network: CreateNetwork
) -> None:
    deep = create_network(sizes=[2, 8, 8, 8, 2], activation="sigmoid", init="normal", init_scale=0.1)["id"]
    r = _post(client, deep, "diagnostics", {"x": X, "y": Y, "eta": 0.1})
    assert r.status_code == 200, r.text
    d = r.json()
    assert len(d["layers"]) == 4
    norms = [layer["grad_a_norm"] for layer in d["layers"]]
    assert norms == sorted(norms)  # each layer's gradient is smaller than the one above
    assert d["vanishing"] is True and d["exploding"] is False
    assert all(layer["saturated_share"] is not None for layer in d["layers"][:-1])
    shallow = create_network(sizes=[2, 3, 2], activation="relu")["id"]
    s = _post(client, shallow, "diagnostics", {"x": X, "y": Y}).json()
    assert s["vanishing"] is False
    assert s["layers"][0]["dead_share"] is not None and s["layers"][0]["saturated_share"] is None


def test_insight_routes_404_and_need_targets(client: Any, create_network: CreateNetwork) -> None:
    for path, extra in (("blame", {"layer": 0, "j": 0}), ("contributions", {"layer": 1}), ("diagnostics", {})):
        assert _post(client, "0" * 32, path, {"x": X, "y": Y, **extra}).status_code == 404
        nid = create_network()["id"]
        r = _post(client, nid, path, {"x": X, **extra})
        assert r.status_code == 422
        assert "y is required" in r.json()["detail"]
