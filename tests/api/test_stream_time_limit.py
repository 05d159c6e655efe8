"""The training stream ends at max_train_seconds with a `done` event saying so (stop_reason
time_limit), as POST .../train does: paced (the page's Play stream, stopped between epochs) and
unpaced (stopped inside an epoch). Every epoch it reported is kept, and the network is free again."""

from __future__ import annotations

from typing import Any

import pytest

from app.main import create_app
from tests.api.conftest import API, JSON_TYPE, TestClient, make_settings
from tests.api.test_training import parse_events

EPOCHS = 50  # max_epochs in the tests' limits: far more than fit in the time limit below
PLAY = {"epochs": EPOCHS, "pace_ms": 1000, "snapshot": {"surface_resolution": 12, "trace": {"rows": [0]}}}
UNPACED = {"epochs": EPOCHS, "batch_size": 1}  # spiral n=2000: 1,500 minibatches per epoch


@pytest.mark.parametrize(("body", "limit"), [(PLAY, 0.5), (UNPACED, 0.2)], ids=["paced with snapshots", "unpaced"])
def test_the_stream_ends_at_its_time_limit_with_a_done_event(body: dict[str, Any], limit: float) -> None:
    with TestClient(create_app(make_settings(max_train_seconds=limit))) as client:
        created = client.post(
            f"{API}/networks", json={"sizes": [2, 16, 16, 2], "seed": 3, "dataset": {"name": "spiral", "n": 2000}}
        )
        assert created.status_code == 201, created.text
        url = f"{API}/networks/{created.json()['id']}"
        with client.stream("POST", f"{url}/train/stream", json=body) as response:
            assert response.status_code == 200
            events = parse_events(response.read().decode())

        kinds = [kind for kind, _ in events]
        assert kinds[-1] == "done" and "done" not in kinds[:-1] and "error" not in kinds, kinds
        done = events[-1][1]
        assert done["stopped"] is True and done["stop_reason"] == "time_limit", done
        epochs = [data["epoch"] for kind, data in events if kind == "epoch"]
        assert epochs == list(range(1, done["epoch"] + 1)) and done["epoch"] < EPOCHS
        if "snapshot" in body:
            assert done["epoch"] >= 1  # the first paced epoch starts at once, well inside the limit
            assert {data["epoch"] for kind, data in events if kind == "snapshot"} <= set(epochs)

        after = client.get(url)  # answered at once: the stream gave the network back
        assert after.status_code == 200
        assert after.json()["epoch"] == done["epoch"] and after.json()["step"] == done["step"]
        assert client.post(f"{url}/train/stop", headers=JSON_TYPE).json() == {"stopping": False}
