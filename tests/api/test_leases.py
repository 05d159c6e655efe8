"""Leases under load: a holder that outlived its lease while another request took the network gets
a retryable 503 (or the stream's `error` event) and the other request's change stands; a live
holder keeps its lease while every thread of its worker is busy. Every backend: memory, an SQLite
file, a real redis-server.

The apps here are driven through ``httpx.ASGITransport``, which runs no lifespan: no heartbeat
renews their leases, as when a worker's heartbeat stalls."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio.to_thread
import httpx
import pytest

from app import offload
from app.backends import BUSY, Loaded
from app.main import create_app
from app.routes import compute
from app.store import LeaseLostError, Store
from ffnn_core import Network, NetworkConfig
from tests.api.conftest import API, NetworkBackend, assert_error, make_settings, run_async

LEASE_SECONDS = 0.3


def network() -> Network:
    return Network.create(NetworkConfig.build([2, 3, 2], "tanh", seed=0))


def _held_first_backward(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """The next /step stops in its computing thread before its backward pass: ``started`` is set
    then, and it goes on once ``proceed`` is (or after 30 s)."""
    real = compute.backward
    started, proceed = threading.Event(), threading.Event()

    def held(*args: Any, **kwargs: Any) -> Any:
        if not started.is_set():
            started.set()
            proceed.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(compute, "backward", held)
    return started, proceed


def test_a_step_that_outlived_its_lease_answers_503_and_the_other_change_stands(
    connect: NetworkBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(inline_work_limit=0, lease_seconds=LEASE_SECONDS)
    late_app, other_app = create_app(settings, backend=connect()), create_app(settings, backend=connect())
    started, proceed = _held_first_backward(monkeypatch)

    async def scenario() -> None:
        late = httpx.AsyncClient(transport=httpx.ASGITransport(app=late_app), base_url="http://late")
        other = httpx.AsyncClient(transport=httpx.ASGITransport(app=other_app), base_url="http://other")
        async with late, other:
            url = f"{API}/networks/" + (await late.post(f"{API}/networks", json={"sizes": [2, 3, 2]})).json()["id"]
            step = {"x": [1.0, 2.0], "y": [1]}
            stepping = asyncio.create_task(late.post(f"{url}/step", json=step))
            while not started.is_set():  # the step holds the lease and computes
                await asyncio.sleep(0.01)
            await asyncio.sleep(2 * LEASE_SECONDS)  # its lease ran out
            patched = await other.patch(f"{url}/parameters", json={"name": "b", "layer": 1, "i": 0, "value": 0.5})
            assert patched.status_code == 200, patched.text
            proceed.set()
            answer = await stepping
            assert_error(answer, 503, "lease", "not saved", "retry")
            assert answer.headers["Retry-After"] == str(LeaseLostError.retry_after)
            stored = (await other.get(url)).json()
            assert stored["step"] == 0 and stored["b"][0][0] == 0.5  # as the other request left it
            again = await late.post(f"{url}/step", json=step)  # the retry is served, from the new state
            assert again.status_code == 200 and again.json()["b_before"][0][0] == 0.5
            assert (await other.get(url)).json()["step"] == 1

    run_async(scenario())


def test_a_stream_that_lost_its_lease_ends_with_an_error_event(connect: NetworkBackend) -> None:
    settings = make_settings(lease_seconds=LEASE_SECONDS)
    late_app, other_app = create_app(settings, backend=connect()), create_app(settings, backend=connect())

    async def scenario() -> None:
        late = httpx.AsyncClient(transport=httpx.ASGITransport(app=late_app), base_url="http://late")
        other = httpx.AsyncClient(transport=httpx.ASGITransport(app=other_app), base_url="http://other")
        async with late, other:
            body = {"sizes": [2, 3, 2], "dataset": {"name": "xor", "n": 40}}
            url = f"{API}/networks/" + (await late.post(f"{API}/networks", json=body)).json()["id"]
            training = asyncio.create_task(
                late.post(f"{url}/train/stream", json={"epochs": 40, "batch_size": 8, "pace_ms": 50})
            )
            while not late_app.state.store._held:  # the stream holds the lease
                await asyncio.sleep(0.01)
            await asyncio.sleep(2 * LEASE_SECONDS)
            patched = await other.patch(f"{url}/parameters", json={"name": "b", "layer": 1, "i": 0, "value": 0.5})
            assert patched.status_code == 200, patched.text
            events = (await training).text.strip().split("\n\n")
            assert events[-1].startswith("event: error\n"), events[-1]
            assert "lease" in events[-1] and "NOT saved" in events[-1] and "retry" in events[-1]
            assert not any(e.startswith("event: done") for e in events)
            stored = (await other.get(url)).json()
            # as the other request left it (the stream's saves after the take-over were refused)
            assert stored["b"][0][0] == 0.5 and stored["epoch"] == patched.json()["epoch"] < 40

    run_async(scenario())


def test_the_heartbeat_reports_a_lost_lease_to_the_holder(connect: NetworkBackend) -> None:
    async def scenario() -> None:
        late = Store(ttl_seconds=60, max_networks=10, backend=connect(), lease_seconds=LEASE_SECONDS)
        other = Store(ttl_seconds=60, max_networks=10, backend=connect(), lease_seconds=5.0)
        network_id = late.add(network())
        entry = await late.acquire(network_id)
        await asyncio.sleep(1.5 * LEASE_SECONDS)  # no heartbeat: the lease runs out
        async with other.use(network_id) as taken:
            taken.network.step = 9
            taken.mark_changed()
        await late.heartbeat()
        assert entry.stop.is_set() and entry.stop_reason == "lease_lost"  # a training stops at its next minibatch
        entry.network.step = 1
        entry.mark_changed()
        with pytest.raises(LeaseLostError):
            await late.release(entry, save=True)
        async with late.use(network_id) as again:  # read again: the other's change, not the lost one
            assert again.network.step == 9

    run_async(scenario())


@pytest.mark.parametrize("connect", ["sqlite", "redis"], indirect=True)  # memory: renewed on the event loop
def test_a_lease_given_back_during_a_heartbeat_is_not_taken_again(connect: NetworkBackend) -> None:
    """The heartbeat lists the held leases, and a request gives its lease back before the renewal
    reaches the backend: the renewal must leave it given back. (Renewed, the fence let the finished
    holder take it again, and the network's next request waited the whole lease out: 4 s.)"""

    async def scenario() -> None:
        store = Store(ttl_seconds=60, max_networks=10, backend=connect(), lease_seconds=5.0)
        other = Store(ttl_seconds=60, max_networks=10, backend=connect(), lease_seconds=5.0)
        network_id = store.add(network())
        gate = threading.Event()
        renewals = ThreadPoolExecutor(max_workers=1)
        real_submit = renewals.submit
        renewals.submit = lambda fn, *args: real_submit(lambda: (gate.wait(10), fn(*args))[1])  # type: ignore[method-assign]
        store._heartbeat_thread = renewals
        async with store.use(network_id):
            beat = asyncio.create_task(store.heartbeat())
            await asyncio.sleep(0.05)  # the heartbeat has listed this lease and waits at the gate
        gate.set()  # the lease is given back: now the renewal runs
        await beat
        answer = await anyio.to_thread.run_sync(lambda: other.backend.acquire(network_id, "worker-2:1", 5.0, None, 0.0))
        assert isinstance(answer, Loaded), answer  # free at once, not BUSY for 5 s
        renewals.shutdown()

    run_async(scenario())


@pytest.mark.parametrize("connect", ["sqlite", "redis"], indirect=True)  # memory: renewed on the event loop
def test_the_heartbeat_keeps_leases_while_every_thread_is_busy(connect: NetworkBackend) -> None:
    # A lease of 1 s (renewed every 0.25 s) held for 3 s: a 0.3 s lease once ran out at load 20,
    # when this process got no CPU for that long (that is what the fence is for).
    lease_seconds = 1.0
    hold_seconds = 3 * lease_seconds

    async def scenario() -> None:
        store = Store(ttl_seconds=60, max_networks=10, backend=connect(), lease_seconds=lease_seconds)
        intruder = connect()  # another worker, asking for the network all along
        network_id = store.add(network())
        heartbeat = asyncio.create_task(store.run_heartbeat())
        entry = await store.acquire(network_id)
        release_threads = threading.Event()
        busy = [offload.in_thread(release_threads.wait) for _ in range(offload.compute_threads())]
        busy += [
            anyio.to_thread.run_sync(release_threads.wait)
            for _ in range(int(anyio.to_thread.current_default_thread_limiter().total_tokens))
        ]
        occupied = asyncio.gather(*busy)
        answers = []
        started = time.monotonic()
        while time.monotonic() - started < hold_seconds:  # every computing and store thread is taken
            answers.append(intruder.acquire(network_id, "intruder:1", 5.0, None, 0.0))
            await asyncio.sleep(lease_seconds / 4)
        release_threads.set()
        await occupied
        assert answers and all(a == BUSY for a in answers), answers
        entry.network.step = 7
        entry.mark_changed()
        await store.release(entry, save=True)  # the holder's change is written
        heartbeat.cancel()
        async with Store(ttl_seconds=60, max_networks=10, backend=intruder).use(network_id) as read:
            assert read.network.step == 7

    run_async(scenario())
