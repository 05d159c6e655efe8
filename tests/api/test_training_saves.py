"""When a training writes its network to the store: a crash loses at most SAVE_EVERY_SECONDS of
training, or one epoch when an epoch takes longer (app/training_loop.save_due)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app import training_loop
from app.store import Store
from tests.api.conftest import API, CreateNetwork, TestClient


@pytest.mark.parametrize(
    ("since_last_save", "next_epoch_in", "due"),
    [
        (0.05, 0.9, False),  # a 0.9 s pace: the next epoch still ends within the second
        (0.95, 0.9, True),  # ...but the one after would not: written now, not at 1.85 s
        (0.3, 5.0, True),  # epochs longer than a second: every one
        (0.5, 0.001, False),  # fast epochs: about once a second
        (0.9995, 0.001, True),
    ],
)
def test_save_due(since_last_save: float, next_epoch_in: float, due: bool) -> None:
    assert training_loop.save_due(since_last_save, next_epoch_in) is due


def test_a_paced_stream_is_written_often_enough_that_a_crash_loses_at_most_the_bound(
    client: TestClient, create_network: CreateNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound = 0.3  # the bound shrunk to keep the test short; the pace is 0.9 of it, as a 0.9 s pace for 1 s
    monkeypatch.setattr(training_loop, "SAVE_EVERY_SECONDS", bound)
    written_epochs: list[int] = []
    checkpoint = Store.checkpoint

    async def counting_checkpoint(self: Store, entry: Any, record: bytes | None = None) -> bool:
        written_epochs.append(entry.network.epoch)
        return await checkpoint(self, entry, record)

    monkeypatch.setattr(Store, "checkpoint", counting_checkpoint)
    net = create_network(dataset={"name": "moons", "n": 40})
    body = {"epochs": 6, "batch_size": 8, "pace_ms": int(0.9 * bound * 1000)}
    with client.stream("POST", f"{API}/networks/{net['id']}/train/stream", json=body) as response:
        assert response.status_code == 200
        events = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1]["epoch"] == 6
    # Written after every epoch from the second on (the first, if it ends quickly, is at most 0.9 of
    # the bound from the start): an unwritten one would leave 1.8x the bound to lose.
    assert {2, 3, 4, 5} <= set(written_epochs), written_epochs
