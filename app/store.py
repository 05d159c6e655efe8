"""The network store every worker shares: id -> a network's whole state, in a backend.

* Ids are 128 random bits (``secrets.token_hex(16)``, 32 hex characters); nothing lists them.
* The state lives in the backend (``app.backends``: memory, SQLite, Redis). This worker keeps a
  cache of decoded networks; each copy carries the version it was read at, and the backend's
  version is checked whenever the lease is taken, so a copy changed by another worker is read again.
* One request at a time per network, across workers and machines: a request takes the network's
  lease in the backend (first an ``asyncio.Lock`` among this worker's own requests, so they queue
  without polling). The lease runs out ``lease_seconds`` after its last renewal; this worker's
  heartbeat (in a thread of its own) renews the leases it holds, so only a dead holder loses one.
  Writes are fenced: a holder whose lease ran out while another request took or changed the
  network writes nothing and gets LeaseLostError (503, retry), never a silently lost update.
* A network unused for ``ttl_seconds`` expires; above ``max_networks`` the least recently used goes
  first (idle ones before busy ones). Both hold across workers: they are decided in the backend.
* Backend calls that do I/O run in a worker thread; the event loop never waits for the disk.

At the cap, only a network unused for ``evict_idle_seconds`` (and not leased) makes room for a new
one; without one, ``add`` raises StoreFullError (503) and stores nothing. ``add`` takes the creating
``client`` (kept with the network) and calls ``admit(client)`` first (raise to refuse).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

import anyio.to_thread

from app import records
from app.admission import StoreFullError
from app.backends import BUSY, GONE, Backend, Fenced, Heartbeat, Lease, Loaded, MemoryBackend
from app.entries import DatasetSpec, Entry
from ffnn_core import Network

logger = logging.getLogger("backprop_lab.store")

ID_BYTES = 16  # 128 random bits -> 32 hex characters
CACHE_SIZE = 256  # decoded networks this worker keeps
T = TypeVar("T")
__all__ = ["DatasetSpec", "Entry", "LeaseLostError", "NetworkBusyError", "Store", "UnknownNetworkError"]


class UnknownNetworkError(LookupError):
    """No network with this id (never created, deleted, or expired)."""

    def __init__(self, network_id: str) -> None:
        super().__init__(network_id)
        self.network_id = network_id


class LeaseLostError(Exception):
    """A request held the network longer than its lease and another request took it meanwhile
    (or changed it): this request's change was not written, the other's stands."""

    retry_after = 1  # seconds: the other request is usually done by then

    def __init__(self, network_id: str, lease_seconds: float) -> None:
        super().__init__(
            f"network {network_id}: this request held it longer than its lease ({lease_seconds:g} s, lease_seconds) "
            "without renewing it, and another request took the network meanwhile, so this request's change was "
            "NOT saved (the network is as that other request left it); retry the request"
        )
        self.network_id = network_id
        self.lease_seconds = lease_seconds


class NetworkBusyError(Exception):
    """The network's lease stayed with another request for longer than the wait allowed."""

    def __init__(self, network_id: str, waited: float) -> None:
        super().__init__(network_id)
        self.network_id = network_id
        self.waited = waited


