"""The start-up audit of the stored networks, so that the log's "N restored" is true.

Every stored row is checked for being a network (``records.check``: the record's header says
what its numbers must be, so only the header is read, never the arrays: a store of a thousand
100k-parameter networks is audited in milliseconds, not by reading 800 MB). A row that is not a
network is dropped now, with one warning naming it and why, instead of on its first use.
A row is dropped only while nobody holds it and it is unchanged since it was read, so an audit
running in every worker (each worker of ``serve --workers N`` starts on its own) and a request
that writes the row meanwhile never lose a network.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from app import records
from app.backends import Backend

logger = logging.getLogger("backprop_lab.startup")

HEAD_BYTES = 4096  # read at once from each record: the header of any network we store fits
_REDIS_BATCH = 500  # records whose heads one Redis round trip returns

# Redis: per id, its version, the record's length and its first ARGV[1] bytes (never the whole record).
_REDIS_HEADS = """
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('HGET', key, 'version')
  if v then
    local n = redis.call('HSTRLEN', key, 'record')
    local head = redis.call('HGET', key, 'record')
    out[i] = {v, n, string.sub(head, 1, tonumber(ARGV[1]))}
  else
    out[i] = false
  end
end
return out
"""
# Redis: drop a record that is still the version audited and not leased.
_REDIS_DROP = """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[2] or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('DEL', KEYS[1]); redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"""


@dataclass
class Audit:
    restored: int = 0
    dropped: dict[str, str] = field(default_factory=dict)  # network id -> why it is not a network

    def summary(self) -> str:
        if not self.dropped:
            return f"{self.restored} restored"
        return f"{self.restored} restored, {len(self.dropped)} dropped (not networks; warnings above name them)"


def problem(head: bytes, size: int, whole: Callable[[], bytes]) -> str | None:
    """Why a record of ``size`` bytes starting with ``head`` is not a network; None when it is.
    ``whole()`` reads the whole record, needed only when its header is longer than ``head``."""
    try:
        if len(head) < records.header_size(head) <= size:
            head = whole()
        records.check(head, size)
    except ValueError as exc:
        return str(exc)
    return None


def audit(backend: Backend) -> Audit:
    """Check every stored network (dropping those that are not one) and count the rest."""
    from app.persistence import SqliteBackend

    redis_store = sys.modules.get("app.redis_store")  # imported only by a server that uses Redis
    started = time.perf_counter()
    if isinstance(backend, SqliteBackend):
        result = _audit_sqlite(backend.path)
    elif redis_store is not None and isinstance(backend, redis_store.RedisBackend):
        result = _audit_redis(backend)
    else:  # in memory: nothing outlives the process, so nothing to restore or check
        result = Audit(restored=backend.count())
    for network_id, why in result.dropped.items():
        logger.warning("dropping stored network %s: not a network (%s)", network_id, why)
    took = time.perf_counter() - started
    logger.debug("audited %d stored networks in %.3f s", result.restored + len(result.dropped), took)
    return result


def _audit_sqlite(path: Path) -> Audit:
    result = Audit()
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    try:
        # A small record comes whole with its row; of a large one only the head is read, by blob I/O.
        rows = conn.execute(
            "SELECT rowid, id, version, length(record), CASE WHEN length(record) <= ? THEN record END FROM networks",
            (HEAD_BYTES,),
        ).fetchall()
        bad: list[tuple[str, int]] = []
        for rowid, network_id, version, size, small in rows:
            head = bytes(small) if small is not None else _blob_head(conn, rowid, size)
            if head is None:  # gone meanwhile
                continue
            why = problem(head, size, lambda: _blob_head(conn, rowid, size, size) or b"")  # noqa: B023 (called now)
            if why is None:
                result.restored += 1
                continue
            bad.append((network_id, version))
            result.dropped[network_id] = why
        if not bad:
            return result
        conn.execute("BEGIN IMMEDIATE")
        for network_id, version in bad:
            deleted = conn.execute(
                "DELETE FROM networks WHERE id = ? AND version = ? AND (holder IS NULL OR lease_until <= ?)",
                (network_id, version, time.time()),
            ).rowcount
            if not deleted:  # another worker dropped it first, or it was rewritten: not ours to report
                del result.dropped[network_id]
        conn.execute("COMMIT")
    finally:
        conn.close()
    return result


def _blob_head(conn: sqlite3.Connection, rowid: int, size: int, n: int = HEAD_BYTES) -> bytes | None:
    """The first ``n`` bytes of a record, read incrementally (the rest of the blob stays on disk)."""
    try:
        with conn.blobopen("networks", "record", rowid, readonly=True) as blob:
            return blob.read(min(n, size))
    except sqlite3.OperationalError:  # the row is gone (another worker dropped or expired it)
        return None


def _audit_redis(backend: Backend) -> Audit:
    from app.redis_store import LRU, PREFIX, _keys

    client = backend.client  # type: ignore[attr-defined]
    heads, drop = client.register_script(_REDIS_HEADS), client.register_script(_REDIS_DROP)
    result = Audit()
    ids = [i.decode() if isinstance(i, bytes) else str(i) for i in client.zrange(LRU, 0, -1)]
    for batch in _batches(ids, _REDIS_BATCH):
        answers = heads(keys=[f"{PREFIX}n:{i}" for i in batch], args=[HEAD_BYTES])
        for network_id, answer in zip(batch, answers, strict=True):
            if not answer:
                continue
            version, size, head = answer[0], int(answer[1]), bytes(answer[2])
            key = f"{PREFIX}n:{network_id}"
            why = problem(head, size, lambda: bytes(client.hget(key, "record") or b""))  # noqa: B023 (called now)
            if why is None:
                result.restored += 1
            elif int(drop(keys=_keys(network_id), args=[network_id, version])) == 1:
                result.dropped[network_id] = why
    return result


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
