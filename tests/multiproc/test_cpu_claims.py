"""`backprop-lab serve --workers N` holds each worker, every thread of it, to a CPU of its own
(app/cpu_claims.py), a worker the supervisor restarts takes the CPU its predecessor freed, and
BACKPROP_PIN_WORKERS=0 leaves the scheduler every CPU."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.multiproc.conftest import StartServer
from tests.multiproc.pinned import worker_pids

CPUS = sorted(os.sched_getaffinity(0))  # the server inherits this set


def _cpus_of_every_thread(pid: int) -> set[frozenset[int]]:
    """The CPU sets of the process's threads (one set when every thread is held to the same CPUs)."""
    return {frozenset(os.sched_getaffinity(int(task.name))) for task in Path(f"/proc/{pid}/task").iterdir()}


def _workers(supervisor: int, count: int, not_in: frozenset[int] = frozenset()) -> list[int]:
    deadline = time.monotonic() + 60
    while len(pids := [pid for pid in worker_pids(supervisor) if pid not in not_in]) < count:
        assert time.monotonic() < deadline, f"{count} workers did not start"
        time.sleep(0.1)
    return pids


def test_each_worker_runs_on_a_cpu_of_its_own(start_server: StartServer) -> None:
    server = start_server(workers=2)  # started: it answers, so both workers have set up their threads
    assert server.process is not None
    workers = _workers(server.process.pid, 2)
    held = [_cpus_of_every_thread(pid) for pid in workers]
    assert all(len(sets) == 1 for sets in held), held  # every thread of a worker on the same CPUs
    cpus = [next(iter(sets)) for sets in held]
    pinned = [c for c in cpus if len(c) == 1]
    assert len(pinned) == min(2, len(CPUS)) and len(set(pinned)) == len(pinned), cpus  # distinct CPUs
    assert all(c == frozenset(CPUS) for c in cpus if len(c) != 1)  # no CPU left: unpinned


def test_a_restarted_worker_takes_the_cpu_its_predecessor_freed(start_server: StartServer) -> None:
    server = start_server(workers=2)
    assert server.process is not None
    first, second = _workers(server.process.pid, 2)
    freed = os.sched_getaffinity(first)
    os.kill(first, signal.SIGKILL)
    (restarted,) = [pid for pid in _workers(server.process.pid, 2, frozenset({first})) if pid != second]
    deadline = time.monotonic() + 30
    while os.sched_getaffinity(restarted) != freed:  # it claims its CPU while it starts
        assert time.monotonic() < deadline, (os.sched_getaffinity(restarted), freed)
        time.sleep(0.1)
    assert os.sched_getaffinity(second) != freed or len(CPUS) == 1


def test_pin_workers_off_leaves_every_cpu(start_server: StartServer) -> None:
    server = start_server(workers=2, pin_workers="0")
    assert server.process is not None
    for pid in _workers(server.process.pid, 2):
        assert _cpus_of_every_thread(pid) == {frozenset(CPUS)}
