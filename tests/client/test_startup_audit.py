"""The start-up log's count is honest: stored rows that are not networks are dropped at start-up
(each with a warning naming it and why), not on first use, and the log line says how many were
restored and how many dropped; SQLite and Redis alike. The audit reads records' headers only."""

from __future__ import annotations

import logging
import sqlite3
import warnings
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from app import audit, records
from app.backends import Backend
from app.main import create_app
from app.persistence import FILENAME, SqliteBackend
from app.redis_store import PREFIX, RedisBackend
from app.settings import Settings
from ffnn_core import Network, NetworkConfig
from tests.servers import RedisServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _record(seed: int, sizes: tuple[int, ...] = (2, 8, 2)) -> bytes:
    network = Network.create(NetworkConfig.build(sizes, "tanh", seed=seed))
    return records.encode(network, {"name": "xor", "seed": 0})


def _not_networks() -> dict[str, bytes]:
    """One of each kind of stored row that is not a network, by id."""
    good = _record(99)
    n_head = records.header_size(good)
    return {
        "a" * 32: b"",  # empty
        "b" * 32: b"[]",  # too short for a header
        "c" * 32: b"\x02\x00\x00\x00{}",  # a header without the format
        "d" * 32: good[:-8],  # one number short: its config wants more
        "e" * 32: good + b"\x00" * 8,  # one number too many
        "f" * 32: good[:4] + good[4:n_head].replace(b'"tanh"', b'"tanj"') + good[n_head:],  # unknown activation
    }


def _log(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("backprop_lab")]


def _start(backend: Backend, data_dir: Path, caplog: pytest.LogCaptureFixture) -> tuple[TestClient, list[str]]:
    caplog.set_level(logging.INFO, logger="backprop_lab")
    settings = Settings(persist=True, data_dir=str(data_dir), gc_freeze=False)
    client = TestClient(create_app(settings, backend=backend))
    client.__enter__()  # the lifespan (and so the audit) runs here, before any request
    return client, _log(caplog)


def _check_log(messages: list[str], where: str, good: int, bad: dict[str, bytes]) -> None:
    (line,) = [m for m in messages if m.startswith("networks are kept in")]
    assert line == f"networks are kept in {where}: {good} restored, {len(bad)} dropped " + (
        "(not networks; warnings above name them)"
    )
    for network_id in bad:
        (warning,) = [m for m in messages if network_id in m]
        assert warning.startswith(f"dropping stored network {network_id}: not a network (")


def test_sqlite_rows_that_are_not_networks_are_dropped_at_start_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / FILENAME
    seeded = SqliteBackend(path)
    good = {f"{i:032x}": _record(i) for i in range(5)}
    bad = _not_networks()
    for network_id, record in {**good, **bad}.items():
        seeded.insert(network_id, record, 1e12, None)  # last used far in the future: nothing expires
    seeded.close()

    backend = SqliteBackend(path)
    client, messages = _start(backend, tmp_path, caplog)
    try:
        _check_log(messages, str(path), len(good), bad)
        with closing(sqlite3.connect(path)) as conn:  # dropped before any request asked for them
            assert sorted(i for (i,) in conn.execute("SELECT id FROM networks")) == sorted(good)
        for network_id in good:
            assert client.get(f"/api/v1/networks/{network_id}").status_code == 200
        for network_id in bad:
            assert client.get(f"/api/v1/networks/{network_id}").status_code == 404
    finally:
        client.__exit__(None, None, None)
        backend.close()


def test_a_clean_store_says_only_how_many_were_restored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / FILENAME
    seeded = SqliteBackend(path)
    for i in range(3):
        seeded.insert(f"{i:032x}", _record(i), 1e12, None)
    seeded.close()
    backend = SqliteBackend(path)
    client, messages = _start(backend, tmp_path, caplog)
    client.__exit__(None, None, None)
    backend.close()
    assert f"networks are kept in {path}: 3 restored" in messages
    assert not [m for m in messages if "dropping" in m]


def test_redis_rows_that_are_not_networks_are_dropped_at_start_up(
    redis_server: RedisServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    redis_server.flush()
    backend = RedisBackend(redis_server.url)
    good = {f"{i:032x}": _record(i) for i in range(4)}
    bad = _not_networks()
    for network_id, record in {**good, **bad}.items():
        backend.insert(network_id, record, 1e12, None)
    client, messages = _start(backend, tmp_path, caplog)
    try:
        _check_log(messages, "Redis", len(good), bad)
        stored = {k.decode() for k in backend.client.keys(PREFIX + "n:*")}
        assert stored == {PREFIX + "n:" + i for i in good}
        assert backend.count() == len(good)
        for network_id in good:
            assert client.get(f"/api/v1/networks/{network_id}").status_code == 200
    finally:
        client.__exit__(None, None, None)
        redis_server.flush()


def test_the_audit_reads_headers_not_arrays(tmp_path: Path) -> None:
    """A record whose arrays are unreadable bytes of the right length still passes the audit:
    it looked only at the header (the first-use decode reads the numbers, bit for bit)."""
    path = tmp_path / FILENAME
    backend = SqliteBackend(path)
    big = _record(1, (64, 256, 256, 10))
    n_head = records.header_size(big)
    assert len(big) - n_head > 100 * audit.HEAD_BYTES
    scrambled = big[:n_head] + np.random.default_rng(0).bytes(len(big) - n_head)
    backend.insert("9" * 32, scrambled, 1e12, None)
    assert audit.audit(backend).summary() == "1 restored"
    network, _ = records.decode(scrambled)
    assert network.W[0].tobytes() == scrambled[n_head : n_head + 64 * 256 * 8]
    backend.close()
