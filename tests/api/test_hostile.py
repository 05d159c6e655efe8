"""Hostile and clumsy requests, one test per class of issue 13: each answers a precise 4xx, changes
nothing, and leaves the server answering.

The numerics of that issue are tested in the core (tests/core/test_extremes.py, against mpmath);
here only what a request can reach: the optimiser's own step counter.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from app import records
from app.main import create_app
from app.persistence import SqliteBackend
from app.server import uvicorn_options
from ffnn_core import Network, NetworkConfig
from tests.api.conftest import API, JSON_TYPE, CreateNetwork, TestClient, assert_error, make_settings

XOR = {"name": "xor", "n": 20}
HUGE_LABELS = [2**63, 2**64 - 1, 2**64, 10**30, -(2**63) - 1]


def still_answers(client: TestClient) -> None:
    assert client.get(f"{API}/meta").status_code == 200


def unchanged(client: TestClient, net: dict[str, Any]) -> None:
    assert client.get(f"{API}/networks/{net['id']}").json() == net


def network_count(client: TestClient) -> int:
    store = client.app.state.store  # type: ignore[attr-defined]
    return len(store)


BODY_ROUTES = {
    "backward": {},
    "step": {},
    "gradcheck": {},
    "blame": {"layer": 1, "j": 0},
    "diagnostics": {},
    "what-if": {"etas": [0.1]},
}


@pytest.mark.parametrize("label", HUGE_LABELS, ids=str)
@pytest.mark.parametrize("operation", list(BODY_ROUTES))
def test_class_labels_beyond_int64_are_out_of_range(
    client: TestClient, create_network: CreateNetwork, operation: str, label: int
) -> None:
    # They were 500 (int64 overflow) on every route that takes labels.
    net = create_network(dataset=XOR)
    body = {"x": [[0.5, -1.0]], "y": [label], **BODY_ROUTES[operation]}
    response = client.post(f"{API}/networks/{net['id']}/{operation}", json=body)
    assert_error(response, 422, f"class label {label} is out of range", "labels must be 0..1")
    unchanged(client, net)
    still_answers(client)


@pytest.mark.parametrize("field", ["step", "epoch"])
@pytest.mark.parametrize("value", [2**53, 2**64 - 1, 2**64, 10**40])
def test_import_with_counters_beyond_the_bound_is_refused_and_stores_nothing(
    client: TestClient, create_network: CreateNetwork, field: str, value: int
) -> None:
    # 2^64 stored the network and answered 500; 2^64 - 1 was stored and broke every later read.
    net = create_network()
    client.post(f"{API}/networks/{net['id']}/step", json={"x": [[0.5, -1.0]], "y": [1], "optimizer": {"name": "adam"}})
    net = client.get(f"{API}/networks/{net['id']}").json()
    document = client.get(f"{API}/networks/{net['id']}/export").json()
    before = network_count(client)
    response = client.post(f"{API}/networks/import", json={**document, field: value})
    assert_error(response, 422, field, "less than or equal to 9007199254740991")
    counter = {**document, "optimizer_state": {**document["optimizer_state"], "adam.t": [[float(2**60)]]}}
    response = client.post(f"{API}/networks/import", json=counter)
    assert_error(response, 422, "adam.t", "from 0 to 9007199254740991")
    assert network_count(client) == before
    unchanged(client, net)
    still_answers(client)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rows", [2**31]),
        ("max_entries", 2**70),
        ("drop_g_prime_layer", 2**64),
        ("layers", [2**63]),
    ],
)
def test_every_integer_field_names_its_bound(
    client: TestClient, create_network: CreateNetwork, field: str, value: Any
) -> None:
    net = create_network(dataset=XOR)
    body: dict[str, Any] = {field: value} if field == "rows" else {"rows": [0], field: value}
    response = client.post(f"{API}/networks/{net['id']}/gradcheck", json=body)
    assert_error(response, 422, field, "less than or equal to 2147483647")
    for path, payload in (
        ("/parameters", {"name": "b", "layer": 2**63, "i": 0, "value": 1.0}),
        ("/train", {"epochs": 2**64}),
        ("/train", {"batch_size": 2**64}),
    ):
        method = "PATCH" if path == "/parameters" else "POST"
        response = client.request(method, f"{API}/networks/{net['id']}{path}", json=payload)
        assert_error(response, 422, "less than or equal to 2147483647")
    unchanged(client, net)
    still_answers(client)


UNPARSEABLE = [
    (b"[" * 30_000 + b"]" * 30_000, "nested too deeply"),  # 60 kB, under max_body_bytes
    (b'{"x": [[0.5, "\xff\xfe"]]}', "not UTF-8"),
    (b'{"x": [[' + b"1" + b"0" * 5000 + b", 0]]}", "more than 4300 digits"),
    (b'{"x": [[0.5, ', "not valid JSON at character"),
]


def _body_routes(client: TestClient, network_id: str) -> list[tuple[str, str]]:
    """Every operation with a request body, from the OpenAPI document."""
    routes = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                routes.append((method.upper(), path.replace("{network_id}", network_id)))
    assert len(routes) >= 15  # every computation, network, training, lesson and insight body route
    return routes


@pytest.mark.parametrize(("raw", "message"), UNPARSEABLE, ids=["deep", "non-utf8", "10**5000", "truncated"])
def test_unparseable_bodies_get_the_same_precise_422_on_every_route(
    client: TestClient, create_network: CreateNetwork, raw: bytes, message: str
) -> None:
    net = create_network(dataset=XOR)
    before = network_count(client)
    for method, path in _body_routes(client, net["id"]):
        response = client.request(method, path, content=raw, headers=JSON_TYPE)
        detail = assert_error(response, 422, "the request body is not valid JSON", message)
        assert "There was an error parsing the body" not in detail, (method, path)
    assert network_count(client) == before
    unchanged(client, net)
    still_answers(client)


@pytest.mark.parametrize("operation", ["reset", "train/stop", "step"])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"content-type": "text/plain"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "multipart/form-data; boundary=x"},
    ],
    ids=["none", "text/plain", "form", "multipart"],
)
def test_state_changes_need_a_json_content_type(
    client: TestClient, create_network: CreateNetwork, operation: str, headers: dict[str, str]
) -> None:
    # What a cross-site form (or a no-cors fetch) can send: refused, nothing changes.
    net = create_network()
    stepped = client.post(f"{API}/networks/{net['id']}/step", json={"x": [[0.5, -1.0]], "y": [1]})
    assert stepped.status_code == 200
    net = client.get(f"{API}/networks/{net['id']}").json()
    content = b'{"x": [[0.5, -1.0]], "y": [1]}' if operation == "step" else b""
    response = client.post(f"{API}/networks/{net['id']}/{operation}", content=content, headers=headers)
    assert_error(response, 415, "must be sent with Content-Type: application/json")
    unchanged(client, net)
    # the same request marked as JSON goes through
    assert client.post(f"{API}/networks/{net['id']}/reset", headers=JSON_TYPE).json()["step"] == 0
    still_answers(client)


def test_page_security_headers_and_allowed_hosts() -> None:
    app = create_app(make_settings(allowed_hosts=("lab.example.org",)))
    with TestClient(app, base_url="http://lab.example.org") as client:
        for path in ("/", "/compare"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            script_src = next(p for p in csp.split("; ") if p.startswith("script-src"))
            assert script_src == "script-src 'self'"  # no inline script, no eval
            assert "frame-ancestors 'none'" in csp
            assert headers["x-content-type-options"] == "nosniff"
        before = network_count(client)
        response = client.post(f"{API}/networks", json={"sizes": [2, 2]}, headers={"host": "evil.example"})
        assert response.status_code == 400 and "Invalid host header" in response.text
        assert network_count(client) == before
        still_answers(client)


def test_a_fresh_optimiser_counts_from_one(client: TestClient, create_network: CreateNetwork) -> None:
    # Adam's t was the network's total step count: SGD steps first shifted its bias correction.
    net = create_network()
    url = f"{API}/networks/{net['id']}/step"
    body: dict[str, Any] = {"x": [[0.5, -1.0]], "y": [1]}
    for _ in range(3):
        client.post(url, json={**body, "optimizer": {"name": "sgd"}})
    first = client.post(url, json={**body, "optimizer": {"name": "adam", "eta": 0.01}}).json()
    assert first["step"] == 4 and first["update"]["t"] == 1
    assert first["update"]["state_before"]["adam.m_W"][0] == [[0.0, 0.0]] * 3
    second = client.post(url, json={**body, "optimizer": {"name": "adam", "eta": 0.005}}).json()
    assert second["update"]["t"] == 2  # a new eta is the same optimiser
    document = client.get(f"{API}/networks/{net['id']}/export").json()
    assert document["optimizer_state"]["adam.t"] == [[2.0]] and "sgd.t" not in document["optimizer_state"]
    still_answers(client)


@contextlib.contextmanager
def live_server(**limits: Any) -> Iterator[tuple[str, int]]:
    """The app under uvicorn with this server's protocol and limits, on a free port, in a thread."""
    settings = make_settings(**limits)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = uvicorn_options(settings)
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(10)


