"""Training: a whole run, the live stream (SSE), stopping, limits; the server keeps answering."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from app.main import create_app
from tests.api.conftest import API, JSON_TYPE, CreateNetwork, TestClient, assert_error, make_settings, run_async


def parse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_train_answers_the_history(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(dataset={"name": "xor", "n": 40, "test_fraction": 0.25})
    body = {"epochs": 3, "batch_size": 10, "optimizer": {"name": "sgd", "eta": 0.5}}
    result = client.post(f"{API}/networks/{net['id']}/train", json=body).json()
    assert [r["epoch"] for r in result["history"]] == [1, 2, 3]
    assert [r["step"] for r in result["history"]] == [3, 6, 9]  # 30 train rows / 10 per batch
    record = result["history"][0]
    assert set(record) == {
        "epoch", "step", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "grad_W_norms", "grad_a_norms",
    }  # fmt: skip
    assert len(record["grad_W_norms"]) == 2 and len(record["grad_a_norms"]) == 2
    assert 0 <= record["train_accuracy"] <= 1 and record["test_loss"] > 0
    assert (result["step"], result["epoch"], result["stopped"], result["diverged"]) == (9, 3, False, None)
    assert result["stop_reason"] is None
    network = client.get(f"{API}/networks/{net['id']}").json()
    assert (network["step"], network["epoch"]) == (9, 3)


def test_train_on_regression_without_a_test_split(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(
        sizes=[1, 8, 1], output="linear", loss="squared_error", dataset={"name": "sine", "test_fraction": 0.0}
    )
    result = client.post(f"{API}/networks/{net['id']}/train", json={"epochs": 2}).json()
    assert result["history"][-1]["train_accuracy"] is None and result["history"][-1]["test_loss"] is None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"epochs": 51}, "max_epochs = 50"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1, "batch_size": 501}, "max_train_batch_size = 500"),
        ({"epochs": 1, "batch_size": 0}, "batch_size"),
        ({"epochs": 1.5}, "epochs"),
        ({"epochs": 1, "optimizer": {"name": "newton"}}, "optimizer.name"),
    ],
)
def test_train_limits(client: TestClient, create_network: CreateNetwork, body: dict[str, Any], fragment: str) -> None:
    net = create_network(dataset={"name": "xor", "n": 20})
    for route in ("train", "train/stream"):
        assert_error(client.post(f"{API}/networks/{net['id']}/{route}", json=body), 422, fragment)
    assert client.get(f"{API}/networks/{net['id']}").json() == net


def test_train_needs_a_dataset(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network()
    for route in ("train", "train/stream"):
        assert_error(client.post(f"{API}/networks/{net['id']}/{route}", json={"epochs": 1}), 422, "no dataset")


def test_stream_sends_each_epoch_then_done(client: TestClient, create_network: CreateNetwork) -> None:
    net = create_network(dataset={"name": "moons", "n": 40})
    body = {"epochs": 4, "batch_size": 8}
    gzip_ok = {"Accept-Encoding": "gzip"}
    with client.stream("POST", f"{API}/networks/{net['id']}/train/stream", json=body, headers=gzip_ok) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in response.headers  # never gzipped (GZipMiddleware skips event streams)
        events = parse_events(response.read().decode())
    assert [kind for kind, _ in events] == ["epoch"] * 4 + ["done"]
    assert [data["epoch"] for _, data in events[:4]] == [1, 2, 3, 4]
    assert events[-1][1] == {"diverged": None, "stopped": False, "stop_reason": None, "step": 16, "epoch": 4}
    # the same numbers as a plain training run of an identical network
    twin = create_network(dataset={"name": "moons", "n": 40})
    history = client.post(f"{API}/networks/{twin['id']}/train", json=body).json()["history"]
    assert [data for _, data in events[:4]] == history


def test_stop_a_running_training(settings: Any, create_network: CreateNetwork, client: TestClient) -> None:
    net = create_network(sizes=[2, 16, 16, 2], dataset={"name": "spiral", "n": 2000})
    url = f"{API}/networks/{net['id']}"
    assert client.post(f"{url}/train/stop", headers=JSON_TYPE).json() == {"stopping": False}  # nothing running
    answer: dict[str, Any] = {}

    def run() -> None:
        answer.update(client.post(f"{url}/train", json={"epochs": 50, "batch_size": 1}).json())

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    while True:
        stop = client.post(f"{url}/train/stop", headers=JSON_TYPE)
        assert stop.status_code == 202
        if stop.json()["stopping"] or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    worker.join(timeout=30)
    assert answer["stopped"] is True and answer["stop_reason"] == "requested"
    assert len(answer["history"]) < 50
    network = client.get(url).json()
    assert network["step"] == answer["step"]


def test_training_is_bounded_in_time(create_network: CreateNetwork) -> None:
    with TestClient(create_app(make_settings(max_train_seconds=0.2))) as client:
        body = {"sizes": [2, 16, 16, 2], "dataset": {"name": "spiral", "n": 2000}}
        net = client.post(f"{API}/networks", json=body).json()
        started = time.monotonic()
        result = client.post(f"{API}/networks/{net['id']}/train", json={"epochs": 50, "batch_size": 1}).json()
        assert time.monotonic() - started < 5
        assert result["stopped"] is True and result["stop_reason"] == "time_limit"


def test_deleting_the_network_stops_its_training() -> None:
    async def scenario() -> None:
        app = create_app(make_settings())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = {"sizes": [2, 16, 16, 2], "dataset": {"name": "spiral", "n": 2000}}
            net = (await client.post(f"{API}/networks", json=body)).json()
            url = f"{API}/networks/{net['id']}"
            train = asyncio.create_task(client.post(f"{url}/train", json={"epochs": 50, "batch_size": 1}))
            while not (await client.post(f"{url}/train/stop", headers=JSON_TYPE)).json()["stopping"]:
                await asyncio.sleep(0.01)
            result = (await train).json()
            assert result["stop_reason"] == "requested"
            train = asyncio.create_task(client.post(f"{url}/train", json={"epochs": 50, "batch_size": 1}))
            await asyncio.sleep(0.2)
            assert (await client.delete(url)).status_code == 204
            result = (await asyncio.wait_for(train, 20)).json()
            assert result["stop_reason"] == "deleted"
            assert (await client.get(url)).status_code == 404

    run_async(scenario())


@pytest.fixture
def live_server() -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 (a real connection that a client can close)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(make_settings()), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


def test_closing_the_stream_stops_the_training(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        body = {"sizes": [2, 16, 16, 2], "dataset": {"name": "spiral", "n": 2000}}
        net = client.post(f"{API}/networks", json=body).json()
        url = f"{API}/networks/{net['id']}"
        with client.stream("POST", f"{url}/train/stream", json={"epochs": 50, "batch_size": 1}) as response:
            for line in response.iter_lines():
                if line.startswith("event: epoch"):
                    break  # leave after the first epoch: the connection closes
        started = time.monotonic()
        network = client.get(url).json()  # waits for the training to end
        assert time.monotonic() - started < 15
        assert 1 <= network["epoch"] < 50
        assert client.post(f"{url}/train/stop", headers=JSON_TYPE).json() == {"stopping": False}


def test_the_server_answers_while_training(create_network: CreateNetwork) -> None:
    """Training runs in a worker thread: other networks' requests are answered meanwhile."""

    async def scenario() -> None:
        app = create_app(make_settings())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = {"sizes": [2, 16, 16, 2], "dataset": {"name": "spiral", "n": 2000}}
            busy = (await client.post(f"{API}/networks", json=body)).json()
            idle = (await client.post(f"{API}/networks", json={"sizes": [2, 3, 2]})).json()
            train = asyncio.create_task(
                client.post(f"{API}/networks/{busy['id']}/train", json={"epochs": 3, "batch_size": 1})
            )
            await asyncio.sleep(0.05)
            answered_during = 0
            while not train.done():
                response = await client.post(f"{API}/networks/{idle['id']}/forward", json={"x": [1.0, 2.0]})
                assert response.status_code == 200
                answered_during += 1
                await asyncio.sleep(0.005)
            assert answered_during > 3
            assert (await train).json()["epoch"] == 3

    run_async(scenario())
