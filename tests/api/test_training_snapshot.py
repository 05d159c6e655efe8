"""The stream's opt-in live view: per-epoch snapshots (parameters, surface, trace) and pacing."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.api.conftest import API, JSON_TYPE, CreateNetwork, TestClient, assert_error
from tests.api.test_training import parse_events

LIVE = {"surface_resolution": 7, "trace": {"rows": [0], "split": "train"}}


def stream(client: TestClient, network_id: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    with client.stream("POST", f"{API}/networks/{network_id}/train/stream", json=body) as response:
        assert response.status_code == 200
        return parse_events(response.read().decode())


def test_without_snapshot_the_stream_is_unchanged(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(dataset={"name": "moons", "n": 40})
    events = stream(client, net["id"], {"epochs": 3, "batch_size": 8})
    assert [kind for kind, _ in events] == ["epoch"] * 3 + ["done"]


def test_each_epoch_is_followed_by_its_snapshot(client: TestClient, create_network: CreateNetwork) -> None:
    spec = {"name": "moons", "n": 40}
    net = create_network(sizes=[2, 3, 3, 2], dataset=spec)
    # Paced, so the reader has taken each epoch before the next snapshot is decided; a reader slower
    # than that (a loaded machine) is sent fewer snapshots by design, never a late one.
    body = {"epochs": 3, "batch_size": 8, "snapshot": LIVE, "pace_ms": 50}
    events = stream(client, net["id"], body)
    kinds = [kind for kind, _ in events]
    assert kinds[:2] == ["epoch", "snapshot"] and kinds.count("epoch") == 3 and kinds[-1] == "done", kinds
    assert all(kinds[i - 1] == "epoch" for i, kind in enumerate(kinds) if kind == "snapshot"), kinds
    # Each snapshot equals what the plain routes answer after the same number of epochs.
    twin = create_network(sizes=[2, 3, 3, 2], dataset=spec)
    url = f"{API}/networks/{twin['id']}"
    after_epoch = {events[i - 1][1]["epoch"]: data for i, (kind, data) in enumerate(events) if kind == "snapshot"}
    for epoch in (data for kind, data in events if kind == "epoch"):
        record = client.post(f"{url}/train", json={"epochs": 1, "batch_size": 8}).json()["history"][0]
        assert record == epoch
        if epoch["epoch"] not in after_epoch:
            continue
        snap = after_epoch[epoch["epoch"]]
        network = client.get(url).json()
        assert (snap["epoch"], snap["step"]) == (epoch["epoch"], epoch["step"]) == (network["epoch"], network["step"])
        assert snap["W"] == network["W"] and snap["b"] == network["b"]
        assert snap["diverged"] is None
        assert snap["surface"] == client.get(f"{url}/surface", params={"resolution": 7}).json()
        assert snap["trace"] == client.post(f"{url}/backward", json=LIVE["trace"]).json()


def test_snapshot_parts_are_optional(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(dataset={"name": "xor", "n": 20})
    events = stream(client, net["id"], {"epochs": 1, "snapshot": {}})
    snap = events[1][1]
    assert events[1][0] == "snapshot" and snap["surface"] is None and snap["trace"] is None
    assert set(snap) == {"epoch", "step", "W", "b", "diverged", "surface", "trace"}


def test_snapshot_trace_with_the_teaching_fault(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(sizes=[2, 3, 3, 2], dataset={"name": "xor", "n": 20})
    trace = {"x": [[0.5, -0.5]], "y": [1], "drop_g_prime_layer": 1}
    events = stream(client, net["id"], {"epochs": 1, "snapshot": {"trace": trace}})
    expected = client.post(f"{API}/networks/{net['id']}/backward", json=trace).json()
    assert events[1][1]["trace"] == expected


@pytest.mark.parametrize(
    ("snapshot", "fragment"),
    [
        ({"surface_resolution": 1}, "surface_resolution"),
        ({"surface_resolution": 201}, "max_surface_resolution"),
        ({"trace": {"rows": [999]}}, "rows"),
        ({"trace": {"x": [[0.1, 0.2]]}}, "y is required"),
        ({"trace": {"rows": [0], "drop_g_prime_layer": 3}}, "drop_g_prime_layer"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_snapshot_is_validated_before_the_stream(
    client: TestClient, create_network: CreateNetwork, snapshot: dict[str, Any], fragment: str
) -> None:
    net = create_network(sizes=[2, 3, 3, 2], dataset={"name": "xor", "n": 20})
    url = f"{API}/networks/{net['id']}/train/stream"
    assert_error(client.post(url, json={"epochs": 1, "snapshot": snapshot}), 422, fragment)
    assert client.get(f"{API}/networks/{net['id']}").json()["epoch"] == 0


@pytest.mark.parametrize("pace", [0, 1001])
def test_pace_limits(client: TestClient, create_network: CreateNetwork, pace: int) -> None:
    net = create_network(dataset={"name": "xor", "n": 20})
    url = f"{API}/networks/{net['id']}/train/stream"
    assert_error(client.post(url, json={"epochs": 1, "pace_ms": pace}), 422, "pace_ms")
    assert_error(client.post(f"{API}/networks/{net['id']}/train", json={"epochs": 1, "pace_ms": 5}), 422, "pace_ms")


def test_pace_spaces_the_epochs_out(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(dataset={"name": "xor", "n": 20})
    started = time.monotonic()
    events = stream(client, net["id"], {"epochs": 5, "batch_size": 4, "pace_ms": 60})
    assert time.monotonic() - started >= 4 * 0.06
    assert [kind for kind, _ in events] == ["epoch"] * 5 + ["done"]


def test_a_paced_stream_stops_between_epochs(client: TestClient, create_network: CreateNetwork) -> None:
    """Every epoch trained is reported: the network never ends part-way through an epoch."""
    net = create_network(sizes=[2, 8, 2], dataset={"name": "moons", "n": 200})
    url = f"{API}/networks/{net['id']}"
    found: dict[str, Any] = {}

    def run() -> None:
        found["events"] = stream(client, net["id"], {"epochs": 50, "batch_size": 1, "pace_ms": 20})

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    while not client.post(f"{url}/train/stop", headers=JSON_TYPE).json()["stopping"] and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.join(timeout=30)
    events = found["events"]
    done = events[-1][1]
    assert events[-1][0] == "done" and done["stopped"] is True and done["stop_reason"] == "requested"
    epochs = [data for kind, data in events if kind == "epoch"]
    assert len(epochs) < 50
    network = client.get(url).json()
    assert network["epoch"] == done["epoch"] == len(epochs)
    assert network["step"] == done["step"] == (epochs[-1]["step"] if epochs else 0)
