"""Fixtures for tests with several real server processes sharing one store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers import AppServer

LEASE_SECONDS = "2"  # a killed holder's lease runs out this fast here

StartServer = Callable[..., AppServer]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start ``backprop-lab serve`` processes (stopped at teardown) with BACKPROP_ settings as keywords."""
    started: list[AppServer] = []

    def start(workers: int = 1, name: str = "server", **settings: str) -> AppServer:
        env = {"BACKPROP_LEASE_SECONDS": LEASE_SECONDS, "BACKPROP_GC_FREEZE": "0"}
        env.update({f"BACKPROP_{key.upper()}": value for key, value in settings.items()})
        server = AppServer(tmp_path, env, workers=workers, name=name)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.close()
