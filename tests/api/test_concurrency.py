"""Concurrent requests on one network are serialised: no torn updates."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import numpy as np
import pytest

from app.main import create_app
from tests.api.conftest import API, make_settings, run_async


async def _parallel_steps(inline_work_limit: int, n: int = 50) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    app = create_app(make_settings(inline_work_limit=inline_work_limit))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        net = (await client.post(f"{API}/networks", json={"sizes": [2, 8, 2], "seed": 1})).json()
        url = f"{API}/networks/{net['id']}"
        body = {"x": [[0.5, -1.0], [1.0, 2.0]], "y": [1, 0], "optimizer": {"name": "momentum", "eta": 0.05}}
        responses = await asyncio.gather(*(client.post(f"{url}/step", json=body) for _ in range(n)))
        assert all(r.status_code == 200 for r in responses)
        final = (await client.get(url)).json()
        return final, [r.json() for r in responses]


@pytest.mark.parametrize("inline_work_limit", [10**9, 0], ids=["inline", "worker-threads"])
def test_fifty_parallel_steps_count_fifty(inline_work_limit: int) -> None:
    final, steps = run_async(_parallel_steps(inline_work_limit))
    assert final["step"] == 50
    assert sorted(s["step"] for s in steps) == list(range(1, 51))
    # each step started exactly where another ended: a chain, no torn update
    by_step = {s["step"]: s for s in steps}
    for k in range(2, 51):
        assert by_step[k]["W_before"] == by_step[k - 1]["W_after"]
    assert final["W"] == by_step[50]["W_after"]


def test_parallel_steps_equal_sequential_steps() -> None:
    threaded, _ = run_async(_parallel_steps(0, n=20))
    inline, _ = run_async(_parallel_steps(10**9, n=20))
    assert np.array_equal(np.array(threaded["W"][0]), np.array(inline["W"][0]))


def test_parallel_mixed_requests_on_one_network() -> None:
    async def scenario() -> None:
        app = create_app(make_settings(inline_work_limit=0))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            net = (await client.post(f"{API}/networks", json={"sizes": [2, 4, 2]})).json()
            url = f"{API}/networks/{net['id']}"
            step = {"x": [1.0, 2.0], "y": [1]}
            calls = []
            for i in range(30):
                calls.append(client.post(f"{url}/step", json=step))
                calls.append(client.get(url))
                calls.append(client.patch(f"{url}/parameters", json={"name": "b", "layer": 2, "i": 0, "value": 0.5}))
                if i % 10 == 0:
                    calls.append(client.post(f"{url}/backward", json=step))
            responses = await asyncio.gather(*calls)
            assert all(r.status_code == 200 for r in responses)
            reads = [r.json() for r in responses if r.request.method == "GET"]
            for read in reads:  # every read saw a whole state: b_2[0] was just patched or stepped from 0.5
                assert len(read["W"]) == 2
            assert (await client.get(url)).json()["step"] == 30

    run_async(scenario())
