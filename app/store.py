"""The server-side network store: id -> entry (an ffnn_core Network, its dataset spec, a lock).

* Ids are 128 random bits (``secrets.token_hex(16)``, 32 hex characters); nothing lists them.
* A network unused for ``ttl_seconds`` expires; above ``max_networks`` the least recently used
  goes first. Busy networks (their lock is held) are skipped while idle ones remain.
* Requests on one network are serialised by the entry's ``asyncio.Lock`` (see ``Store.use``),
  held across any worker-thread computation, so no request ever sees a half-done update.
* The store is used from the event loop thread only; worker threads touch an entry's network
  while its lock is held and nothing else.
* ``Persistence`` is the hook for keeping networks across restarts (the default keeps nothing).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.admission import StoreFullError, eviction_victim
from ffnn_core import Network, network_from_dict, network_to_dict
from ffnn_core.datasets import Dataset, make_dataset

logger = logging.getLogger("backprop_lab.store")

ID_BYTES = 16  # 128 random bits -> 32 hex characters


class UnknownNetworkError(LookupError):
    """No network with this id (never created, deleted, or expired)."""

    def __init__(self, network_id: str) -> None:
        super().__init__(network_id)
        self.network_id = network_id


class Persistence(Protocol):
    """Where networks are kept across restarts. Called from the event loop thread, with the
    network's lock held for ``save``; implementations should be quick (or queue the work).

    ``document`` is the export document (``GET .../export``): plain JSON-able data, but its
    numbers may be non-finite floats for a network that diverged.
    """

    def save(self, network_id: str, document: dict[str, Any], last_used: float) -> None: ...

    def delete(self, network_id: str) -> None: ...

    def load_all(self) -> Iterable[tuple[str, dict[str, Any], float]]: ...


@dataclass(frozen=True)
class DatasetSpec:
    """Which dataset a network is attached to: the arguments of ``ffnn_core.datasets.make_dataset``."""

    name: str
    seed: int = 0
    n: int | None = None
    noise: float | None = None
    test_fraction: float = 0.25
    standardize: bool = False
    n_classes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seed": self.seed,
            "n": self.n,
            "noise": self.noise,
            "test_fraction": self.test_fraction,
            "standardize": self.standardize,
            "n_classes": self.n_classes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetSpec:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def load(self) -> Dataset:
        """The dataset's arrays (shared, read-only by convention); ValueError for a bad spec."""
        return _load_dataset(self)


@functools.lru_cache(maxsize=64)
def _load_dataset(spec: DatasetSpec) -> Dataset:
    return make_dataset(
        spec.name,
        seed=spec.seed,
        n=spec.n,
        noise=spec.noise,
        test_fraction=spec.test_fraction,
        standardize=spec.standardize,
        n_classes=spec.n_classes,
    )


@dataclass(eq=False)
class Entry:
    """One stored network. ``alive`` turns false when it is deleted, expired or evicted."""

    id: str
    network: Network
    dataset_spec: DatasetSpec | None
    last_used: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    alive: bool = True
    training_stop: threading.Event | None = None  # set while a training runs; setting it stops it

    @property
    def busy(self) -> bool:
        return self.lock.locked()

    @property
    def dataset(self) -> Dataset | None:
        return self.dataset_spec.load() if self.dataset_spec is not None else None

    def document(self) -> dict[str, Any]:
        """The export document: the core's network dict plus the dataset spec."""
        doc = network_to_dict(self.network)
        doc["dataset"] = self.dataset_spec.as_dict() if self.dataset_spec is not None else None
        return doc


