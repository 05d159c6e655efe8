"""JSON answers above ~1 KB are gzipped when the client accepts it (and only then); small answers
and the training stream are not; ``?fields=`` sends only the named fields of forward, backward and
step; unknown names, in a body or in ``fields``, are answered with the name that was meant."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

API = "/api/v1"
GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture(scope="module")
def api(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server + API, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def network(api: httpx.Client) -> dict[str, Any]:
    body = {"sizes": [64, 32, 10], "dataset": {"name": "digits"}, "seed": 1}
    created: dict[str, Any] = api.post("/networks", json=body).raise_for_status().json()
    return created


def _wire(
    api: httpx.Client, method: str, path: str, headers: dict[str, str], **kwargs: Any
) -> tuple[httpx.Response, bytes]:
    """The answer and its bytes as sent (not decoded)."""
    with api.stream(method, path, headers=headers, **kwargs) as response:
        return response, b"".join(response.iter_raw())


def test_large_json_is_gzipped_for_clients_that_accept_it(api: httpx.Client, network: dict[str, Any]) -> None:
    path, body = f"/networks/{network['id']}/backward", {"rows": list(range(64))}
    packed, packed_bytes = _wire(api, "POST", path, GZIP, json=body)
    plain, plain_bytes = _wire(api, "POST", path, IDENTITY, json=body)
    assert packed.status_code == plain.status_code == 200
    assert packed.headers["content-encoding"] == "gzip" and "accept-encoding" in packed.headers["vary"].lower()
    assert "content-encoding" not in plain.headers
    assert json.loads(gzip.decompress(packed_bytes)) == json.loads(plain_bytes)
    assert len(packed_bytes) < 0.6 * len(plain_bytes), (len(packed_bytes), len(plain_bytes))


def test_dataset_points_are_gzipped(api: httpx.Client) -> None:
    packed, packed_bytes = _wire(api, "GET", "/datasets/digits", GZIP)
    _, plain_bytes = _wire(api, "GET", "/datasets/digits", IDENTITY)
    assert packed.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed_bytes)) == json.loads(plain_bytes)
    assert len(packed_bytes) < 0.25 * len(plain_bytes)


def test_small_answers_are_not_compressed(api: httpx.Client, network: dict[str, Any]) -> None:
    headers = {**GZIP, "Content-Type": "application/json"}  # a POST without a body still says JSON
    answer, raw = _wire(api, "POST", f"/networks/{network['id']}/train/stop", headers)
    assert answer.status_code == 202 and len(raw) < 1024 and "content-encoding" not in answer.headers
    assert json.loads(raw) == {"stopping": False}


def test_training_stream_is_not_compressed_and_arrives_per_event(api: httpx.Client, network: dict[str, Any]) -> None:
    body = {"epochs": 3, "batch_size": 64, "pace_ms": 200}
    with api.stream("POST", f"/networks/{network['id']}/train/stream", headers=GZIP, json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in response.headers
        chunks = [chunk for chunk in response.iter_raw() if chunk]
    events = b"".join(chunks).decode().strip().split("\n\n")
    assert [e.split("\n")[0] for e in events] == ["event: epoch"] * 3 + ["event: done"]
    assert len(chunks) >= 4, "the events were not sent one by one"


def test_fields_selects_what_is_sent(api: httpx.Client, network: dict[str, Any]) -> None:
    url = f"/networks/{network['id']}"
    full = api.post(f"{url}/backward", json={"rows": [0, 1]}).json()
    some = api.post(f"{url}/backward", params={"fields": "grad_W,grad_b"}, json={"rows": [0, 1]}).json()
    assert set(some) == {"grad_W", "grad_b", "diverged"}
    assert some["grad_W"] == full["grad_W"] and some["grad_b"] == full["grad_b"]
    forward = api.post(f"{url}/forward", params={"fields": "y_hat"}, json={"rows": [0]}).json()
    assert set(forward) == {"y_hat", "diverged"} and len(forward["y_hat"][0]) == 10
    before = api.get(url).json()["step"]
    step = api.post(f"{url}/step", params={"fields": "loss, step"}, json={"rows": [0, 1]}).json()
    assert set(step) == {"loss", "step", "diverged"} and step["step"] == before + 1  # the update is made


def test_unknown_field_names_say_which_was_meant(api: httpx.Client, network: dict[str, Any]) -> None:
    url = f"/networks/{network['id']}"
    before = api.get(url).json()
    wrong = api.post(f"{url}/step", params={"fields": "grad_w"}, json={"rows": [0]})
    assert wrong.status_code == 422 and "grad_w: unknown field" in wrong.json()["detail"]
    assert "did you mean grad_W?" in wrong.json()["detail"]
    x = [[0.0] * 64]
    capital = api.post(f"{url}/backward", json={"X": x, "y": [0]})
    assert capital.status_code == 422
    assert "X: unknown field (not allowed here); did you mean x?" in capital.json()["detail"]
    nested = api.post(f"{url}/step", json={"x": x, "y": [0], "optimizer": {"nmae": "adam"}})
    assert "optimizer: nmae: unknown field (not allowed here); did you mean name?" in nested.json()["detail"]
    far = api.post(f"{url}/forward", json={"x": x, "zzz": 1})
    assert "zzz: unknown field (not allowed here); allowed: x, rows, split" in far.json()["detail"]
    assert api.get(url).json() == before, "a refused request changed the network"


def test_fields_is_documented(api: httpx.Client, live_server: str) -> None:
    document = httpx.get(f"{live_server}/openapi.json", timeout=30).json()
    for operation in ("forward", "backward", "step"):
        path = f"/api/v1/networks/{{network_id}}/{operation}"
        parameters = {p["name"]: p for p in document["paths"][path]["post"]["parameters"]}
        assert parameters["fields"]["in"] == "query" and "diverged" in parameters["fields"]["description"]
    assert document["components"]["schemas"]["BackwardResult"]["required"] == ["diverged"]
