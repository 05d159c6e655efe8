"""A Play stream (paced, with snapshots) on one worker of `serve --workers 2` on one SQLite file,
ended by a request to the other worker: DELETE ends it with done (stop_reason deleted) and the
network is gone everywhere; train/stop ends it with done (requested) and every epoch it reported
is kept. "At once" is counted in epochs: at most a few more arrive after the other worker answered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.multiproc.conftest import StartServer
from tests.multiproc.pinned import PinnedClient, iter_events, worker_pids

EPOCHS = 1000  # far more than the test waits for: only a stop ends the stream early
PLAY = {
    "epochs": EPOCHS,
    "batch_size": 16,
    "pace_ms": 500,
    "snapshot": {"surface_resolution": 24, "trace": {"rows": [0], "split": "train"}},
}
MOST_EPOCHS_AFTER_THE_ANSWER = 4  # the one in progress, and a heartbeat (0.2 s) late under load


@pytest.mark.parametrize("how", ["DELETE", "train/stop"])
def test_a_request_to_the_other_worker_ends_the_play_stream(
    start_server: StartServer, tmp_path: Path, how: str
) -> None:
    server = start_server(workers=2, store=f"sqlite://{tmp_path}/shared.sqlite3")
    assert server.process is not None
    streaming, other = pids = worker_pids(server.process.pid)
    client = PinnedClient(server.port, pids)
    try:
        status, created = client.request(
            streaming,
            "POST",
            "/networks",
            {"sizes": [2, 8, 8, 2], "activation": "tanh", "seed": 2, "dataset": {"name": "moons", "n": 200, "seed": 1}},
        )
        assert status == 201, created
        network = f"/networks/{created['id']}"
        status, _ = client.request(other, "GET", network)  # its connection to the other worker, open before
        assert status == 200
        stream = client.stream(streaming, f"{network}/train/stream", PLAY)
        assert stream.status == 200
        events = iter_events(stream)
        reported = []
        for kind, data in events:  # a few epochs, each with its snapshot, before the other worker is asked
            if kind == "epoch":
                reported.append(data)
            if len(reported) == 2 and kind == "snapshot":
                break
        assert [e["epoch"] for e in reported] == [1, 2]

        if how == "DELETE":
            status, answer = client.request(other, "DELETE", network)
            assert status == 204, answer
        else:
            status, answer = client.request(other, "POST", f"{network}/train/stop")
            assert (status, answer) == (202, {"stopping": True})
        after_answer = 0
        for kind, data in events:
            assert kind in ("epoch", "snapshot", "done"), (kind, data)
            if kind == "epoch":
                reported.append(data)
                after_answer += 1
                assert after_answer <= MOST_EPOCHS_AFTER_THE_ANSWER, "the stream went on after it was stopped"
            if kind == "done":
                done = data
                break
        else:
            raise AssertionError("the stream closed without a done event")
        assert next(events, None) is None  # done is the last event: the stream ends with it
        assert client.served_by == [streaming, other, streaming, other]  # streamed on one, asked on the other

        expected_reason = "deleted" if how == "DELETE" else "requested"
        assert done["stopped"] is True and done["stop_reason"] == expected_reason, done
        assert [e["epoch"] for e in reported] == list(range(1, done["epoch"] + 1))
        for pid in pids:
            status, kept = client.request(pid, "GET", network)
            if how == "DELETE":
                assert status == 404, kept  # the stream's last save did not bring it back
            else:
                assert status == 200 and kept["epoch"] == done["epoch"] and kept["step"] == done["step"], kept
        status, stopping = client.request(other, "POST", f"{network}/train/stop")
        assert status == (404 if how == "DELETE" else 202), stopping
        if how == "train/stop":
            assert stopping == {"stopping": False}  # nothing runs any more
    finally:
        client.close()
