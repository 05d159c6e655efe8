"""Where CPU work runs: small work inline on the event loop (a thread hop would cost more than
the math), larger work in a worker thread so the server keeps answering."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread

T = TypeVar("T")


async def in_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a worker thread. Cancelling the caller waits for the thread to finish,
    so a network's lock is never released while a thread still works on it."""
    return await anyio.to_thread.run_sync(fn, abandon_on_cancel=False)


async def run(fn: Callable[[], T], *, work: int, inline_limit: int) -> T:
    """``fn()`` inline when ``work`` (about n_parameters * N) is at most ``inline_limit``, else in a thread."""
    if work <= inline_limit:
        return fn()
    return await in_thread(fn)
