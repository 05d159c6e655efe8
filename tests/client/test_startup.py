"""Start-up that explains itself: an unwritable data folder stops `backprop-lab serve` with one
line naming the folder, the user id and the fix; a database file SQLite cannot read (four kinds)
is moved aside with one log line and the server starts empty; a row that is not a network is
dropped with a warning; the log says where networks are kept and how many were restored."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from app import startup
from app.main import create_app, open_backend
from app.persistence import FILENAME, SqliteBackend
from app.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _serve_once(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    env.update(BACKPROP_PERSIST="1", PYTHONDONTWRITEBYTECODE="1")
    argv = [sys.executable, "-m", "app.cli", "serve", "--port", "9", "--data-dir", str(data_dir)]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


@contextmanager
def _unwritable(folder: Path) -> Iterator[None]:
    """``folder`` made unwritable for this process: mode 555, or for root (who writes anyway) the
    immutable attribute."""
    if os.getuid() != 0:
        folder.chmod(0o555)
        undo = ["chmod", "755", str(folder)]
    else:
        subprocess.run(["chattr", "+i", str(folder)], check=True, timeout=30)
        undo = ["chattr", "-i", str(folder)]
    try:
        yield
    finally:
        subprocess.run(undo, check=True, timeout=30)


def test_unwritable_data_dir_is_one_line_with_the_fix(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    with _unwritable(folder):
        done = _serve_once(folder)
    uid = os.getuid()
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(folder) in lines[0] and f"uid {uid}" in lines[0] and f"chown {uid} {folder}" in lines[0]
    assert "chown 10001" in lines[0] and "BACKPROP_PERSIST=0" in lines[0]


def _app(data_dir: Path) -> tuple[TestClient, SqliteBackend]:
    backend = SqliteBackend(data_dir / FILENAME)
    settings = Settings(persist=True, data_dir=str(data_dir), gc_freeze=False)
    return TestClient(create_app(settings, backend=backend)), backend


def _make_database(data_dir: Path, n_networks: int) -> list[str]:
    client, persistence = _app(data_dir)
    with client:
        bodies = [{"sizes": [2, 8, 2], "seed": i} for i in range(n_networks)]
        ids = [client.post("/api/v1/networks", json=body).json()["id"] for body in bodies]
    persistence.close()
    return ids


def _corrupt(kind: str, good: bytes) -> bytes:
    page = 4096
    return {
        "truncated": good[: len(good) // 2],
        "garbage text": b"not a database, just some text\n" * 200,
        "random bytes": os.urandom(3 * page),
        "overwritten pages": good[:page] + os.urandom(2 * page) + good[3 * page :],
    }[kind]


@pytest.mark.parametrize("kind", ["truncated", "garbage text", "random bytes", "overwritten pages"])
def test_corrupted_database_is_moved_aside_and_the_server_starts_empty(
    tmp_path: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    _make_database(tmp_path, 40)
    path = tmp_path / FILENAME
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    bad = _corrupt(kind, path.read_bytes())
    for extra in (f"{path}-wal", f"{path}-shm"):
        Path(extra).unlink(missing_ok=True)
    path.write_bytes(bad)

    caplog.set_level(logging.INFO, logger="backprop_lab")
    client, persistence = _app(tmp_path)
    with client:
        assert client.get("/api/v1/meta").status_code == 200
        created = client.post("/api/v1/networks", json={"sizes": [2, 2]})
        assert created.status_code == 201
    persistence.close()
    moved = [r.getMessage() for r in caplog.records if "moved aside" in r.getMessage()]
    assert len(moved) == 1 and "\n" not in moved[0], moved
    (aside,) = [f for f in tmp_path.glob(f"{FILENAME}.corrupt-*") if not f.name.endswith(("-wal", "-shm"))]
    assert aside.read_bytes() == bad and str(aside) in moved[0]
    assert any(f"networks are kept in {path}: 0 restored" in r.getMessage() for r in caplog.records)
    with closing(sqlite3.connect(path)) as conn:  # a fresh, working file with the new network
        assert conn.execute("SELECT count(*) FROM networks").fetchone()[0] == 1


def test_a_row_that_is_not_a_network_is_dropped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (good_id,) = _make_database(tmp_path, 1)
    path = tmp_path / FILENAME
    bad = {"0" * 32: b"[]", "1" * 32: b"\x02\x00\x00\x00{}", "2" * 32: b'\x0c\x00\x00\x00{"config":3}', "3" * 32: b""}
    with closing(sqlite3.connect(path)) as conn:
        (last_used,) = conn.execute("SELECT last_used FROM networks").fetchone()
        conn.executemany(
            "INSERT INTO networks (id, record, version, last_used) VALUES (?, ?, 1, ?)",
            [(i, doc, last_used) for i, doc in bad.items()],
        )
        conn.commit()
    caplog.set_level(logging.INFO, logger="backprop_lab")
    client, persistence = _app(tmp_path)
    with client:
        assert client.get(f"/api/v1/networks/{good_id}").status_code == 200
        for network_id in bad:
            assert client.get(f"/api/v1/networks/{network_id}").status_code == 404
    persistence.close()
    messages = [r.getMessage() for r in caplog.records]
    for network_id in bad:
        assert sum(network_id in m and "dropping" in m for m in messages) == 1, messages
    assert any(f"networks are kept in {path}" in m for m in messages)
    with closing(sqlite3.connect(path)) as conn:
        assert [row[0] for row in conn.execute("SELECT id FROM networks")] == [good_id]


@pytest.mark.parametrize("folder", ["plain", "a#b?c%20d"])
@pytest.mark.parametrize("url", ["sqlite://{path}", "sqlite:///{path}"])
def test_every_spelling_of_an_absolute_sqlite_url_opens_the_same_file(tmp_path: Path, folder: str, url: str) -> None:
    """sqlite:///abs (ours) and sqlite:////abs (SQLAlchemy's absolute form) name one file, even in a
    folder whose name has URI characters; the networks in it are restored, nothing is moved aside."""
    data_dir = tmp_path / folder
    ids = _make_database(data_dir, 2)
    where = url.format(path=data_dir / FILENAME)  # {path} starts with "/": 3 or 4 slashes in all
    backend = open_backend(Settings(persist=True, store=where, gc_freeze=False))
    assert isinstance(backend, SqliteBackend) and backend.path == data_dir / FILENAME
    with TestClient(create_app(Settings(persist=True, store=where, gc_freeze=False), backend=backend)) as client:
        for network_id in ids:
            assert client.get(f"/api/v1/networks/{network_id}").status_code == 200
    backend.close()
    assert not list(data_dir.glob("*.corrupt-*"))


def test_a_database_sqlite_cannot_open_is_never_moved_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a file SQLite opens and finds damaged is corrupt; one it cannot open (a lock, the
    operating system) stops the start-up with the reason and is left where it is."""
    _make_database(tmp_path, 1)
    path = tmp_path / FILENAME

    def cannot_open(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(startup.sqlite3, "connect", cannot_open)
    with pytest.raises(RuntimeError, match=f"cannot keep networks in {path}: unable to open database file"):
        SqliteBackend(path)
    assert path.is_file() and not list(tmp_path.glob("*.corrupt-*"))
