"""Who may add a network, and which network may make room for it: a classroom strangers cannot empty.

- ``CreationLimiter``: each client address may create at most ``max_creations_per_client``
  networks per ``creation_window_seconds`` (sliding window, counted in the store that all workers
  share); beyond, 429 with the wait.
- ``eviction_victim``: at the store cap, the least recently used network goes only if it has been
  idle for ``evict_idle_seconds``; when every network was used more recently than that, nothing
  is evicted and the new network is refused with 503 (``StoreFullError``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from starlette.requests import Request

MAX_TRACKED_CLIENTS = 100_000  # the limiter's own memory bound


class TooManyCreationsError(Exception):
    """This client created its share of networks for now (429); ``retry_after`` in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after + 0.999))


class StoreFullError(Exception):
    """No network may be evicted: all were used within ``evict_idle_seconds`` (503)."""

    def __init__(self, max_networks: int, evict_idle_seconds: float) -> None:
        super().__init__(
            f"the store is full: {max_networks} networks (max_networks), every one used within the last "
            f"{evict_idle_seconds:g} s (evict_idle_seconds), so none is evicted for a new one; try again later"
        )
        self.retry_after = max(1, round(evict_idle_seconds))


class _Evictable(Protocol):
    last_used: float

    @property
    def busy(self) -> bool: ...


E = TypeVar("E", bound=_Evictable)


def eviction_victim(entries_lru_first: Iterable[E], keep: E | None, now: float, evict_idle_seconds: float) -> E | None:
    """The least recently used entry idle for at least ``evict_idle_seconds`` (not ``keep``, not busy)."""
    for entry in entries_lru_first:
        if now - entry.last_used < evict_idle_seconds:
            return None  # least recently used first: every later one is younger still
        if entry is not keep and not entry.busy:
            return entry
    return None


class SlidingWindows:
    """Creation times per client within a sliding window, in this process (the memory backend's
    count; SQLite and Redis keep theirs in the store, so every worker counts the same creations)."""

    def __init__(self) -> None:
        self._times: dict[str, deque[float]] = {}

    def count(self, client: str, now: float, window_seconds: float, limit: int) -> float | None:
        """Count one creation by ``client`` at ``now``: None, or (refused, not counted) the seconds
        until the oldest creation of the window leaves it."""
        times = self._times.get(client)
        if times is None:
            if len(self._times) >= MAX_TRACKED_CLIENTS:
                self._forget_idle(now, window_seconds)
            times = self._times[client] = deque()
        while times and times[0] <= now - window_seconds:
            times.popleft()
        if len(times) >= limit:
            return times[0] + window_seconds - now
        times.append(now)
        return None

    def _forget_idle(self, now: float, window_seconds: float) -> None:
        stale = [c for c, times in self._times.items() if not times or times[-1] <= now - window_seconds]
        for client in stale:
            del self._times[client]
        if len(self._times) >= MAX_TRACKED_CLIENTS:  # all active: forget the oldest half
            for client in list(self._times)[: MAX_TRACKED_CLIENTS // 2]:
                del self._times[client]


class _CreationCounter(Protocol):
    async def count_creation(self, client: str, window_seconds: float, limit: int) -> float | None: ...


@dataclass(frozen=True)
class CreationLimiter:
    """Each client address may create ``max_per_window`` networks per ``window_seconds``, counted in
    the store (``Store.count_creation``), so N workers share one limit rather than N."""

    max_per_window: int
    window_seconds: float

    async def admit(self, store: _CreationCounter, client: str) -> None:
        """Count one creation by ``client``, or raise a 429 naming the limit and the wait."""
        wait = await store.count_creation(client, self.window_seconds, self.max_per_window)
        if wait is not None:
            raise TooManyCreationsError(
                f"too many networks created from {client}: at most {self.max_per_window} per "
                f"{self.window_seconds:g} s (max_creations_per_client, creation_window_seconds); "
                f"try again in {max(wait, 0.1):.1f} s",
                wait,
            )


async def admit_creation(request: Request) -> None:
    """Route dependency of the routes that add a network: counts it against its client's share."""
    limiter: CreationLimiter = request.app.state.creations
    client = request.client.host if request.client is not None else "unknown"
    await limiter.admit(request.app.state.store, client)


CREATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "This client address created max_creations_per_client networks within "
        "creation_window_seconds (Retry-After says when to try again)."
    },
    503: {"description": "The store holds max_networks networks, all used within evict_idle_seconds."},
}