class Store:
    """Networks by id, with idle expiry and a least-recently-used cap."""

    def __init__(
        self,
        *,
        ttl_seconds: float,
        max_networks: int,
        clock: Callable[[], float] = time.time,
        persistence: Persistence | None = None,
        evict_idle_seconds: float = 0.0,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_networks = max_networks
        self.evict_idle_seconds = evict_idle_seconds  # at the cap, only networks idle this long may go
        self.clock = clock
        self.persistence = persistence
        self._entries: OrderedDict[str, Entry] = OrderedDict()  # least recently used first

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, network_id: object) -> bool:
        return network_id in self._entries

    def add(self, network: Network, dataset_spec: DatasetSpec | None = None) -> Entry:
        """Store a new network under a fresh random id; at the cap, the least recently used network
        idle for ``evict_idle_seconds`` makes room, and without one StoreFullError changes nothing."""
        self.sweep()
        if len(self._entries) >= self.max_networks:
            victim = eviction_victim(self._entries.values(), None, self.clock(), self.evict_idle_seconds)
            if victim is None:
                raise StoreFullError(self.max_networks, self.evict_idle_seconds)
            del self._entries[victim.id]
            self._retire(victim)
        network_id = secrets.token_hex(ID_BYTES)
        while network_id in self._entries:  # pragma: no cover - 2^-128
            network_id = secrets.token_hex(ID_BYTES)
        entry = Entry(network_id, network, dataset_spec, self.clock())
        self._entries[network_id] = entry
        self._enforce_cap(keep=entry)
        self.save(entry)
        return entry

    def get(self, network_id: str) -> Entry:
        """The entry, marked as just used; raises UnknownNetworkError."""
        self.sweep()
        entry = self._entries.get(network_id)
        if entry is None:
            raise UnknownNetworkError(network_id)
        self.touch(entry)
        return entry

    def remove(self, network_id: str) -> bool:
        entry = self._entries.pop(network_id, None)
        if entry is None:
            return False
        self._retire(entry)
        return True

    def touch(self, entry: Entry) -> None:
        if entry.alive:
            entry.last_used = self.clock()
            self._entries.move_to_end(entry.id)

    def save(self, entry: Entry) -> None:
        """Hand the entry to the persistence hook (after a change); no-op without one."""
        if self.persistence is not None and entry.alive:
            self.persistence.save(entry.id, entry.document(), entry.last_used)

    @asynccontextmanager
    async def use(self, entry: Entry) -> AsyncIterator[Entry]:
        """Hold the entry's lock for one request; UnknownNetworkError if it went away meanwhile."""
        async with entry.lock:
            if not entry.alive:
                raise UnknownNetworkError(entry.id)
            try:
                yield entry
            finally:
                self.touch(entry)

    def sweep(self) -> int:
        """Delete every idle network older than the TTL; returns how many went."""
        deadline = self.clock() - self.ttl_seconds
        expired = []
        for entry in self._entries.values():  # least recently used first
            if entry.last_used > deadline:
                break
            if not entry.busy:
                expired.append(entry)
        for entry in expired:
            del self._entries[entry.id]
            self._retire(entry)
        return len(expired)

    def load(self) -> int:
        """Restore the networks the persistence hook kept (expired ones are dropped)."""
        if self.persistence is None:
            return 0
        count = 0
        for network_id, document, last_used in self.persistence.load_all():
            try:
                network = network_from_dict(document, allow_non_finite=True)  # diverged ones too
                spec_data = document.get("dataset")
                spec = DatasetSpec.from_dict(spec_data) if isinstance(spec_data, dict) else None
            except (ValueError, TypeError, KeyError, AttributeError) as exc:  # a row that is not a network
                reason = f"{type(exc).__name__}: {exc}"
                logger.warning("dropping stored network %s: not a network (%s)", network_id, reason)
                self.persistence.delete(network_id)
                continue
            self._entries[network_id] = Entry(network_id, network, spec, last_used)
            count += 1
        self._entries = OrderedDict(sorted(self._entries.items(), key=lambda item: item[1].last_used))
        self.sweep()
        self._enforce_cap(keep=None)
        return count

    def _enforce_cap(self, keep: Entry | None) -> None:
        while len(self._entries) > self.max_networks:
            candidates = [e for e in self._entries.values() if e is not keep]
            victim = next((e for e in candidates if not e.busy), candidates[0])
            del self._entries[victim.id]
            self._retire(victim)

    def _retire(self, entry: Entry) -> None:
        entry.alive = False
        if entry.training_stop is not None:
            entry.training_stop.set()
        if self.persistence is not None:
            self.persistence.delete(entry.id)
