"""Persistence never blocks the event loop: while one request's store call (a save, a lease with
its load, an insert) is held in its thread, the same app answers other requests; let go, that
request ends and its change is in the store.

The app runs on httpx's ASGITransport in the test's own event loop: a store call made on the loop
would stop the test too, so the other requests could only be answered after it was let go (its
hold runs out after HOLD_TIMEOUT_S), and the order of the log below would say so.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from app import records
from app.backends import Fenced, Loaded
from app.main import create_app
from app.persistence import SqliteBackend
from tests.api.conftest import API, make_settings, run_async

HOLD_TIMEOUT_S = 20.0  # a bound only: a held call is let go by the test long before
Held = Literal["insert", "acquire", "write"]


class HeldSqliteBackend(SqliteBackend):
    """The SQLite backend, except that one chosen call waits in its thread until the test lets it go."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.held: Held | None = None
        self.held_id: str | None = None  # the network whose call waits (None: any)
        self.holding = threading.Event()
        self.let_go = threading.Event()
        self.on_event_loop: bool | None = None  # whether the held call ran on a running event loop
        self.log: list[str] = []

    def hold(self, call: Held, network_id: str | None = None) -> None:
        self.held, self.held_id = call, network_id

    def _wait_if_held(self, call: Held, network_id: str | None) -> None:
        if self.held != call or (self.held_id is not None and self.held_id != network_id):
            return
        self.held = None  # once
        try:
            asyncio.get_running_loop()
            self.on_event_loop = True
        except RuntimeError:
            self.on_event_loop = False
        self.log.append(f"{call} held")
        self.holding.set()
        let_go = self.let_go.wait(HOLD_TIMEOUT_S)
        self.log.append(f"{call} let go" if let_go else f"{call} ran out of patience")

    def insert(self, network_id: str, record: bytes, last_used: float, client: str | None) -> None:
        self._wait_if_held("insert", None)
        super().insert(network_id, record, last_used, client)

    def acquire(
        self, network_id: str, holder: str, lease_seconds: float, cached_version: int | None, expired_before: float
    ) -> Loaded | Literal["busy"] | None:
        self._wait_if_held("acquire", network_id)
        return super().acquire(network_id, holder, lease_seconds, cached_version, expired_before)

    def write(self, network_id: str, holder: str, version: int, record: bytes, lease_seconds: float) -> int | Fenced:
        self._wait_if_held("write", network_id)
        return super().write(network_id, holder, version, record, lease_seconds)


STEP = {"x": [[0.5, -1.0]], "y": [1], "optimizer": {"name": "sgd", "eta": 0.5}}
PATCH = {"name": "W", "layer": 1, "i": 0, "j": 1, "value": 0.625}


def _stored(path: Path, network_id: str) -> dict[str, Any]:
    """The network as the SQLite file holds it, read through a connection of its own (another worker)."""
    reader = SqliteBackend(path)
    try:
        loaded = reader.acquire(network_id, "reader", 1.0, None, 0.0)
        assert isinstance(loaded, Loaded) and loaded.record is not None, loaded
        network, _ = records.decode(loaded.record)
        return {"step": network.step, "W": [w.tolist() for w in network.W]}
    finally:
        reader.close()


