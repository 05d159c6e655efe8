"""Networks survive a restart of the server: create and train networks, stop the server, start it
again on the same data directory, and read back bit-identical parameters (and optimiser state,
counters, dataset). A killed server loses at most the last step; expired networks stay gone."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from app import records
from app.backends import Loaded
from app.persistence import FILENAME, SqliteBackend
from ffnn_core import Network, NetworkConfig, network_to_dict

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 30.0
TTL_SECONDS = 3600.0

XOR = {"name": "xor", "seed": 3, "n": 60, "noise": 0.1, "test_fraction": 0.25, "standardize": False}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """`backprop-lab serve` on 127.0.0.1 with persistence on, in a subprocess."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(timeout=30.0)
        self.url = ""

    def start(self) -> None:
        port = _free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("BACKPROP_")}
        env.update(BACKPROP_PERSIST="1", BACKPROP_DATA_DIR=str(self.data_dir), BACKPROP_TTL_SECONDS=str(TTL_SECONDS))
        self.log = (self.data_dir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                self.client.get(self.url + "/meta").raise_for_status()
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.log.flush()
                    pytest.fail("server did not start:\n" + (self.data_dir / "server.log").read_text())
                time.sleep(0.1)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail("server did not stop on " + sig.name)
        self.log.close()
        self.process = None

    def post(self, path: str, body: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
        response = self.client.post(self.url + path, json=body)
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result

    def get(self, path: str) -> httpx.Response:
        return self.client.get(self.url + path)

    def state(self, network_id: str) -> dict[str, Any]:
        """Everything about a network: its public view and its export (with optimiser state)."""
        public = self.get(f"/networks/{network_id}")
        export = self.get(f"/networks/{network_id}/export")
        assert public.status_code == export.status_code == 200, public.text
        return {"network": public.json(), "export": export.json()}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path)
    srv.start()
    yield srv
    if srv.process is not None:
        srv.stop(signal.SIGKILL)
    srv.client.close()


def _create(server: Server, sizes: list[int], **fields: Any) -> str:
    network_id: str = server.post("/networks", {"sizes": sizes, **fields}, status=201)["id"]
    return network_id


def test_restart_restores_identical_networks(server: Server) -> None:
    adam = {"name": "adam", "eta": 0.05}
    trained = _create(server, [2, 5, 2], activation="tanh", seed=11, dataset=XOR)
    server.post(f"/networks/{trained}/train", {"epochs": 2, "batch_size": 8, "optimizer": adam})
    twin = _create(server, [2, 5, 2], activation="tanh", seed=11, dataset=XOR)  # trained after the restart
    stepped = _create(server, [3, 4, 1], activation="relu", output="linear", loss="squared_error", init="he", seed=5)
    x, y = [[0.1, -0.2, 0.3], [1.5, 0.25, -2.0]], [[0.5], [-1.0]]
    for _ in range(3):
        server.post(f"/networks/{stepped}/step", {"x": x, "y": y, "optimizer": {"name": "momentum", "eta": 0.01}})
    edited = _create(server, [2, 2], seed=2)
    server.client.patch(
        f"{server.url}/networks/{edited}/parameters", json={"name": "W", "layer": 1, "i": 0, "j": 1, "value": 0.1 / 3}
    ).raise_for_status()
    deleted = _create(server, [2, 3, 2], seed=1)
    assert server.client.delete(f"{server.url}/networks/{deleted}").status_code == 204
    ids = (trained, twin, stepped, edited)
    before = {network_id: server.state(network_id) for network_id in ids}
    assert before[trained]["export"]["optimizer_state"], "adam should have state to keep"

    server.stop()  # SIGTERM: a normal shutdown
    assert (server.data_dir / FILENAME).is_file()
    server.start()

    for network_id in ids:
        assert server.state(network_id) == before[network_id], f"network {network_id} changed across the restart"
    assert server.get(f"/networks/{deleted}").status_code == 404

    # Restored state is complete: 2 epochs, a restart, 1 epoch == 3 epochs in one go (the epoch
    # counter drives the shuffling and adam's step count and moments carry on).
    server.post(f"/networks/{trained}/train", {"epochs": 1, "batch_size": 8, "optimizer": adam})
    server.post(f"/networks/{twin}/train", {"epochs": 3, "batch_size": 8, "optimizer": adam})
    after_trained, after_twin = server.state(trained)["export"], server.state(twin)["export"]
    assert after_trained["W"] == after_twin["W"] and after_trained["b"] == after_twin["b"]
    assert after_trained["optimizer_state"] == after_twin["optimizer_state"]
    assert (after_trained["step"], after_trained["epoch"]) == (after_twin["step"], after_twin["epoch"])


def test_a_killed_server_loses_at_most_the_last_step(server: Server) -> None:
    network_id = _create(server, [2, 3, 2], seed=4, dataset=XOR)
    results = [
        server.post(f"/networks/{network_id}/step", {"rows": [0, 1, 2, 3], "optimizer": {"name": "sgd", "eta": 0.5}})
        for _ in range(5)
    ]
    server.stop(signal.SIGKILL)  # right after the last answer: no shutdown, nothing flushed
    server.start()
    restored = server.get(f"/networks/{network_id}").json()
    assert restored["step"] in (4, 5)
    assert restored["W"] == results[restored["step"] - 1]["W_after"]


def test_expired_networks_are_not_restored(server: Server) -> None:
    kept = _create(server, [2, 2], seed=1)
    expired = _create(server, [2, 2], seed=2)
    server.stop()
    with closing(sqlite3.connect(server.data_dir / FILENAME)) as conn, conn:
        conn.execute("UPDATE networks SET last_used = ? WHERE id = ?", (time.time() - 2 * TTL_SECONDS, expired))
    server.start()
    assert server.get(f"/networks/{kept}").status_code == 200
    assert server.get(f"/networks/{expired}").status_code == 404
    server.stop()
    with closing(sqlite3.connect(server.data_dir / FILENAME)) as conn:
        assert [row[0] for row in conn.execute("SELECT id FROM networks")] == [kept]


def test_a_diverged_network_is_restored_as_it_was(server: Server) -> None:
    plane = {"name": "plane", "seed": 1, "n": 40}
    network_id = _create(server, [2, 3, 1], activation="linear", output="linear", loss="squared_error", dataset=plane)
    for _ in range(5):  # a learning rate of 1e300 on a linear network overflows within a few steps
        step = {"rows": [0, 1, 2], "optimizer": {"name": "sgd", "eta": 1e300}}
        blown = server.post(f"/networks/{network_id}/step", step)
        if blown["diverged"] is not None:
            break
    assert blown["diverged"] is not None
    before = server.get(f"/networks/{network_id}").json()
    assert before["diverged"] is not None
    server.stop()
    server.start()
    after = server.get(f"/networks/{network_id}")
    assert after.status_code == 200, "a diverged network must survive a restart (the student can still reset it)"
    assert after.json() == before
    reset = server.post(f"/networks/{network_id}/reset", {})
    assert reset["diverged"] is None and reset["step"] == 0


def test_records_round_trip_exactly_non_finite_numbers_included() -> None:
    network = Network.create(NetworkConfig.build([2, 3, 2], "tanh", seed=3))
    network.W[0][0] = [0.1, 1 / 3]
    network.W[0][1] = [5e-324, 1.7976931348623157e308]
    network.W[1][0, 0], network.W[1][1, 1], network.b[0][0], network.b[1][1] = np.nan, np.inf, -0.0, -np.inf
    network.step, network.epoch = 7, 2
    network.optimizer_state = {
        "adam.m_W": [w * 0.5 for w in network.W],
        "adam.m_b": [v / 3 for v in network.b],
        "adam.t": [np.array([3.0])],  # a counter: not shaped like the parameters
    }
    spec = {"name": "xor", "seed": 0, "n": None, "noise": None, "test_fraction": 0.25, "standardize": False}
    back, back_spec = records.decode(records.encode(network, spec))
    assert sorted(back.optimizer_state) == sorted(network.optimizer_state)
    assert back_spec == spec and back.config == network.config and (back.step, back.epoch) == (7, 2)
    for got, want in zip(
        [*back.W, *back.b, *(a for key in sorted(back.optimizer_state) for a in back.optimizer_state[key])],
        [*network.W, *network.b, *(a for key in sorted(network.optimizer_state) for a in network.optimizer_state[key])],
        strict=True,
    ):
        assert got.shape == want.shape and got.tobytes() == want.tobytes()  # bit for bit, NaN and -0.0 too
    with pytest.raises(ValueError, match="record"):
        records.decode(b"\x05\x00\x00\x00nope!")


def test_a_file_of_the_previous_schema_is_converted(tmp_path: Path) -> None:
    network = Network.create(NetworkConfig.build([2, 3, 2], "tanh", seed=8))
    document = {**network_to_dict(network), "dataset": {"name": "xor", "n": 20}}
    document["W"][0][0][0] = float("nan")  # a diverged network, as schema 1 wrote it (NaN in the JSON)
    path = tmp_path / FILENAME
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE networks (id TEXT PRIMARY KEY, document TEXT NOT NULL, last_used REAL NOT NULL)")
        conn.execute("INSERT INTO networks VALUES (?, ?, ?)", ("a" * 32, json.dumps(document), 123.0))
        conn.execute("INSERT INTO networks VALUES (?, ?, ?)", ("b" * 32, "{not json", 124.0))
        conn.execute("PRAGMA user_version=1")
    backend = SqliteBackend(path)
    loaded = backend.acquire("a" * 32, "w:1", 5.0, None, 0.0)
    assert isinstance(loaded, Loaded) and loaded.record is not None
    restored, spec = records.decode(loaded.record)
    assert np.isnan(restored.W[0][0, 0]) and restored.W[1].tobytes() == network.W[1].tobytes()
    assert spec == {"name": "xor", "n": 20}
    assert backend.count() == 1  # the unreadable one was dropped
    backend.close()
