"""The one small interface every network store backend implements, and the in-memory backend.

A backend keeps, per network id: its binary record (``app.records``), a version number (raised
by every write, so a worker's cached copy is checked by comparing numbers), when it was last used
(the store's clock), the client that created it, and a lease: which holder may change it and until
when (wall-clock seconds, ``time.time()``; a holder that dies loses it when the lease runs out).
While a training runs its holder marks it, so a stop can be asked of it from any worker.

Writes and renewals are fenced: they succeed while the lease is the caller's, or when nobody holds
it and the network is still at the version the caller read (a holder that outlived its lease while
nobody else wanted the network keeps it). Otherwise they answer LOST, apart from GONE (deleted):
another request may have changed the network, so the caller's change must not be written.

Methods are synchronous; a backend whose calls do I/O says so with ``blocking = True`` and the
store then calls it from a worker thread, never on the event loop. Backends: ``MemoryBackend``
(one process), ``app.persistence.SqliteBackend`` (one file, many processes), and
``app.redis_store.RedisBackend`` (many machines).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Literal, Protocol

from app.admission import SlidingWindows

BUSY: Literal["busy"] = "busy"  # acquire: another holder has the lease
GONE: Literal["gone"] = "gone"  # write, renew: no such network (deleted or expired)
LOST: Literal["lost"] = "lost"  # write, renew: the lease ran out and another request took or changed it
Fenced = Literal["gone", "lost"]


@dataclass(frozen=True)
class Loaded:
    """What ``acquire`` answers when it got the lease."""

    version: int
    record: bytes | None  # None when the caller's cached version is the current one


@dataclass(frozen=True)
class Heartbeat:
    """A held lease, renewed: ``stop`` when someone asked its training to stop."""

    stop: bool


@dataclass(frozen=True)
class Lease:
    """A lease as its holder knows it: who holds it, and the network's version when last read or written."""

    holder: str
    version: int


