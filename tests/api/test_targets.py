"""Target rows must suit the (O, loss) pair: the API refuses what the core's gradient cannot use."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import API, CreateNetwork


def test_softmax_cross_entropy_rows_must_sum_to_one(client: Any, create_network: CreateNetwork) -> None:
    nid = create_network()["id"]
    before = client.get(f"{API}/networks/{nid}").json()
    for route in ("backward", "step", "gradcheck"):
        r = client.post(f"{API}/networks/{nid}/{route}", json={"x": [[1.0, 2.0]], "y": [[0.5, 0.2]]})
        assert r.status_code == 422, r.text
        assert "sum to 1" in r.json()["detail"]
    assert client.get(f"{API}/networks/{nid}").json() == before  # nothing changed
    ok = client.post(f"{API}/networks/{nid}/backward", json={"x": [[1.0, 2.0]], "y": [[0.25, 0.75]]})
    assert ok.status_code == 200
    assert ok.json()["y"] == [[0.25, 0.75]]
