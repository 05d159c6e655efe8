"""The embedded store backend: one SQLite file (WAL) shared by any number of worker processes.

One row per network: its binary record (``app.records``), version, last use, creating client,
lease (holder and until when) and training marks. Each thread has its own connection; every
operation is one short transaction (``BEGIN IMMEDIATE`` where it reads then writes), so workers
never see half a change. ``synchronous=NORMAL`` in WAL mode: a commit survives the server process
dying; a power cut can lose the last commits but never corrupts the file. The store calls these
methods from worker threads (``blocking = True``), so a slow disk never stalls the event loop.

A file written by an older version (schema 1: JSON documents) is converted on first open.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from app import records, startup
from app.backends import BUSY, GONE, LOST, Fenced, Heartbeat, Lease, Loaded
from app.settings import Settings
from ffnn_core import network_from_dict

logger = logging.getLogger("backprop_lab.persistence")

FILENAME = "networks.sqlite3"
SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS networks (
    id          TEXT PRIMARY KEY,
    record      BLOB NOT NULL,              -- app.records: the network's whole state
    version     INTEGER NOT NULL,           -- raised by every write
    last_used   REAL NOT NULL,              -- the store's clock (seconds)
    client      TEXT,                       -- who created it
    holder      TEXT,                       -- who holds the lease
    lease_until REAL NOT NULL DEFAULT 0,    -- wall clock (time.time())
    training    INTEGER NOT NULL DEFAULT 0, -- the holder trains it
    stop        INTEGER NOT NULL DEFAULT 0  -- someone asked that training to stop
);
CREATE INDEX IF NOT EXISTS networks_by_last_used ON networks (last_used);
CREATE TABLE IF NOT EXISTS creations (      -- networks created per client, within the window only
    client TEXT NOT NULL,
    at     REAL NOT NULL                    -- the store's clock (seconds)
);
CREATE INDEX IF NOT EXISTS creations_by_client ON creations (client, at);
CREATE INDEX IF NOT EXISTS creations_by_time ON creations (at);
"""
# A write or renewal by ``holder``: its lease, or nobody's and the version it read (app.backends).
_FENCE = "id = ? AND ((holder = ? AND lease_until > ?) OR ((holder IS NULL OR lease_until <= ?) AND version = ?))"


def _fence_args(network_id: str, holder: str, version: int, now: float) -> tuple[str, str, float, float, int]:
    return network_id, holder, now, now, version


def _refusal(conn: sqlite3.Connection, network_id: str) -> Fenced:
    """Why a fenced write or renewal changed no row."""
    return LOST if conn.execute("SELECT 1 FROM networks WHERE id = ?", (network_id,)).fetchone() else GONE