class Backend(Protocol):
    blocking: bool

    def insert(self, network_id: str, record: bytes, last_used: float, client: str | None) -> None: ...

    def acquire(
        self, network_id: str, holder: str, lease_seconds: float, cached_version: int | None, expired_before: float
    ) -> Loaded | Literal["busy"] | None:
        """Take the lease. None: no such network (one idle since before ``expired_before`` is deleted
        now and is unknown too); BUSY: another holder has it."""
        ...

    def write(self, network_id: str, holder: str, version: int, record: bytes, lease_seconds: float) -> int | Fenced:
        """Save a new record while holding the lease (and renew it); ``version`` is the one the holder
        read or last wrote. The new version, or GONE / LOST (see above; the record is then not written)."""
        ...

    def release(self, network_id: str, holder: str, last_used: float) -> None:
        """Give the lease back, end any training mark, and set when the network was last used."""
        ...

    def renew(self, leases: dict[str, Lease], lease_seconds: float) -> dict[str, Heartbeat | Fenced]:
        """Extend the leases this worker holds (network id -> holder and the version it holds);
        GONE or LOST for one it no longer has (fenced as ``write`` is)."""
        ...

    def mark_training(self, network_id: str, holder: str) -> None: ...

    def request_stop(self, network_id: str) -> bool | None:
        """Ask a running training to stop: True if one runs, False if none, None for no such network."""
        ...

    def exists(self, network_id: str, expired_before: float) -> bool: ...

    def delete(self, network_id: str) -> bool: ...

    def sweep(self, expired_before: float, max_networks: int, evict_before: float) -> list[str]:
        """Delete networks idle since before ``expired_before`` (unless leased), then, above
        ``max_networks``, the least recently used of those unused since before ``evict_before``
        (never a leased one); the ids deleted."""
        ...

    def count_creation(self, client: str, now: float, window_seconds: float, limit: int) -> float | None:
        """Count one network created by ``client`` at ``now`` (the store's clock) unless it created
        ``limit`` since ``now - window_seconds``: None when counted, else the seconds until the
        oldest of those leaves the window (not counted)."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


@dataclass
class _Row:
    record: bytes
    version: int
    last_used: float
    client: str | None
    holder: str | None = None
    lease_until: float = 0.0
    training: bool = False
    stop: bool = False

    def leased(self, now: float) -> bool:
        return self.holder is not None and self.lease_until > now

    def fence(self, holder: str, version: int, now: float) -> Literal["lost"] | None:
        """None (and the lease is the holder's again) if ``holder`` may write; else LOST."""
        if self.holder == holder and self.lease_until > now:
            return None
        if not self.leased(now) and self.version == version:
            self.holder = holder  # nobody took it or wrote since: the late holder keeps it
            return None
        return LOST


class MemoryBackend:
    """Networks in this process's memory: for one worker without persistence (and for tests)."""

    blocking = False

    def __init__(self) -> None:
        self._rows: dict[str, _Row] = {}
        self._creations = SlidingWindows()
        self._mutex = threading.Lock()  # the store calls from the event loop; tests from threads too

    def insert(self, network_id: str, record: bytes, last_used: float, client: str | None) -> None:
        with self._mutex:
            self._rows[network_id] = _Row(record, 1, last_used, client)

    def acquire(
        self, network_id: str, holder: str, lease_seconds: float, cached_version: int | None, expired_before: float
    ) -> Loaded | Literal["busy"] | None:
        now = time.time()
        with self._mutex:
            row = self._rows.get(network_id)
            if row is None:
                return None
            if row.leased(now):
                return BUSY if row.holder != holder else Loaded(row.version, None)
            if row.last_used < expired_before:
                del self._rows[network_id]
                return None
            row.holder, row.lease_until, row.training, row.stop = holder, now + lease_seconds, False, False
            return Loaded(row.version, None if cached_version == row.version else row.record)

    def write(self, network_id: str, holder: str, version: int, record: bytes, lease_seconds: float) -> int | Fenced:
        now = time.time()
        with self._mutex:
            row = self._rows.get(network_id)
            if row is None:
                return GONE
            refused = row.fence(holder, version, now)
            if refused is not None:
                return refused
            row.record, row.version, row.lease_until = record, row.version + 1, now + lease_seconds
            return row.version

    def release(self, network_id: str, holder: str, last_used: float) -> None:
        with self._mutex:
            row = self._rows.get(network_id)
            if row is not None and row.holder == holder:
                row.holder, row.lease_until, row.training, row.stop = None, 0.0, False, False
                row.last_used = max(row.last_used, last_used)

    def renew(self, leases: dict[str, Lease], lease_seconds: float) -> dict[str, Heartbeat | Fenced]:
        now = time.time()
        answer: dict[str, Heartbeat | Fenced] = {}
        with self._mutex:
            for network_id, lease in leases.items():
                row = self._rows.get(network_id)
                if row is None:
                    answer[network_id] = GONE
                elif (refused := row.fence(lease.holder, lease.version, now)) is not None:
                    answer[network_id] = refused
                else:
                    row.lease_until = now + lease_seconds
                    answer[network_id] = Heartbeat(row.stop)
        return answer

    def mark_training(self, network_id: str, holder: str) -> None:
        with self._mutex:
            row = self._rows.get(network_id)
            if row is not None and row.holder == holder:
                row.training, row.stop = True, False

    def request_stop(self, network_id: str) -> bool | None:
        with self._mutex:
            row = self._rows.get(network_id)
            if row is None:
                return None
            running = row.training and row.leased(time.time())
            row.stop = row.stop or running
            return running

    def exists(self, network_id: str, expired_before: float) -> bool:
        with self._mutex:
            row = self._rows.get(network_id)
            return row is not None and (row.last_used >= expired_before or row.leased(time.time()))

    def delete(self, network_id: str) -> bool:
        with self._mutex:
            return self._rows.pop(network_id, None) is not None

    def sweep(self, expired_before: float, max_networks: int, evict_before: float) -> list[str]:
        now = time.time()
        with self._mutex:
            gone = [i for i, r in self._rows.items() if r.last_used < expired_before and not r.leased(now)]
            for network_id in gone:
                del self._rows[network_id]
            excess = len(self._rows) - max_networks
            if excess > 0:
                idle = [i for i, r in self._rows.items() if r.last_used <= evict_before and not r.leased(now)]
                for network_id in sorted(idle, key=lambda i: self._rows[i].last_used)[:excess]:
                    del self._rows[network_id]
                    gone.append(network_id)
            return gone

    def count_creation(self, client: str, now: float, window_seconds: float, limit: int) -> float | None:
        with self._mutex:
            return self._creations.count(client, now, window_seconds, limit)

    def count(self) -> int:
        return len(self._rows)

    def close(self) -> None:
        pass