def _exchange(address: tuple[str, int], data: bytes, wait: float = 5.0) -> bytes:
    with socket.create_connection(address, timeout=wait) as conn:
        conn.sendall(data)
        chunks = []
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def _status_and_detail(raw: bytes) -> tuple[int, str]:
    head, _, body = raw.partition(b"\r\n\r\n")
    detail: str = json.loads(body)["detail"]
    return int(head.split()[1]), detail


def test_server_limits_on_headers_bodies_and_connections() -> None:
    # A 50 MB header held the server for 8.7 s; 500 half-open connections were held for ever.
    limits = {"header_max_bytes": 8192, "header_timeout_seconds": 0.5, "body_timeout_seconds": 0.5}
    with live_server(**limits) as address:
        url = f"http://{address[0]}:{address[1]}"
        huge = b"GET /api/v1/meta HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
        status, detail = _status_and_detail(_exchange(address, huge))
        assert status == 431 and "larger than 8192 bytes (header_max_bytes)" in detail
        started = time.monotonic()
        status, detail = _status_and_detail(_exchange(address, b"GET /api/v1/meta HTTP/1.1\r\nHost: x\r\n"))
        assert status == 408 and "headers did not arrive within 0.5 s (header_timeout_seconds)" in detail
        assert time.monotonic() - started < 3
        partial = (
            b"POST /api/v1/networks HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            b'content-length: 100\r\n\r\n{"sizes": [2,'
        )
        status, detail = _status_and_detail(_exchange(address, partial))
        assert status == 408 and "body did not arrive within 0.5 s (body_timeout_seconds)" in detail
        with httpx.Client(base_url=url) as http:  # nothing was created; the server still answers
            meta = http.get("/api/v1/meta")
            assert meta.status_code == 200
            created = http.post("/api/v1/networks", json={"sizes": [2, 2]})
            assert created.status_code == 201
            time.sleep(0.7)  # longer than both timeouts: a kept-alive connection is not cut mid-use
            assert http.get(f"/api/v1/networks/{created.json()['id']}").status_code == 200
    with live_server(max_connections=1) as address, socket.create_connection(address) as holder:
        holder.sendall(b"GET /api/v1/meta HTTP/1.1\r\nHost: x\r\n")  # one open connection takes the only slot
        time.sleep(0.2)
        refused = _exchange(address, b"GET /api/v1/meta HTTP/1.1\r\nHost: x\r\n\r\n")
        assert refused.split()[1] == b"503"


