"""Training routes: a whole run (POST .../train), a live stream of epochs (SSE), and stop.

The run itself (epochs in computing threads, saved so that a crash loses at most a second or one
epoch, stopped when asked) is ``app.training_loop``; the stream's snapshots are ``app.snapshots``.
A training holds the network's lease (other requests on this network wait, on any worker;
requests on other networks do not). One whose lease was lost (another request took the network)
ends with a 503 (POST .../train) or an ``error`` event (the stream) saying its epochs since the
last save were not kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Request
from starlette.responses import Response, StreamingResponse

from app import answers, encoding, examples, snapshots, training_loop
from app.deps import KnownNetworkId, NetworkDep, NetworkId, Session, StoreDep
from app.routes import BODY_ERRORS, errors
from app.schemas import TrainRequest, TrainResult, TrainStop, TrainStreamRequest
from app.settings import Settings
from app.store import LeaseLostError
from ffnn_core import EpochRecord

logger = logging.getLogger("backprop_lab.training")

router = APIRouter(tags=["training"])

_TRAIN_EXAMPLES = {
    "sgd": {"summary": "Two epochs of minibatch SGD", "value": examples.TRAIN},
    "adam": {"summary": "Adam with weight decay",
             "value": {"epochs": 50, "batch_size": 16, "optimizer": {"name": "adam", "eta": 0.01, "l2": 0.0001}}},
}  # fmt: skip

_STREAM_EXAMPLES = {
    **_TRAIN_EXAMPLES,
    "live view": {
        "summary": "Paced epochs, each followed by a snapshot with the surface and one traced row",
        "value": {"epochs": 100, "batch_size": 16, "pace_ms": 40,
                  "snapshot": {"surface_resolution": 24, "trace": {"rows": [0], "split": "train"}}},
    },
}  # fmt: skip

_background: set[asyncio.Task[None]] = set()  # running stream trainings (kept referenced)
STREAM_RETRY_AFTER_SECONDS = 5


@dataclass
class StreamCount:
    """Training streams this worker runs now (bounded by max_streams)."""

    running: int = 0


@router.post(
    "/networks/{network_id:network_id}/train",
    response_model=TrainResult,
    responses={200: examples.json_example(examples.train_result()), **errors(404, *BODY_ERRORS)},
    summary="Train for some epochs",
    name="train",
)
async def train_network(
    session: NetworkDep, body: Annotated[TrainRequest, Body(openapi_examples=_TRAIN_EXAMPLES)]
) -> Response:
    """Minibatch gradient descent on the attached dataset; answers the per-epoch history."""
    entry = session.entry
    run = training_loop.prepare(entry, body, session)
    answers.check_history(entry.network, run.epochs, session.settings)
    outcome = await training_loop.train_epochs(entry, run, session)
    fields = outcome.fields(entry.network)
    fields["history"] = [encoding.epoch_record(r) for r in outcome.history]
    return encoding.json_response(fields)


class EventStreamResponse(StreamingResponse):
    """Server-sent events (so that the stream is documented as text/event-stream only)."""

    media_type = "text/event-stream"


def _event(kind: str, data: bytes) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"


def _pending_events(events: asyncio.Queue[tuple[str, bytes]], latest_snapshot: list[bytes]) -> tuple[bytes, bool]:
    """The SSE bytes of every event waiting (epochs, then the latest snapshot, then the end if it
    came), and whether the stream ends with them."""
    parts = []
    while not events.empty():
        kind, data = events.get_nowait()
        if kind == "epoch":
            parts.append(_event(kind, data))
            continue
        if latest_snapshot:
            parts.append(_event("snapshot", latest_snapshot.pop()))
        parts.append(_event(kind, data))
        return b"".join(parts), True
    if latest_snapshot:
        parts.append(_event("snapshot", latest_snapshot.pop()))
    return b"".join(parts), False


@router.post(
    "/networks/{network_id:network_id}/train/stream",
    response_model=None,
    response_class=EventStreamResponse,
    responses={
        200: {
            "description": "Server-sent events: one `epoch` event (an EpochRecord) per epoch, each followed by a "
            "`snapshot` event if the body asked for snapshots, then one `done` event ({diverged, stopped, "
            "stop_reason, step, epoch}); `error` ({detail}) if training failed.",
            "content": {
                "text/event-stream": {
                    # The whole body, as OpenAPI 3.1 describes it (itemSchema, one event, is 3.2).
                    "schema": {
                        "type": "string",
                        "description": "Server-sent events, each `event: <type>` then `data: <one line of JSON>` "
                        "and a blank line. Types and their data: `epoch`: an EpochRecord; `snapshot` (opt-in, "
                        "after each epoch): {epoch, step, W, b, diverged, surface: Surface|null, trace: "
                        "BackwardResult|null}, the network as that epoch left it; `done` (last): a TrainDone; "
                        "`error` (last, instead of done): an ErrorBody ({detail}).",
                    },
                    "example": examples.train_stream(),
                }
            },
        },
        **errors(404, *BODY_ERRORS),
    },
    summary="Train, streaming each epoch (SSE)",
)
async def train_stream(
    request: Request,
    network_id: KnownNetworkId,
    body: Annotated[TrainStreamRequest, Body(openapi_examples=_STREAM_EXAMPLES)],
) -> EventStreamResponse:
    """As POST .../train, but each epoch's metrics are sent as soon as they exist.

    Opt-in: ``pace_ms`` spaces the epochs out; ``snapshot`` adds, after each epoch, the parameters
    and (as asked) the decision surface and a trace, computed in the training thread.
    Closing the stream stops the training after its current minibatch (between epochs with pace_ms)."""
    store = session_store = request.app.state.store
    settings: Settings = request.app.state.settings
    streams: StreamCount = request.app.state.streams
    if streams.running >= settings.max_streams:
        raise HTTPException(
            503,
            f"this server runs {settings.max_streams} training streams already (max_streams); try again shortly",
            headers={"Retry-After": str(STREAM_RETRY_AFTER_SECONDS)},
        )
    streams.running += 1  # counted before the first await: a burst of requests cannot all pass the check
    try:
        entry = await store.acquire(network_id)
        session = Session(entry, session_store, settings)
        try:
            run = training_loop.prepare(entry, body, session)
            answers.check_history(entry.network, 1, settings, stream=True)
            snapshot = snapshots.snapshotter(entry, body, session)
        except BaseException:
            await store.release(entry, save=False)
            raise
    except BaseException:
        streams.running -= 1
        raise
    events: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()  # epoch records and the end: small
    latest_snapshot: list[bytes] = []  # at most one waiting: a slow reader skips snapshots
    woken = asyncio.Event()
    pace = body.pace_ms / 1000 if body.pace_ms is not None else None

    def emit(record: EpochRecord, shot: bytes | None) -> None:
        events.put_nowait(("epoch", encoding.dumps(encoding.epoch_record(record))))
        if shot is not None:
            latest_snapshot[:] = [shot]
        woken.set()

    async def training() -> None:
        try:
            outcome = await training_loop.train_epochs(
                entry,
                run,
                session,
                pace=pace,
                emit=emit,
                snapshot=snapshot,
                want_snapshot=lambda: events.empty() and not latest_snapshot,
            )
            await store.release(entry, save=True)
            events.put_nowait(("done", encoding.dumps(outcome.fields(entry.network))))
        except LeaseLostError as exc:  # the epochs since the last save are not kept: say so, and how to go on
            logger.warning("training of network %s lost its lease", entry.id)
            await store.release(entry, save=False)
            events.put_nowait(("error", encoding.dumps({"detail": str(exc)})))
        except Exception:
            logger.exception("training of network %s failed", entry.id)
            await store.release(entry, save=False)
            events.put_nowait(("error", encoding.dumps({"detail": "training failed (internal error)"})))
        finally:
            streams.running -= 1
            woken.set()

    task = asyncio.create_task(training())
    _background.add(task)
    task.add_done_callback(_background.discard)

    async def stream() -> AsyncIterator[bytes]:
        try:
            while True:
                await woken.wait()
                woken.clear()
                chunk, ended = _pending_events(events, latest_snapshot)
                if chunk:
                    yield chunk  # every event waiting, in one write (one pass through the ASGI stack)
                if ended:
                    return
        finally:
            if not task.done():
                entry.request_stop("requested")

    return EventStreamResponse(stream(), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post(
    "/networks/{network_id:network_id}/train/stop",
    status_code=202,
    response_model=TrainStop,
    responses={202: examples.json_example({"stopping": True}, "Accepted"), **errors(404)},
    summary="Stop a running training",
)
async def stop_training(network_id: NetworkId, store: StoreDep) -> Response:
    """Asks a running training of this network, on whichever worker, to stop after its current
    minibatch (does not wait)."""
    return encoding.json_response({"stopping": await store.request_stop(network_id)}, 202)