class _LocalLock:
    """This worker's queue for one network; dropped when nobody waits."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class Store:
    """Networks by id in a shared backend, with expiry, a least-recently-used cap and leases."""

    def __init__(
        self,
        *,
        ttl_seconds: float,
        max_networks: int,
        clock: Callable[[], float] = time.time,
        backend: Backend | None = None,
        lease_seconds: float = 4.0,
        lock_wait_seconds: float = 130.0,
        evict_idle_seconds: float = 0.0,
        admit: Callable[[str | None], None] | None = None,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_networks = max_networks
        self.clock = clock
        self.backend: Backend = backend if backend is not None else MemoryBackend()
        self.lease_seconds = lease_seconds
        self.lock_wait_seconds = lock_wait_seconds
        self.evict_idle_seconds = evict_idle_seconds  # at the cap, only networks idle this long may go
        self.admit = admit
        self._worker = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._acquisitions = 0
        self._cache: OrderedDict[str, tuple[int, Network, DatasetSpec | None]] = OrderedDict()
        self._local: dict[str, _LocalLock] = {}
        self._held: dict[str, Entry] = {}  # leases this worker holds
        # Renewals get a thread of their own: with every other thread busy (computing, or waiting for
        # the store), a live holder still keeps its leases.
        self._heartbeat_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lease-heartbeat")
        self._lease_mutex = threading.Lock()  # a renewal and a release of this worker's leases, one at a time

    # --- backend calls: in a thread when they do I/O ---------------------------------------------

    async def _call(self, fn: Callable[[], T]) -> T:
        if not self.backend.blocking:
            return fn()
        return await anyio.to_thread.run_sync(fn, abandon_on_cancel=False)

    def _expired_before(self) -> float:
        return self.clock() - self.ttl_seconds

    # --- creating, finding, deleting -------------------------------------------------------------

    def add(self, network: Network, dataset_spec: DatasetSpec | None = None, client: str | None = None) -> str:
        """Store a new network under a fresh random id (may evict the least recently used); its id.
        Synchronous: call it from a thread (``add_async``) when the backend blocks."""
        if self.admit is not None:
            self.admit(client)
        now = self.clock()
        self._forget(self.backend.sweep(self._expired_before(), self.max_networks - 1, now - self.evict_idle_seconds))
        if self.backend.count() >= self.max_networks:
            raise StoreFullError(self.max_networks, self.evict_idle_seconds)
        network_id = secrets.token_hex(ID_BYTES)
        record = records.encode(network, dataset_spec.as_dict() if dataset_spec is not None else None)
        self.backend.insert(network_id, record, now, client)
        return network_id

    async def add_async(
        self, network: Network, dataset_spec: DatasetSpec | None = None, client: str | None = None
    ) -> str:
        return await self._call(lambda: self.add(network, dataset_spec, client))

    async def exists(self, network_id: str) -> bool:
        return await self._call(lambda: self.backend.exists(network_id, self._expired_before()))

    async def remove(self, network_id: str) -> bool:
        """Delete at once (even while a request holds it: that request's changes are then not saved)."""
        removed = await self._call(lambda: self.backend.delete(network_id))
        self._forget([network_id])
        return removed

    async def request_stop(self, network_id: str) -> bool:
        """Stop a running training of this network, whichever worker runs it; UnknownNetworkError."""
        held = self._held.get(network_id)
        running = await self._call(lambda: self.backend.request_stop(network_id))
        if running is None:
            raise UnknownNetworkError(network_id)
        if held is not None and running:
            held.request_stop("requested")  # ours: no need to wait for the heartbeat
        return running

    def sweep(self) -> list[str]:
        """Delete expired networks and those above the cap (synchronous; see ``sweep_async``)."""
        gone = self.backend.sweep(self._expired_before(), self.max_networks, self.clock() - self.evict_idle_seconds)
        self._forget(gone)
        return gone

    async def sweep_async(self) -> list[str]:
        return await self._call(self.sweep)

    async def count_creation(self, client: str, window_seconds: float, limit: int) -> float | None:
        """Count one network created by ``client`` unless it created ``limit`` within the last
        ``window_seconds`` (counted in the backend: every worker shares the count); None when
        counted, else the seconds until it may create again."""
        now = self.clock()
        return await self._call(lambda: self.backend.count_creation(client, now, window_seconds, limit))

    def count(self) -> int:
        return self.backend.count()

    def __len__(self) -> int:
        return self.count()

    def _forget(self, network_ids: list[str]) -> None:
        for network_id in network_ids:
            self._cache.pop(network_id, None)
            held = self._held.get(network_id)
            if held is not None:
                held.request_stop("deleted")

    # --- leases ----------------------------------------------------------------------------------

    async def acquire(self, network_id: str) -> Entry:
        """Take the network's lease (waiting for other requests on it) and its current state."""
        local = self._local.get(network_id)
        if local is None:
            local = self._local[network_id] = _LocalLock()
        local.users += 1
        try:
            await local.lock.acquire()
            try:
                return await self._acquire_lease(network_id)
            except BaseException:
                local.lock.release()
                raise
        finally:
            local.users -= 1

    async def _acquire_lease(self, network_id: str) -> Entry:
        self._acquisitions += 1
        holder = f"{self._worker}:{self._acquisitions}"
        cached = self._cache.get(network_id)
        cached_version = cached[0] if cached is not None else None
        started = time.monotonic()
        pause = 0.002
        while True:
            answer, decoded = await self._call(lambda: self._take(network_id, holder, cached_version))
            if answer is None:
                self._forget([network_id])
                raise UnknownNetworkError(network_id)
            if isinstance(answer, Loaded):
                break
            assert answer == BUSY
            waited = time.monotonic() - started
            if waited > self.lock_wait_seconds:
                raise NetworkBusyError(network_id, waited)
            await asyncio.sleep(pause)  # held by another worker: poll, backing off
            pause = min(pause * 2, 0.05)
        if answer.record is None:
            assert cached is not None
            _, network, spec = cached
            self._cache.move_to_end(network_id)
        else:
            if isinstance(decoded, ValueError):  # a row that is not a network: dropped, as if it never was
                logger.warning("dropping stored network %s: not a network (%s)", network_id, decoded)
                await self._call(lambda: self.backend.delete(network_id))
                raise UnknownNetworkError(network_id) from None
            assert decoded is not None
            network, spec_data = decoded
            spec = DatasetSpec.from_dict(spec_data) if spec_data is not None else None
            self._remember(network_id, answer.version, network, spec)
        entry = Entry(network_id, network, spec, answer.version, holder)
        self._held[network_id] = entry
        return entry

    def _take(
        self, network_id: str, holder: str, cached_version: int | None
    ) -> tuple[Loaded | Literal["busy"] | None, tuple[Network, dict[str, Any] | None] | ValueError | None]:
        """The backend's answer to taking the lease and, when it sent a record, that record decoded
        (or why it is not a network): in the call's thread, since decoding costs in proportion to the size."""
        answer = self.backend.acquire(network_id, holder, self.lease_seconds, cached_version, self._expired_before())
        if not isinstance(answer, Loaded) or answer.record is None:
            return answer, None
        try:
            return answer, records.decode(answer.record)
        except ValueError as exc:
            return answer, exc

    def _remember(self, network_id: str, version: int, network: Network, spec: DatasetSpec | None) -> None:
        self._cache[network_id] = (version, network, spec)
        self._cache.move_to_end(network_id)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    async def checkpoint(self, entry: Entry, record: bytes | None = None) -> bool:
        """Write the entry now, keeping the lease (a training's progress); False if it is gone.
        LeaseLostError if the lease ran out and another request took the network or changed it
        (nothing is written: the network stays as that request left it). ``record`` is the entry's
        record made earlier (e.g. in the training thread)."""
        version = await self._call(  # encoded in the write's thread: it costs in proportion to the size
            lambda: self.backend.write(
                entry.id, entry.holder, entry.version, record if record is not None else entry.record(),
                self.lease_seconds,
            )
        )  # fmt: skip
        if version == GONE:
            self._forget([entry.id])
            entry.request_stop("deleted")
            return False
        if not isinstance(version, int):  # LOST
            self._cache.pop(entry.id, None)  # our copy holds the change that was not written
            entry.request_stop("lease_lost")
            raise LeaseLostError(entry.id, self.lease_seconds)
        entry.version = version
        entry.changed = False
        self._remember(entry.id, version, entry.network, entry.dataset_spec)
        return True

    async def release(self, entry: Entry, *, save: bool) -> None:
        """End a request: write the entry if ``save`` and it changed, then give the lease back.
        LeaseLostError (after giving everything back) when that write found the lease lost. Once only:
        a second call (e.g. after a failed first) does nothing."""
        network_id = entry.id
        if entry.released:
            return
        entry.released = True
        try:
            if save and entry.changed:
                await self.checkpoint(entry)
            elif not save and entry.changed:
                self._cache.pop(network_id, None)  # a request that failed half-way: read it again next time
            await self._call(lambda: self._give_back(entry))
        finally:
            if self._held.get(network_id) is entry:
                del self._held[network_id]
            local = self._local.get(network_id)
            if local is not None:
                local.lock.release()
                if local.users == 0 and not local.lock.locked():
                    del self._local[network_id]

    def _give_back(self, entry: Entry) -> None:
        with self._lease_mutex:
            self.backend.release(entry.id, entry.holder, self.clock())
            entry.given_back = True

    @contextlib.asynccontextmanager
    async def use(self, network_id: str) -> AsyncIterator[Entry]:
        """Hold the network's lease for one request; its changes are saved if it ends without error."""
        entry = await self.acquire(network_id)
        ok = False
        try:
            yield entry
            ok = True
        finally:
            await asyncio.shield(self.release(entry, save=ok))

    def mark_training(self, entry: Entry) -> None:
        """Say (in the backend) that a training runs on the entry, so any worker can stop it."""
        self.backend.mark_training(entry.id, entry.holder)

    async def mark_training_async(self, entry: Entry) -> None:
        await self._call(lambda: self.mark_training(entry))

    def stop_all(self) -> None:
        """Stop every training this worker runs (at their next minibatch): the worker is shutting down."""
        for entry in self._held.values():
            entry.request_stop("shutdown")

    async def heartbeat(self) -> None:
        """Renew this worker's leases; stop trainings that were asked to stop, whose network went,
        or whose lease was lost."""
        if not self._held:
            return
        held = list(self._held.values())

        def renew() -> tuple[dict[str, Lease], dict[str, Heartbeat | Fenced]]:
            # A lease given back since ``held`` was taken is not renewed: the fence would let this
            # holder take it again (nobody else has it), and the next request would wait it out.
            with self._lease_mutex:
                leases = {entry.id: Lease(entry.holder, entry.version) for entry in held if not entry.given_back}
                return leases, self.backend.renew(leases, self.lease_seconds) if leases else {}

        if self.backend.blocking:  # in the heartbeat's own thread: never queued behind other calls
            leases, beats = await asyncio.get_running_loop().run_in_executor(self._heartbeat_thread, renew)
        else:
            leases, beats = renew()
        for network_id, beat in beats.items():
            entry = self._held.get(network_id)
            if entry is None or entry.holder != leases[network_id].holder:
                continue
            if beat == GONE:
                entry.request_stop("deleted")
            elif not isinstance(beat, Heartbeat):  # LOST
                entry.request_stop("lease_lost")
            elif beat.stop:
                entry.request_stop("requested")

    async def run_heartbeat(self, busy_every: float = 0.2) -> None:
        """Forever: a heartbeat every ``busy_every`` s while leases are held (stops arrive that fast),
        and the leases never come near running out."""
        every = min(busy_every, self.lease_seconds / 4)
        while True:
            await asyncio.sleep(every)
            try:
                await self.heartbeat()
            except Exception:  # a store that is briefly unreachable: try again next beat
                logger.exception("could not renew leases")

    def close(self) -> None:
        self._heartbeat_thread.shutdown(wait=True)
        self.backend.close()
