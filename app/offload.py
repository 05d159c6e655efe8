"""Where CPU work runs: small work inline on the event loop (a thread hop would cost more than
the math), larger work in one of this worker's computing threads so the server keeps answering.

Computing threads are bounded (``compute_threads``, default the number of CPUs), separately from
the threads that wait for the store, and each runs NumPy's BLAS with ``blas_threads`` threads
(default 1): with two BLAS threads per computing thread under load, training measured 6-8x slower.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")

_threads = os.cpu_count() or 1
_limiter: anyio.CapacityLimiter | None = None
_blas_limits: Any = None  # threadpoolctl's limits, kept for the life of the process


def configure(compute_threads: int, blas_threads: int) -> None:
    """Set the number of computing threads (0: CPUs) and BLAS threads per computing thread (0: as is)."""
    global _threads, _limiter, _blas_limits
    _threads = compute_threads or os.cpu_count() or 1
    _limiter = None
    if blas_threads and _blas_limits is None:
        from threadpoolctl import threadpool_limits

        _blas_limits = threadpool_limits(limits=blas_threads)


def compute_threads() -> int:
    return _threads


async def in_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a computing thread. Cancelling the caller waits for the thread to finish,
    so a network's lease is never released while a thread still works on it."""
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(_threads)
    return await anyio.to_thread.run_sync(fn, abandon_on_cancel=False, limiter=_limiter)


async def run(fn: Callable[[], T], *, work: int, inline_limit: int) -> T:
    """``fn()`` inline when ``work`` (about n_parameters * N) is at most ``inline_limit``, else in a thread."""
    if work <= inline_limit:
        return fn()
    return await in_thread(fn)
