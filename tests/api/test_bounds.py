"""Answers are bounded up front: one that would exceed max_answer_bytes is a 422 naming the limit
and what to send instead, and nothing runs or changes; each estimate is an upper bound of the real
answer (app/answers.py), and a what-if's offload decision counts every eta's forward pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app import answers, offload
from app.main import create_app
from app.settings import Settings
from ffnn_core import Network, network_from_dict
from tests.api.conftest import API, JSON_TYPE, TestClient, assert_error, make_settings

SMALLEST = 10_000  # the smallest max_answer_bytes Settings allows


def test_too_large_answers_are_refused_before_any_work() -> None:
    settings = make_settings(max_answer_bytes=200_000, max_width=64, max_parameters=10_000, max_batch=64)
    with TestClient(create_app(settings)) as client:
        body = {"sizes": [2, 64, 64, 2], "dataset": {"name": "moons", "n": 200}}
        net = client.post(f"{API}/networks", json=body).json()
        url = f"{API}/networks/{net['id']}"
        rows = {"rows": list(range(40))}
        assert_error(client.post(f"{url}/contributions", json={**rows, "layer": 2}), 422,
                     "max_answer_bytes = 200000", "fewer rows")  # fmt: skip
        assert_error(client.post(f"{url}/backward", json=rows), 422, "max_answer_bytes", "fewer rows")
        assert_error(client.post(f"{url}/step", json=rows), 422, "max_answer_bytes")
        assert client.get(url).json()["step"] == 0  # the refused step changed nothing
        assert client.post(f"{url}/forward", json={"rows": [0]}).status_code == 200  # small answers pass
        snapshot = {"epochs": 1, "snapshot": {"surface_resolution": 60}}
        assert_error(client.post(f"{url}/train/stream", json=snapshot), 422, "max_answer_bytes", "surface_resolution")
        assert client.get(url).json()["epoch"] == 0


# --- every route whose answer can pass the smallest limit -----------------------------------


@pytest.fixture
def two_apps(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps on one store: ``big`` with room for every answer, ``small`` with the smallest
    max_answer_bytes (as a server restarted with a lower limit would find its networks)."""
    store = f"sqlite://{tmp_path / 'networks.sqlite3'}"
    common: dict[str, Any] = {
        "store": store,
        "max_layers": 40,
        "max_width": 256,
        "max_parameters": 10_000,
        "max_body_bytes": 2_000_000,
    }
    big = make_settings(**common, max_answer_bytes=50_000_000)
    small = make_settings(**common, max_answer_bytes=SMALLEST)
    with TestClient(create_app(big)) as big_client, TestClient(create_app(small)) as small_client:
        yield big_client, small_client


def _create(client: TestClient, sizes: list[int], n: int = 200, **dataset: Any) -> str:
    body = {"sizes": sizes, "activation": "tanh", "dataset": {"name": "moons", "n": n, **dataset}}
    response = client.post(f"{API}/networks", json=body)
    assert response.status_code == 201, response.text
    return f"{API}/networks/{response.json()['id']}"


def _refused(response: Any, *instead: str) -> None:
    assert_error(response, 422, f"max_answer_bytes = {SMALLEST}", "MB of JSON", *instead)


def test_every_large_answer_is_refused_up_front(two_apps: tuple[TestClient, TestClient]) -> None:
    big, small = two_apps
    url = _create(big, [2, 8, 8, 2])  # small enough that its own answer fits the smallest limit
    rows = {"rows": list(range(20))}
    _refused(small.get(f"{url}/surface", params={"resolution": 60}), "smaller resolution")
    assert small.get(f"{url}/surface", params={"resolution": 5}).status_code == 200
    _refused(small.post(f"{url}/gradcheck", json={"rows": [0]}), "max_entries")
    _refused(small.post(f"{url}/paths", json={**rows, "layer": 1, "i": 0, "j": 0, "max_paths": 100}), "max_paths")
    assert small.post(f"{url}/paths", json={**rows, "layer": 1, "i": 0, "j": 0, "max_paths": 2}).status_code == 200
    derivation = {**rows, "quantity": "grad_W", "layer": 2, "index": [0, 0]}
    _refused(small.post(f"{url}/derivation", json=derivation), "fewer rows")
    _refused(small.post(f"{url}/what-if", json={"rows": [0], "etas": [0.1] * 200}), "fewer etas")
    assert small.post(f"{url}/what-if", json={"rows": [0], "etas": [0.1] * 20}).status_code == 200
    _refused(small.post(f"{url}/projection", json={"layer": 1}), "fewer points")
    _refused(small.post(f"{url}/train", json={"epochs": 50}), "fewer epochs")
    _refused(small.get(f"{API}/datasets/moons", params={"n": 1000}), "fewer points (n)")
    assert small.get(f"{API}/datasets/moons", params={"n": 20}).status_code == 200

    wide = _create(big, [2, 256, 2])
    _refused(small.post(f"{wide}/blame", json={"rows": [0], "layer": 0, "j": 0}), "narrower")
    deep = _create(big, [2] * 32)
    _refused(small.post(f"{deep}/diagnostics", json={"rows": [0]}), "fewer layers")
    many = _create(big, [2, 2, 2], n=5000, test_fraction=0.0)
    _refused(small.get(f"{many}/evaluation", params={"split": "train"}), "fewer points")
    assert big.get(f"{many}/evaluation", params={"split": "train"}).status_code == 200

    assert big.get(url).json()["epoch"] == 0  # the refused training did not run