@pytest.mark.parametrize(
    ("held", "request_kind"),
    [("write", "step"), ("write", "patch"), ("acquire", "get"), ("insert", "create")],
)
def test_a_held_store_call_leaves_the_event_loop_free(tmp_path: Path, held: Held, request_kind: str) -> None:
    path = tmp_path / "store.sqlite3"
    backend = HeldSqliteBackend(path)

    async def scenario() -> None:
        app = create_app(make_settings(), backend=backend)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
            created = await client.post(f"{API}/networks", json={"sizes": [2, 3, 2], "seed": 4})
            other = await client.post(f"{API}/networks", json={"sizes": [2, 3, 2], "seed": 5})
            assert created.status_code == other.status_code == 201
            network_id, other_id = created.json()["id"], other.json()["id"]
            url = f"{API}/networks/{network_id}"

            backend.hold(held, None if held == "insert" else network_id)
            first = asyncio.create_task(
                {
                    "step": lambda: client.post(f"{url}/step", json=STEP),
                    "patch": lambda: client.patch(f"{url}/parameters", json=PATCH),
                    "get": lambda: client.get(url),
                    "create": lambda: client.post(f"{API}/networks", json={"sizes": [2, 4, 2], "seed": 6}),
                }[request_kind]()
            )
            assert await asyncio.to_thread(backend.holding.wait, HOLD_TIMEOUT_S), f"{held} was never called"

            meta = await client.get(f"{API}/meta")
            assert meta.status_code == 200
            backend.log.append("meta answered")
            forward = await client.post(f"{API}/networks/{other_id}/forward", json={"x": [1.0, 2.0]})
            assert forward.status_code == 200, forward.text
            backend.log.append("forward on another network answered")
            assert not first.done()  # still waiting for its store call

            backend.let_go.set()
            answer = await asyncio.wait_for(first, HOLD_TIMEOUT_S)
            assert answer.status_code == (201 if request_kind == "create" else 200), answer.text

        assert backend.on_event_loop is False
        assert backend.log == [f"{held} held", "meta answered", "forward on another network answered", f"{held} let go"]
        result = answer.json()
        if request_kind == "step":
            assert _stored(path, network_id) == {"step": 1, "W": result["W_after"]}
        elif request_kind == "patch":
            assert _stored(path, network_id)["W"][0][0][1] == 0.625 == result["W"][0][0][1]
        elif request_kind == "get":
            assert result["id"] == network_id
        else:
            assert _stored(path, result["id"])["step"] == 0

    try:
        run_async(scenario())
    finally:
        backend.let_go.set()
        backend.close()


def test_records_are_encoded_and_decoded_off_the_event_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Turning a network into its stored record and back costs CPU in proportion to its size (tens
    of ms for a large one): with a backend that does I/O it is done in the thread of that I/O."""
    on_the_loop: list[str] = []

    def watched(name: str, real: Any) -> Any:
        def call(*args: Any) -> Any:
            try:
                asyncio.get_running_loop()
                on_the_loop.append(name)
            except RuntimeError:
                pass
            return real(*args)

        return call

    monkeypatch.setattr(records, "encode", watched("encode", records.encode))
    monkeypatch.setattr(records, "decode", watched("decode", records.decode))
    path = tmp_path / "store.sqlite3"

    async def scenario() -> None:
        one, two = (create_app(make_settings(), backend=SqliteBackend(path)) for _ in range(2))
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=one), base_url="http://test") as first,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=two), base_url="http://test") as second,
        ):
            body = {"sizes": [2, 3, 2], "seed": 4, "dataset": {"name": "moons", "n": 40}}
            created = await first.post(f"{API}/networks", json=body)
            assert created.status_code == 201
            url = f"{API}/networks/{created.json()['id']}"
            for client in (second, first, second):  # each reads what the other wrote: decoded, then saved
                assert (await client.post(f"{url}/step", json=STEP)).status_code == 200
                assert (await client.patch(f"{url}/parameters", json=PATCH)).status_code == 200
            assert (await second.post(f"{url}/train", json={"epochs": 2})).status_code == 200
            async with first.stream("POST", f"{url}/train/stream", json={"epochs": 2}) as stream:
                assert stream.status_code == 200
                await stream.aread()
            final = (await second.get(url)).json()
            # 3 steps, then 4 epochs of one minibatch each (30 training rows, batch_size 32)
            assert (final["step"], final["epoch"]) == (7, 4)
        for app in (one, two):
            app.state.store.close()

    run_async(scenario())
    assert on_the_loop == []
