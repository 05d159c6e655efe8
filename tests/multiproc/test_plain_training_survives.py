"""A plain training (POST .../train, not the stream) survives its worker stopping: on SIGTERM it
stops at its next minibatch, answers (stop_reason shutdown) and is saved, and the worker exits
within 2 s; on kill -9 the progress it saved while running is kept. Two server processes share
one SQLite file; the test watches the file itself (as another reader would) to see the training
run and save, since a plain training answers only at its end."""

from __future__ import annotations

import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

from app import records
from tests.multiproc.conftest import LEASE_SECONDS, StartServer
from tests.servers import AppServer

SPIRAL = {"name": "spiral", "n": 2000, "seed": 1}  # 1,500 minibatches of 1 per epoch: many epochs, each short
LONG_TRAINING = {"epochs": 1000, "batch_size": 1}  # far longer than the test waits: only the stop ends it
WAIT_S = 60.0  # a bound only


def _create(url: str) -> str:
    body = {"sizes": [2, 16, 16, 2], "activation": "tanh", "seed": 1, "dataset": SPIRAL}
    response = httpx.post(f"{url}/networks", json=body, timeout=30)
    assert response.status_code == 201, response.text
    network_id: str = response.json()["id"]
    return network_id


def _in_the_file(path: Path, network_id: str) -> tuple[bool, int]:
    """(whether a training of it runs, the epoch its stored record holds), read from the file."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as conn:
        training, record = conn.execute("SELECT training, record FROM networks WHERE id = ?", (network_id,)).fetchone()
    network, _ = records.decode(bytes(record))
    return bool(training), network.epoch


def _wait_for(path: Path, network_id: str, least_epoch: int) -> int:
    """Wait until a training runs on it and its stored record holds at least ``least_epoch``."""
    deadline = time.monotonic() + WAIT_S
    while True:
        training, epoch = _in_the_file(path, network_id)
        if training and epoch >= least_epoch:
            return epoch
        assert time.monotonic() < deadline, f"no running training saved epoch {least_epoch} (at {epoch})"
        time.sleep(0.05)


def _two_workers_with_a_network(start_server: StartServer, tmp_path: Path) -> tuple[Path, AppServer, AppServer, str]:
    """Two servers on one SQLite file ("one" trains, "two" watches) and a network created on "two"."""
    path = tmp_path / "shared.sqlite3"
    one = start_server(name="one", store=f"sqlite://{path}")
    two = start_server(name="two", store=f"sqlite://{path}")
    return path, one, two, _create(two.url)


def test_sigterm_during_a_plain_training_answers_saves_and_exits_quickly(
    start_server: StartServer, tmp_path: Path
) -> None:
    path, one, two, network_id = _two_workers_with_a_network(start_server, tmp_path)
    with ThreadPoolExecutor(max_workers=1) as pool:
        training = pool.submit(httpx.post, f"{one.url}/networks/{network_id}/train", json=LONG_TRAINING, timeout=WAIT_S)
        saved = _wait_for(path, network_id, 1)
        took = one.stop(signal.SIGTERM)
        answer = training.result(timeout=WAIT_S)
    assert took < 2.0, f"SIGTERM took {took:.2f} s"
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    assert result["stopped"] is True and result["stop_reason"] == "shutdown", result
    assert saved <= result["epoch"] < LONG_TRAINING["epochs"]
    assert [r["epoch"] for r in result["history"]] == list(range(1, result["epoch"] + 1))
    kept = httpx.get(f"{two.url}/networks/{network_id}", timeout=30).json()
    assert kept["epoch"] == result["epoch"] and kept["step"] == result["step"]  # every epoch it answered is kept


def test_kill_9_during_a_plain_training_keeps_what_it_saved(start_server: StartServer, tmp_path: Path) -> None:
    path, one, two, network_id = _two_workers_with_a_network(start_server, tmp_path)
    with ThreadPoolExecutor(max_workers=1) as pool:
        training = pool.submit(httpx.post, f"{one.url}/networks/{network_id}/train", json=LONG_TRAINING, timeout=WAIT_S)
        saved = _wait_for(path, network_id, 2)  # saved at least twice while running (at most once a second)
        one.stop(signal.SIGKILL)
        assert isinstance(training.exception(timeout=WAIT_S), httpx.TransportError)  # it never answered
    answer = httpx.get(f"{two.url}/networks/{network_id}", timeout=float(LEASE_SECONDS) + WAIT_S)
    assert answer.status_code == 200, answer.text  # the dead worker's lease ran out
    kept = answer.json()
    assert saved <= kept["epoch"] < LONG_TRAINING["epochs"]
    assert kept["step"] == kept["epoch"] * 1500  # a whole epoch's record: 1,500 minibatches each
    again = httpx.post(f"{two.url}/networks/{network_id}/train", json={"epochs": 1, "batch_size": 1}, timeout=WAIT_S)
    assert again.status_code == 200 and again.json()["epoch"] == kept["epoch"] + 1  # and it trains on
