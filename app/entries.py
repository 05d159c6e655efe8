"""A network as a request holds it (``Entry``: its state, dataset spec, version, lease holder and
stop flag) and the dataset spec a network is attached to."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any

from app import records
from ffnn_core import Network, network_to_dict
from ffnn_core.datasets import Dataset, make_dataset


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
    """One network while a request holds its lease. ``mark_changed()`` after changing it: the
    store then writes it back when the request ends (or at a ``checkpoint``)."""

    id: str
    network: Network
    dataset_spec: DatasetSpec | None
    version: int
    holder: str
    changed: bool = False
    stop: threading.Event = field(default_factory=threading.Event)  # set: stop the training at once
    stop_reason: str | None = None  # why ``stop`` was set: requested, deleted, shutdown or lease_lost
    released: bool = False  # the request ended (Store.release ran)
    given_back: bool = False  # the backend has the lease back (set under Store._lease_mutex)

    def mark_changed(self) -> None:
        self.changed = True

    def request_stop(self, reason: str) -> None:
        if not self.stop.is_set():
            self.stop_reason = reason
            self.stop.set()

    @property
    def dataset(self) -> Dataset | None:
        return self.dataset_spec.load() if self.dataset_spec is not None else None

    def record(self) -> bytes:
        return records.encode(self.network, self.dataset_spec.as_dict() if self.dataset_spec is not None else None)

    def document(self) -> dict[str, Any]:
        """The export document: the core's network dict plus the dataset spec."""
        doc = network_to_dict(self.network)
        doc["dataset"] = self.dataset_spec.as_dict() if self.dataset_spec is not None else None
        return doc