class SqliteBackend:
    """The store's backend in an SQLite file, created with its folder on first use."""

    blocking = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._mutex = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            startup.set_aside_if_corrupt(path)  # a file SQLite cannot read: moved aside, start empty
            conn = self._connect()
        except (OSError, sqlite3.Error) as exc:
            raise RuntimeError(
                f"cannot keep networks in {path}: {exc}. Set BACKPROP_DATA_DIR to a writable folder, "
                "or BACKPROP_PERSIST=0 to keep networks in memory only."
            ) from exc
        with self._transaction(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 1:
                _convert_schema_1(conn)
            elif version not in (0, SCHEMA_VERSION):
                raise RuntimeError(f"{path} has schema version {version}; this server uses {SCHEMA_VERSION}")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # --- connections and transactions ------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA secure_delete=OFF")  # Debian's build zeroes every freed page: twice the writes
            self._local.conn = conn
            with self._mutex:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        conn = conn if conn is not None else self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # --- the Backend interface -------------------------------------------------------------------

    def insert(self, network_id: str, record: bytes, last_used: float, client: str | None) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO networks (id, record, version, last_used, client) VALUES (?, ?, 1, ?, ?)",
                (network_id, record, last_used, client),
            )

    def acquire(
        self, network_id: str, holder: str, lease_seconds: float, cached_version: int | None, expired_before: float
    ) -> Loaded | Literal["busy"] | None:
        now = time.time()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT version, last_used, holder, lease_until FROM networks WHERE id = ?", (network_id,)
            ).fetchone()
            if row is None:
                return None
            version, last_used, current, lease_until = row
            if current is not None and lease_until > now:
                return BUSY
            if last_used < expired_before:
                conn.execute("DELETE FROM networks WHERE id = ?", (network_id,))
                return None
            conn.execute(
                "UPDATE networks SET holder = ?, lease_until = ?, training = 0, stop = 0 WHERE id = ?",
                (holder, now + lease_seconds, network_id),
            )
            if cached_version == version:
                return Loaded(version, None)
            (record,) = conn.execute("SELECT record FROM networks WHERE id = ?", (network_id,)).fetchone()
            return Loaded(version, bytes(record))

    def write(self, network_id: str, holder: str, version: int, record: bytes, lease_seconds: float) -> int | Fenced:
        now = time.time()
        with self._transaction() as conn:
            row = conn.execute(
                f"UPDATE networks SET record = ?, version = version + 1, holder = ?, lease_until = ? "
                f"WHERE {_FENCE} RETURNING version",
                (record, holder, now + lease_seconds, *_fence_args(network_id, holder, version, now)),
            ).fetchone()
            return int(row[0]) if row is not None else _refusal(conn, network_id)

    def release(self, network_id: str, holder: str, last_used: float) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE networks SET holder = NULL, lease_until = 0, training = 0, stop = 0, "
                "last_used = max(last_used, ?) WHERE id = ? AND holder = ?",
                (last_used, network_id, holder),
            )

    def renew(self, leases: dict[str, Lease], lease_seconds: float) -> dict[str, Heartbeat | Fenced]:
        now = time.time()
        answer: dict[str, Heartbeat | Fenced] = {}
        with self._transaction() as conn:
            for network_id, lease in leases.items():
                row = conn.execute(
                    f"UPDATE networks SET holder = ?, lease_until = ? WHERE {_FENCE} RETURNING stop",
                    (lease.holder, now + lease_seconds, *_fence_args(network_id, lease.holder, lease.version, now)),
                ).fetchone()
                answer[network_id] = Heartbeat(bool(row[0])) if row is not None else _refusal(conn, network_id)
        return answer

    def mark_training(self, network_id: str, holder: str) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE networks SET training = 1, stop = 0 WHERE id = ? AND holder = ?", (network_id, holder))

    def request_stop(self, network_id: str) -> bool | None:
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT training, holder, lease_until FROM networks WHERE id = ?", (network_id,)
            ).fetchone()
            if row is None:
                return None
            running = bool(row[0]) and row[1] is not None and row[2] > time.time()
            if running:
                conn.execute("UPDATE networks SET stop = 1 WHERE id = ?", (network_id,))
            return running

    def exists(self, network_id: str, expired_before: float) -> bool:
        row = (
            self._connect()
            .execute(
                "SELECT 1 FROM networks WHERE id = ? AND (last_used >= ? OR (holder IS NOT NULL AND lease_until > ?))",
                (network_id, expired_before, time.time()),
            )
            .fetchone()
        )
        return row is not None

    def delete(self, network_id: str) -> bool:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM networks WHERE id = ?", (network_id,)).rowcount > 0

    def sweep(self, expired_before: float, max_networks: int, evict_before: float) -> list[str]:
        now = time.time()
        with self._transaction() as conn:
            gone = [
                i
                for (i,) in conn.execute(
                    "DELETE FROM networks WHERE last_used < ? AND (holder IS NULL OR lease_until <= ?) RETURNING id",
                    (expired_before, now),
                ).fetchall()
            ]
            (count,) = conn.execute("SELECT count(*) FROM networks").fetchone()
            excess = count - max_networks
            if excess > 0:
                victims = conn.execute(
                    "SELECT id FROM networks WHERE last_used <= ? AND (holder IS NULL OR lease_until <= ?) "
                    "ORDER BY last_used LIMIT ?",
                    (evict_before, now, excess),
                ).fetchall()
                conn.executemany("DELETE FROM networks WHERE id = ?", victims)
                gone += [i for (i,) in victims]
            return gone

    def count_creation(self, client: str, now: float, window_seconds: float, limit: int) -> float | None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM creations WHERE at <= ?", (now - window_seconds,))  # every client's old ones
            window = conn.execute("SELECT count(*), min(at) FROM creations WHERE client = ?", (client,))
            count, oldest = window.fetchone()
            if count >= limit:
                return float(oldest) + window_seconds - now
            conn.execute("INSERT INTO creations (client, at) VALUES (?, ?)", (client, now))
            return None

    def count(self) -> int:
        (count,) = self._connect().execute("SELECT count(*) FROM networks").fetchone()
        return int(count)

    def close(self) -> None:
        with self._mutex:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()


def _convert_schema_1(conn: sqlite3.Connection) -> None:
    """Schema 1 kept each network as its JSON export document; rewrite them as records."""
    old = conn.execute("SELECT id, document, last_used FROM networks").fetchall()
    conn.execute("ALTER TABLE networks RENAME TO networks_v1")
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    for network_id, document, last_used in old:
        try:
            doc = json.loads(document)  # the standard library reads NaN/Infinity too
            network = network_from_dict(doc, allow_non_finite=True)
            spec = doc.get("dataset") if isinstance(doc.get("dataset"), dict) else None
        except (ValueError, TypeError) as exc:
            logger.warning("dropping unreadable stored network %s: %s", network_id, exc)
            continue
        conn.execute(
            "INSERT INTO networks (id, record, version, last_used) VALUES (?, ?, 1, ?)",
            (network_id, records.encode(network, spec), float(last_used)),
        )
    conn.execute("DROP TABLE networks_v1")


def sqlite_backend(settings: Settings) -> SqliteBackend | None:
    """The SQLite file under data_dir, or None when the settings keep networks in memory only."""
    if not settings.persist:
        return None
    return SqliteBackend(Path(settings.data_dir) / FILENAME)
