"""Shared by every test: servers and apps the tests start keep networks in memory only, unless a
test asks for persistence itself (tests/test_persistence.py, tests/test_docker.py); a real
redis-server for the tests of the Redis store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("BACKPROP_PERSIST", "0")

from tests.servers import RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(Path(tmp_path_factory.mktemp("redis")))
    yield server
    server.stop()
