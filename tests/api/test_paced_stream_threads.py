"""A paced stream holds no computing thread while it waits between epochs: the thread is busy
only for the epochs themselves, so other work runs at once even with one computing thread."""

from __future__ import annotations

import asyncio

import httpx

from app import offload
from app.main import create_app
from tests.api.conftest import API, make_settings, run_async


def test_a_paced_stream_waits_without_a_computing_thread() -> None:
    app = create_app(make_settings(compute_threads=1, inline_work_limit=0))

    async def scenario() -> tuple[int, int, int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://lab") as client:
            body = {"sizes": [2, 3, 2], "dataset": {"name": "xor", "n": 20}}
            network_id = (await client.post(f"{API}/networks", json=body)).json()["id"]
            stream = asyncio.ensure_future(
                client.post(f"{API}/networks/{network_id}/train/stream", json={"epochs": 3, "pace_ms": 300})
            )
            held = samples = 0
            while not stream.done():  # sample the computing threads in use while the stream runs
                await asyncio.sleep(0.01)
                limiter = offload._limiter
                held += limiter is not None and limiter.borrowed_tokens > 0
                samples += 1
            answer = await stream
            assert answer.status_code == 200 and answer.text.count("event: epoch") == 3, answer.text
            return held, samples, offload._limiter.borrowed_tokens if offload._limiter else 0

    held, samples, after = run_async(scenario())
    # three tiny epochs take milliseconds of the ~0.6 s the paced run lasts; a wait that held the
    # thread would show it in use in nearly every sample
    assert samples > 20 and held < samples / 4, (held, samples)
    assert after == 0
