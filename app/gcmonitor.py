"""Garbage-collection pauses: optionally log every pause above a threshold (BACKPROP_GC_LOG=1).

Log lines look like ``gc pause 12.3 ms (generation 2, collected 0)`` on the logger
``backprop_lab.gc`` (printed to stderr by uvicorn's logging set-up as a WARNING).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("backprop_lab.gc")

GcCallback = Callable[[str, dict[str, Any]], None]


def install_pause_logger(threshold_ms: float) -> GcCallback:
    """Register a gc callback that logs pauses longer than ``threshold_ms``; returns it."""
    started = 0.0

    def callback(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
            return
        pause_ms = (time.perf_counter() - started) * 1000.0
        if pause_ms > threshold_ms:
            logger.warning(
                "gc pause %.1f ms (generation %s, collected %s)",
                pause_ms,
                info.get("generation"),
                info.get("collected"),
            )

    gc.callbacks.append(callback)
    return callback


def remove(callback: GcCallback) -> None:
    if callback in gc.callbacks:
        gc.callbacks.remove(callback)


def freeze_startup_heap() -> None:
    """Move everything alive after start-up to the permanent generation, so full collections
    only walk objects made while serving."""
    gc.collect()
    gc.freeze()