def test_network_answers_are_bounded_and_refusals_change_nothing(two_apps: tuple[TestClient, TestClient]) -> None:
    big, small = two_apps
    url = _create(big, [2, 64, 64, 2])  # 4482 parameters: about 110 KB of JSON
    before = big.get(f"{url}/export").json()
    count = small.app.state.store.count()
    body = {"sizes": [2, 64, 64, 2]}
    _refused(small.post(f"{API}/networks", json=body), "fewer parameters")
    _refused(small.post(f"{API}/networks/import", json=before), "fewer parameters")
    assert small.app.state.store.count() == count  # neither made a network
    _refused(small.get(url))
    _refused(small.get(f"{url}/export"))
    state = {key: before[key] for key in ("W", "b", "step", "epoch", "optimizer_state")}
    zeros = {"W": [[[0.0] * len(row) for row in W] for W in before["W"]], "b": [[0.0] * len(b) for b in before["b"]]}
    _refused(small.put(f"{url}/parameters", json=zeros))
    _refused(small.patch(f"{url}/parameters", json={"name": "W", "layer": 1, "i": 0, "j": 0, "value": 5.0}))
    _refused(small.put(f"{url}/state", json={**state, **zeros, "step": 7}))
    big.post(f"{url}/step", json={"rows": [0]})
    _refused(small.post(f"{url}/reset", headers=JSON_TYPE))
    after = big.get(f"{url}/export").json()
    assert after["step"] == 1 and after["W"] != before["W"]  # the step, and nothing refused, changed it
    small_net = _create(small, [2, 8, 2])  # a network that fits: every network route answers
    for response in (
        small.get(small_net),
        small.get(f"{small_net}/export"),
        small.post(f"{small_net}/reset", headers=JSON_TYPE),
    ):
        assert response.status_code == 200, response.text


def test_fixed_answers_fit_the_smallest_limit() -> None:
    """The answers not shaped by a request (lists, limits, lessons) are always below any limit."""
    with TestClient(create_app(make_settings())) as client:
        lessons = client.get(f"{API}/lessons").json()
        fixed = [f"{API}/meta", f"{API}/datasets", f"{API}/lessons"]
        fixed += [f"{API}/lessons/{lesson['id']}" for lesson in lessons]
        for path in fixed:
            response = client.get(path)
            assert response.status_code == 200 and len(response.content) < SMALLEST, path


# --- the estimates are upper bounds of the real answers -------------------------------------

ROOMY = make_settings(max_answer_bytes=10**12, max_width=256, max_parameters=100_000, max_batch=1000,
                      max_surface_resolution=200, max_gradcheck_entries=100_000, max_layers=10,
                      max_epochs=300, max_gradcheck_work=10**13, max_body_bytes=10_000_000)  # fmt: skip


@pytest.fixture(scope="module")
def roomy() -> Iterator[TestClient]:
    with TestClient(create_app(ROOMY)) as client:
        yield client


def _network(client: TestClient, url: str) -> Network:
    return network_from_dict(client.get(f"{url}/export").json(), allow_non_finite=True)


def _within(estimate: int, response: Any) -> None:
    """The estimate bounds the answer, and is not far above it (a few KB excepted: the fixed part's
    allowance; zeros and small integers, as in a linear output's Jacobian, are written short)."""
    assert response.status_code == 200, response.text[:300]
    size = len(response.content)
    assert size <= estimate, (size, estimate)
    assert estimate <= 8 * size + 20 * answers.FIXED_BYTES, (size, estimate)


