"""Networks kept across restarts: an embedded SQLite file under the data directory.

One table: network id -> its export document (``GET .../export``: the core's
``network_to_dict`` plus the dataset spec) as JSON, and when it was last used. On start-up the
store reads every row back (``load_all``) and drops the ones that expired meanwhile.

A request never waits for the disk. ``save`` and ``delete`` hand the change to a writer thread,
which encodes it and commits it (straight away, with whatever else is pending, in one
transaction); SQLite's own checkpoints run in that thread too. The file is in WAL mode with
``synchronous=NORMAL``: a commit is in the operating system's cache, which outlives the server
process. A network has at most one change not yet committed: a second change of the same network
waits (on the event loop) until the first is committed, which only happens when requests on one
network follow each other within about a millisecond. So a crash of the server loses at most the
last step of each network; a power cut can lose the changes since the last checkpoint, and never
corrupts the file. ``benchmarks/bench_persistence.py`` measures what a save adds to a step.

Numbers round-trip bit-exactly: JSON holds each float64 as its shortest repr. orjson encodes
finite numbers fast; a document with NaN or infinity (a diverged network) is written by the
standard library's json, which keeps them (as NaN/Infinity) instead of turning them into null.
"""

from __future__ import annotations

import atexit
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from app import startup
from app.settings import Settings

logger = logging.getLogger("backprop_lab.persistence")

FILENAME = "networks.sqlite3"
SCHEMA_VERSION = 1
MAX_WAIT_SECONDS = 2.0  # longest a change waits for the previous change of its network
_SCHEMA = """
CREATE TABLE IF NOT EXISTS networks (
    id        TEXT PRIMARY KEY,
    document  TEXT NOT NULL,  -- the export document, JSON
    last_used REAL NOT NULL   -- seconds since the epoch
)
"""  # a rowid table: WITHOUT ROWID makes rewriting a large document about 15 times slower
_UPSERT = (
    "INSERT INTO networks (id, document, last_used) VALUES (?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET document = excluded.document, last_used = excluded.last_used"
)

_Change = tuple[dict[str, Any], float] | None  # (document, last_used) to save, or None to delete


def encode(document: dict[str, Any]) -> str:
    """JSON text of a document, every float exactly, NaN and infinity included."""
    data = orjson.dumps(document)
    # orjson writes a non-finite float as null; the only nulls a document may hold otherwise
    # are in its dataset spec. More nulls than that: encode with the standard library instead.
    if data.count(b"null") > orjson.dumps(document.get("dataset")).count(b"null"):
        return json.dumps(document, allow_nan=True, separators=(",", ":"))
    return data.decode()


def decode(data: str | bytes) -> dict[str, Any]:
    try:
        document: dict[str, Any] = orjson.loads(data)
    except orjson.JSONDecodeError:  # NaN or Infinity, written by encode's fallback
        document = json.loads(data)
    return document


class SqlitePersistence:
    """The store's ``Persistence`` in an SQLite file, created with its folder on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._pending: dict[str, _Change] = {}  # not yet taken by the writer
        self._writing: set[str] = set()  # taken, not yet committed
        self._thread: threading.Thread | None = None
        self._closing = False
        self.commits = 0  # transactions committed (for tests and benchmarks)

    # --- the Persistence protocol (called from the event loop) ---------------------------------

    def save(self, network_id: str, document: dict[str, Any], last_used: float) -> None:
        self._put(network_id, (document, last_used))

    def delete(self, network_id: str) -> None:
        self._put(network_id, None)

    def load_all(self) -> Iterable[tuple[str, dict[str, Any], float]]:
        """Every stored network: (id, document, last_used), least recently used first."""
        self._start()
        conn = _connect(self.path)
        try:
            stored = conn.execute("SELECT id, document, last_used FROM networks ORDER BY last_used").fetchall()
        finally:
            conn.close()
        loaded = []
        for network_id, data, last_used in stored:
            try:
                document = decode(data)
                if not isinstance(document, dict):
                    raise ValueError(f"a JSON {type(document).__name__}, not a network document")
                loaded.append((network_id, document, float(last_used)))
            except (ValueError, TypeError) as exc:
                logger.warning("dropping unreadable stored network %s: %s", network_id, exc)
                self.delete(network_id)
        return loaded

    # --- lifecycle -----------------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every change so far is committed; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._writing, timeout)

    def close(self) -> None:
        """Commit everything pending, then stop the writer. Idempotent; also run at exit."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()

    # --- internals -----------------------------------------------------------------------------

    def _put(self, network_id: str, change: _Change) -> None:
        self._start()
        with self._cond:
            if self._closing:
                logger.warning("network %s changed after persistence closed; not saved", network_id)
                return
            committed = self._cond.wait_for(
                lambda: network_id not in self._pending and network_id not in self._writing, MAX_WAIT_SECONDS
            )
            if not committed:
                logger.warning("the disk is slow: network %s has two changes waiting to be written", network_id)
            self._pending[network_id] = change
            self._cond.notify_all()

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._cond:
            if self._thread is not None:
                return
            startup.check_data_dir(self.path.parent)  # one line with the fix when it is not writable
            startup.set_aside_if_corrupt(self.path)  # a file SQLite cannot read: moved aside, start empty
            try:
                conn = _connect(self.path)
            except (OSError, sqlite3.Error) as exc:
                raise RuntimeError(
                    f"cannot keep networks in {self.path}: {exc}. Set BACKPROP_DATA_DIR to a writable folder, "
                    "or BACKPROP_PERSIST=0 to keep networks in memory only."
                ) from exc
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, SCHEMA_VERSION):
                    raise RuntimeError(f"{self.path} has schema version {version}; this server uses {SCHEMA_VERSION}")
                conn.execute(_SCHEMA)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            finally:
                conn.close()
            self._thread = threading.Thread(target=self._run, name="persistence", daemon=True)
            self._thread.start()
            atexit.register(self.close)

    def _run(self) -> None:
        conn = _connect(self.path)  # a connection belongs to the thread that uses it
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._pending or self._closing)
                    if not self._pending:  # closing, nothing left
                        return
                    batch, self._pending = self._pending, {}
                    self._writing = set(batch)
                try:
                    _write(conn, batch)
                    self.commits += 1
                except Exception:  # keep the writer alive: log, and go on serving from memory
                    logger.exception("could not write %d network(s) to %s", len(batch), self.path)
                    time.sleep(0.1)  # a failing disk: do not spin
                finally:
                    with self._cond:
                        self._writing = set()
                        self._cond.notify_all()
        finally:
            conn.close()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)  # explicit transactions
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA secure_delete=OFF")  # some builds (Debian's) zero every freed page: twice the writes
    return conn


def _write(conn: sqlite3.Connection, batch: dict[str, _Change]) -> None:
    upserts = []
    for network_id, change in batch.items():
        if change is None:
            continue
        try:  # one document that cannot be written must not cost the others theirs
            upserts.append((network_id, encode(change[0]), change[1]))
        except (TypeError, ValueError, OverflowError):
            logger.exception("network %s cannot be stored; the others of this batch are", network_id)
    deletes = [(i,) for i, change in batch.items() if change is None]
    conn.execute("BEGIN")
    try:
        conn.executemany(_UPSERT, upserts)
        conn.executemany("DELETE FROM networks WHERE id = ?", deletes)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def from_settings(settings: Settings) -> SqlitePersistence | None:
    """The persistence the settings ask for: an SQLite file under data_dir, or none."""
    if not settings.persist:
        return None
    return SqlitePersistence(Path(settings.data_dir) / FILENAME)
