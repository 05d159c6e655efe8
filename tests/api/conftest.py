"""Fixtures for the API tests: an app with small limits, a client, and helpers."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.backends import Backend, MemoryBackend
from app.main import create_app
from app.persistence import SqliteBackend
from app.redis_store import RedisBackend
from app.settings import Settings
from tests.servers import RedisServer

with warnings.catch_warnings():  # starlette suggests httpx2; httpx is what this project pins
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
JSON_TYPE = {"Content-Type": "application/json"}  # what every state change must say, bodiless ones too

# Small limits, so every limit can be crossed cheaply.
LIMITS: dict[str, Any] = {
    "max_layers": 4,
    "max_width": 16,
    "max_parameters": 600,
    "max_batch": 64,
    "max_epochs": 50,
    "max_train_batch_size": 500,
    "max_gradcheck_entries": 200,
    "max_surface_resolution": 60,
    "max_body_bytes": 64 * 1024,
    "max_networks": 100,
    "gc_freeze": False,
}


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_settings(**overrides: Any) -> Settings:
    return Settings(**{**LIMITS, **overrides})


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock)) as test_client:
        yield test_client


CreateNetwork = Callable[..., dict[str, Any]]


@pytest.fixture
def create_network(client: TestClient) -> CreateNetwork:
    """POST /networks with a [2, 3, 2] tanh/softmax network by default; returns the answer."""

    def create(**config: Any) -> dict[str, Any]:
        body = {"sizes": [2, 3, 2], "activation": "tanh", "seed": 0, **config}
        response = client.post(f"{API}/networks", json=body)
        assert response.status_code == 201, response.text
        network: dict[str, Any] = response.json()
        return network

    return create


def assert_error(response: Any, status: int, *fragments: str) -> str:
    """A 4xx with a string ``detail`` that contains every fragment (case-insensitive)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    for fragment in fragments:
        assert fragment.lower() in detail.lower(), detail
    return detail


def run_async(coroutine: Any) -> Any:
    """``asyncio.run`` in a thread of its own, so it works even when this thread already has a
    running event loop (Playwright's sync API leaves one behind after the browser tests)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


NetworkBackend = Callable[[], Backend]  # another connection to the same store (another worker)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def connect(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NetworkBackend]:
    """Connections to one store, as many as the test asks for (memory: one shared instance)."""
    made: list[Backend] = []
    shared = MemoryBackend()
    redis_url = ""
    if request.param == "redis":
        redis_server: RedisServer = request.getfixturevalue("redis_server")
        redis_server.flush()
        redis_url = redis_server.url

    def connection() -> Backend:
        if request.param == "memory":
            return shared
        sqlite = request.param == "sqlite"
        backend: Backend = SqliteBackend(tmp_path / "store.sqlite3") if sqlite else RedisBackend(redis_url)
        made.append(backend)
        return backend

    yield connection
    for backend in made:
        backend.close()