def test_strangers_cannot_empty_the_classroom(clock: Any) -> None:
    # 51 creations evicted a student's network at cap 50. Now only networks idle for
    # evict_idle_seconds may make room, a full store of active networks answers 503, and one
    # client address may create max_creations_per_client networks per creation_window_seconds.
    settings = make_settings(
        max_networks=5, evict_idle_seconds=60, max_creations_per_client=8, creation_window_seconds=1000
    )
    with TestClient(create_app(settings, clock=clock)) as client:
        students = [client.post(f"{API}/networks", json={"sizes": [2, 2]}).json() for _ in range(5)]
        clock.advance(30)
        for student in students[1:]:  # all but the first keep working
            client.post(f"{API}/networks/{student['id']}/forward", json={"x": [1.0, 2.0]})
        clock.advance(31)  # the first student's network has been idle 61 s, the others 31 s
        response = client.post(f"{API}/networks", json={"sizes": [2, 2]})
        assert response.status_code == 201  # it makes room with the idle one only
        assert client.get(f"{API}/networks/{students[0]['id']}").status_code == 404
        students = [*students[1:], response.json()]
        snapshot = [client.get(f"{API}/networks/{s['id']}").json() for s in students]
        response = client.post(f"{API}/networks", json={"sizes": [2, 2]})
        assert_error(response, 503, "the store is full", "max_networks", "60 s (evict_idle_seconds)")
        assert response.headers["retry-after"] == "60"
        assert [client.get(f"{API}/networks/{s['id']}").json() for s in students] == snapshot  # nothing changed
        # the per-client share: 6 created so far (+1 refused, counted); the 9th creation is refused
        clock.advance(61)  # (the oldest networks are idle again, so there is room)
        assert client.post(f"{API}/networks", json={"sizes": [2, 2]}).status_code == 201
        response = client.post(f"{API}/networks", json={"sizes": [2, 2]})
        assert_error(response, 429, "too many networks created from testclient", "at most 8 per 1000 s")
        assert int(response.headers["retry-after"]) >= 1
        assert len(client.app.state.store) == 5  # type: ignore[attr-defined]
        clock.advance(1000)
        assert client.post(f"{API}/networks", json={"sizes": [2, 2]}).status_code == 201  # the window moved
        still_answers(client)


def test_one_unstorable_network_does_not_cost_the_others_their_save(tmp_path: Any) -> None:
    # An int beyond 64 bits (orjson refuses it) once dropped the SQLite writer's whole batch; now each
    # network is written on its own, so only that one write fails.
    backend = SqliteBackend(tmp_path / "networks.sqlite3")
    good = Network.create(NetworkConfig.build([2, 2], "tanh"))
    bad = Network.create(NetworkConfig.build([2, 2], "tanh"))
    bad.step = 2**64
    backend.insert("a" * 32, records.encode(good, None), 1.0, None)
    with pytest.raises(TypeError):
        backend.insert("b" * 32, records.encode(bad, None), 1.0, None)
    backend.insert("c" * 32, records.encode(good, None), 1.0, None)
    assert backend.count() == 2 and backend.exists("a" * 32, 0.0) and backend.exists("c" * 32, 0.0)
    backend.close()
