"""One listening socket per worker process (SO_REUSEPORT), so that the kernel spreads connections.

uvicorn's ``--workers N`` binds one socket in its supervisor and every worker accepts from it.
The worker that wakes first takes every connection that is waiting (asyncio and uvloop accept
until the backlog is empty), so when a class of 30 connects at once most connections land on one
worker and the second core idles: measured on a quiet machine, 2 workers gave 1.10x the frames of 1
(benchmarks/play_storm.py). With one socket per worker, each bound with SO_REUSEPORT, Linux picks
the socket of every new connection from a hash of its addresses and ports: the same spread on
average whichever worker is awake (gunicorn's ``--reuse-port`` does the same).

``WorkerSockets`` is what uvicorn's supervisor hands to each worker it starts (also to a worker it
restarts): empty in the supervisor, which listens on nothing, and unpickled in the worker as a
socket the worker binds itself. ``check_free`` first binds the address once without SO_REUSEPORT,
which fails if anything listens there (with or without SO_REUSEPORT), so two servers never share
a port by mistake.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

from uvicorn.config import STARTUP_FAILURE

from app import cpu_claims

logger = logging.getLogger("uvicorn.error")

SUPPORTED = hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux")  # others do not spread


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_free(host: str, port: int) -> None:
    """Exit with uvicorn's start-up failure code if host:port cannot be bound (something listens there)."""
    with socket.socket(_family(host)) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT does not block
        try:
            probe.bind((host, port))
        except OSError as exc:
            logger.error("cannot listen on %s:%d: %s", host, port, exc)
            sys.exit(STARTUP_FAILURE)


def bind_worker_socket(host: str, port: int, cpu_claims_dir: str | None = None) -> list[socket.socket]:
    """A socket of this worker's own on host:port (SO_REUSEPORT), bound, not yet listening
    (uvicorn's server listens with its backlog). With ``cpu_claims_dir``, the worker first takes a CPU
    of its own (app/cpu_claims.py): here, before the app starts any thread, so that every thread inherits it."""
    if cpu_claims_dir is not None:
        cpu_claims.claim_cpu(cpu_claims_dir)
    sock = socket.socket(_family(host))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        logger.error("worker cannot listen on %s:%d: %s", host, port, exc)
        sys.exit(STARTUP_FAILURE)  # the supervisor then stops instead of restarting it for ever
    return [sock]


class WorkerSockets(list[socket.socket]):
    """The ``sockets`` argument of uvicorn's supervisor: each worker process binds its own."""

    def __init__(self, host: str, port: int, cpu_claims_dir: str | None = None) -> None:
        super().__init__()
        self.host = host
        self.port = port
        self.cpu_claims_dir = cpu_claims_dir

    def __reduce__(self) -> tuple[Any, ...]:
        return bind_worker_socket, (self.host, self.port, self.cpu_claims_dir)
