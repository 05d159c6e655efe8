"""Training streams that arrive at once: the max_streams bound holds for a burst (each request is
counted before it waits for its network), the rest get 503 with Retry-After, and a refused or
failed stream gives its place back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from app.main import create_app
from app.persistence import SqliteBackend
from tests.api.conftest import API, make_settings, run_async


def test_a_burst_of_streams_gets_max_streams_and_the_rest_503(tmp_path: Path) -> None:
    # An SQLite store: taking a network's lease waits for a thread, where a burst would slip past
    backend = SqliteBackend(tmp_path / "networks.sqlite3")
    app = create_app(make_settings(max_streams=2), backend=backend)

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://lab") as client:
            body = {"sizes": [2, 3, 2], "dataset": {"name": "xor", "n": 20}}
            ids = [(await client.post(f"{API}/networks", json=body)).json()["id"] for _ in range(8)]
            stream = {"epochs": 3, "pace_ms": 100}
            answers = await asyncio.gather(
                *(client.post(f"{API}/networks/{network_id}/train/stream", json=stream) for network_id in ids)
            )
            statuses = sorted(answer.status_code for answer in answers)
            assert statuses == [200] * 2 + [503] * 6, statuses
            refused = [answer for answer in answers if answer.status_code == 503]
            assert all(answer.headers["Retry-After"] and "max_streams" in answer.text for answer in refused)
            # The places are given back: when the two have ended, two more run, and a refused request
            # (an unknown network) does not keep one.
            assert (await client.post(f"{API}/networks/{'0' * 32}/train/stream", json=stream)).status_code == 404
            again = await asyncio.gather(
                *(client.post(f"{API}/networks/{network_id}/train/stream", json=stream) for network_id in ids[:2])
            )
            assert [answer.status_code for answer in again] == [200, 200]

    run_async(scenario())
    backend.close()