REGRESSION = {"output": "linear", "loss": "squared_error"}
SHAPES = [  # sizes, dataset (none: the surface and traces only), output and loss
    ([2, 64, 64, 2], {"name": "moons", "n": 400}, {}),
    ([1, 32, 1], {"name": "sine", "n": 400}, REGRESSION),
    ([2, 8, 8, 8, 8, 8, 8, 8, 8, 3], {"name": "blobs", "n": 400, "n_classes": 3}, {}),
    ([2, 256, 256], None, REGRESSION),
]


@pytest.mark.parametrize(("sizes", "data", "output"), SHAPES)
def test_estimates_bound_the_real_answers(
    roomy: TestClient, sizes: list[int], data: dict[str, Any] | None, output: dict[str, str]
) -> None:
    body = {"sizes": sizes, "activation": "tanh", "seed": 3, "dataset": data, **output}
    created = roomy.post(f"{API}/networks", json=body)
    assert created.status_code == 201, created.text
    url = f"{API}/networks/{created.json()['id']}"
    network = _network(roomy, url)
    s, L = ROOMY, network.config.L
    _within(answers.check_network(network.config, s), roomy.get(url))
    x = [[(0.37 * n) % 2 - 1 + 0.013 * j for j in range(sizes[0])] for n in range(200)]
    y = [[1.0 if i == n % sizes[-1] else 0.0 for i in range(sizes[-1])] for n in range(200)]
    _within(answers.check_trace(network, 200, s, backward=False), roomy.post(f"{url}/forward", json={"x": x}))
    _within(answers.check_trace(network, 200, s, backward=True), roomy.post(f"{url}/backward", json={"x": x, "y": y}))
    for resolution in (2, 37, 200 if sizes[-1] < 100 else 60):  # 200 x 200 x 256 outputs: 214 MB
        _within(answers.check_surface(network, resolution, s),
                roomy.get(f"{url}/surface", params={"resolution": resolution}))  # fmt: skip
    adam = {"x": x[:20], "y": y[:20], "optimizer": {"name": "adam", "eta": 0.01}}
    _within(answers.check_trace(network, 20, s, backward=True, step=True), roomy.post(f"{url}/step", json=adam))
    _within(answers.check_network(network.config, s, _network(roomy, url).optimizer_state), roomy.get(f"{url}/export"))
    small = {"x": x[:4], "y": y[:4]}
    entries = min(network.config.n_parameters, 3000)
    per_tensor = {**small, "max_entries": max(1, entries // (2 * L))}
    checked = roomy.post(f"{url}/gradcheck", json=per_tensor)
    counted = sum(len(t["entries"]) for t in checked.json()["tensors"])
    _within(answers.check_gradcheck(network, counted, s), checked)
    paths = roomy.post(f"{url}/paths", json={**small, "layer": 1, "i": 0, "j": 0, "max_paths": 1000})
    _within(answers.check_paths(network, 1, min(1000, len(paths.json()["paths"])), s), paths)
    for quantity, layer, index in [("grad_W", L, [0, 0]), ("a", L, [0]), ("grad_h", 0, [0]), ("grad_a", L, [0])]:
        derivation = roomy.post(f"{url}/derivation", json={"x": x, "y": y, "quantity": quantity, "layer": layer,
                                                           "index": index})  # fmt: skip
        _within(answers.check_derivation(network, quantity, layer, 200, s), derivation)
    _within(answers.check_blame(network, s), roomy.post(f"{url}/blame", json={**small, "layer": 0, "j": 0}))
    _within(answers.check_diagnostics(network, s), roomy.post(f"{url}/diagnostics", json=small))
    etas = [i * 0.0123456789 for i in range(200)]
    _within(answers.check_what_if(200, s), roomy.post(f"{url}/what-if", json={**small, "etas": etas}))
    if data is not None:
        _within(answers.check_projection(network, 1, 400, s), roomy.post(f"{url}/projection", json={"layer": 1}))
        _within(answers.check_history(network, 300, s), roomy.post(f"{url}/train", json={"epochs": 300}))


def test_dataset_and_evaluation_estimates_bound_the_real_answers(roomy: TestClient) -> None:
    for name, query, n_inputs, n_targets in [("moons", {"n": 5000}, 2, 1), ("digits", {"standardize": True}, 64, 1),
                                             ("sine", {"n": 3000}, 1, 1), ("plane", {"n": 1000}, 2, 1)]:  # fmt: skip
        n = query.get("n", 1797)
        _within(answers.check_dataset(n, n_inputs, n_targets, ROOMY), roomy.get(f"{API}/datasets/{name}", params=query))
    body = {"sizes": [64, 16, 10], "dataset": {"name": "digits"}}
    url = f"{API}/networks/{roomy.post(f'{API}/networks', json=body).json()['id']}"
    evaluation = roomy.get(f"{url}/evaluation", params={"split": "train"})
    _within(answers.check_evaluation(evaluation.json()["n"], 10, ROOMY), evaluation)


def test_defaults_allow_normal_sizes() -> None:
    """At the default max_answer_bytes the page's own requests and a 200 x 200 surface pass."""
    settings = Settings(persist=False, gc_freeze=False)
    with TestClient(create_app(settings)) as client:
        url = _create(client, [2, 16, 16, 2])
        assert client.get(f"{url}/surface", params={"resolution": 200}).status_code == 200
        assert client.post(f"{url}/gradcheck", json={"rows": [0, 1]}).status_code == 200
        paths = {"rows": list(range(100)), "layer": 1, "i": 0, "j": 0, "max_paths": 1000}
        assert client.post(f"{url}/paths", json=paths).status_code == 200
        assert client.post(f"{url}/projection", json={"layer": 2}).status_code == 200
        assert client.post(f"{url}/train", json={"epochs": 300}).status_code == 200
        stream = {"epochs": 2, "snapshot": {"surface_resolution": 200, "trace": {"rows": list(range(100))}}}
        with client.stream("POST", f"{url}/train/stream", json=stream) as response:
            assert response.status_code == 200 and b"event: snapshot" in response.read()
        created = client.post(f"{API}/networks", json={"sizes": [2, 256, 256], **REGRESSION})
        wide = f"{API}/networks/{created.json()['id']}"  # the widest output: ~10 M numbers at resolution 200
        assert_error(client.get(f"{wide}/surface", params={"resolution": 200}), 422,
                     f"max_answer_bytes = {settings.max_answer_bytes}", "smaller resolution")  # fmt: skip
        assert client.get(f"{wide}/surface", params={"resolution": 50}).status_code == 200


# --- where a what-if runs -------------------------------------------------------------------


def test_a_large_what_if_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """One backward and 200 forward passes: inline by the backward's size alone, in a thread by all of them."""
    threads: list[str] = []
    in_thread = offload.in_thread

    async def recorded(fn: Callable[[], Any]) -> Any:
        threads.append(getattr(fn, "__qualname__", ""))
        return await in_thread(fn)

    monkeypatch.setattr(offload, "in_thread", recorded)
    settings = make_settings(inline_work_limit=50_000)
    with TestClient(create_app(settings)) as client:
        url = _create(client, [2, 16, 16, 2])  # 354 parameters: 20 rows are 7080 per pass
        rows = {"rows": list(range(20))}
        assert client.post(f"{url}/what-if", json={**rows, "etas": [0.1]}).status_code == 200
        assert threads == []  # two passes: inline
        assert client.post(f"{url}/what-if", json={**rows, "etas": [0.01 * i for i in range(200)]}).status_code == 200
        assert len(threads) == 1 and "_traced" in threads[0]  # 201 passes: in a computing thread


# --- the stream's snapshots: the same surface estimate as GET /surface ------------------------


def _snapshot_events(body: bytes) -> list[bytes]:
    """The data of each `snapshot` event of a server-sent event stream."""
    events = [event.split(b"\n") for event in body.split(b"\n\n") if event]
    return [lines[1].removeprefix(b"data: ") for lines in events if lines[0] == b"event: snapshot"]


@pytest.mark.parametrize(("resolution", "rows"), [(2, 0), (36, 1), (120, 50)])
def test_snapshot_estimate_bounds_each_snapshot_and_includes_the_surface(
    roomy: TestClient, resolution: int, rows: int
) -> None:
    url = _create(roomy, [2, 16, 16, 2])
    network = _network(roomy, url)
    trace = {"trace": {"rows": list(range(rows))}} if rows else {}
    body = {"epochs": 2, "snapshot": {"surface_resolution": resolution, **trace}}
    with roomy.stream("POST", f"{url}/train/stream", json=body) as response:
        shots = _snapshot_events(response.read())
    estimate = answers.check_snapshot(network, resolution, rows, ROOMY)
    assert shots and all(len(shot) <= estimate for shot in shots), ([len(s) for s in shots], estimate)
    # the snapshot's surface is estimated as GET /surface's: a surface refused there is refused here too
    assert estimate - answers.check_snapshot(network, None, rows, ROOMY) == answers.surface_bytes(network, resolution)
    surface = roomy.get(f"{url}/surface", params={"resolution": resolution})
    assert len(surface.content) <= answers.check_surface(network, resolution, ROOMY)
