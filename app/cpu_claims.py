"""Each worker process of `backprop-lab serve --workers N` on a CPU of its own.

A worker's event loop and its computing threads share one GIL. Left to the scheduler, they run on
different CPUs, and every hand-over of the GIL is a cross-CPU wake-up: measured with one worker
under a class's Play streams, 16% of its CPU went to futex wait/wake. With each worker held to one
CPU the hand-overs stay on that CPU: `benchmarks/play_storm.py --students 30 --seconds 8` with 2
workers, interleaved with `--unpinned`, at load 2-4.5: 25.6/25.2 and 30.5/30.2 frames/s per student
(median/min) pinned, 14.9/14.8 and 14.8/14.5 unpinned.

A worker claims the first free CPU by locking a file named after it (flock, non-blocking) in a folder
the supervisor made; the lock dies with the process, so a worker the supervisor restarts claims the
CPU its predecessor freed. A worker that finds no free CPU (more workers than CPUs) stays unpinned.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

SUPPORTED = hasattr(os, "sched_setaffinity")

_claim: IO[str] | None = None  # the open, locked claim file: kept for the life of the process


def claim_cpu(claims_dir: str) -> int | None:
    """Pin this process (and every thread it starts later) to the first CPU no other worker claimed;
    that CPU, or None when all are taken or the claim failed."""
    global _claim
    for cpu in sorted(os.sched_getaffinity(0)):
        claim = (Path(claims_dir) / f"cpu-{cpu}").open("w")
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            claim.close()
            continue
        os.sched_setaffinity(0, {cpu})
        _claim = claim
        return cpu
    return None
