"""Training on the attached dataset: a whole run, a live stream of epochs (SSE), and stop.

A training holds the network's lease (other requests on this network wait, on any worker;
requests on other networks do not) and runs each epoch in a worker thread. It writes the network
to the store at most once a second, so a crash loses at most that. It stops early when asked
(POST .../train/stop on any worker, or the stream's client goes away), when the network is
deleted, after ``max_train_seconds``, on shutdown (SIGTERM), or at the first non-finite value
(``diverged``). A training whose lease was lost (another request took the network) ends with a 503
(POST .../train) or an ``error`` event (the stream) saying its epochs since the last save were not kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, HTTPException, Request
from starlette.responses import Response, StreamingResponse

from app import answers, encoding, examples, inputs, offload
from app.deps import KnownNetworkId, NetworkDep, NetworkId, Session, StoreDep
from app.errors import InvalidInputError
from app.routes import BODY_ERRORS, errors
from app.routes.compute import _range as surface_range
from app.routes.compute import check_surface
from app.schemas import TrainRequest, TrainResult, TrainStop, TrainStreamRequest
from app.settings import Settings
from app.store import Entry, LeaseLostError
from ffnn_core import (
    Divergence,
    EpochRecord,
    Network,
    Optimizer,
    backward,
    decision_surface,
    first_non_finite_parameters,
    train,
)
from ffnn_core.datasets import Dataset
from ffnn_core.training import TrainResult as CoreTrainResult

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
SAVE_EVERY_SECONDS = 1.0  # a training writes its network at most this often (and after every epoch if rarer)
STOP_POLL_SECONDS = 0.05  # a paced stream notices a stop this fast while it waits
STREAM_RETRY_AFTER_SECONDS = 5


@dataclass
class StreamCount:
    """Training streams this worker runs now (bounded by max_streams)."""

    running: int = 0


@dataclass(frozen=True)
class _Run:
    """A validated training request."""

    data: Dataset
    epochs: int
    batch_size: int
    optimizer: Optimizer


def _prepare(entry: Entry, body: TrainRequest, session: Session) -> _Run:
    settings = session.settings
    data = entry.dataset
    if data is None:
        raise InvalidInputError("this network has no dataset attached; create it with a dataset to train it")
    if body.epochs > settings.max_epochs:
        raise InvalidInputError(f"epochs {body.epochs} is more than max_epochs = {settings.max_epochs}")
    if body.batch_size > settings.max_train_batch_size:
        raise InvalidInputError(
            f"batch_size {body.batch_size} is more than max_train_batch_size = {settings.max_train_batch_size}"
        )
    return _Run(data, body.epochs, body.batch_size, inputs.optimizer(body.optimizer))


def _snapshotter(entry: Entry, body: TrainStreamRequest, session: Session) -> Callable[[Network], bytes] | None:
    """The `snapshot` event's data for the network as an epoch left it (validated here, before the stream)."""
    spec = body.snapshot
    if spec is None:
        return None
    network = entry.network
    settings = session.settings
    surface_args: tuple[tuple[float, float], tuple[float, float] | None, int] | None = None
    if spec.surface_resolution is not None:
        n_0 = check_surface(network, spec.surface_resolution, settings, "snapshot.surface_resolution")
        data = entry.dataset
        assert data is not None  # training needs one (checked first)
        X = np.concatenate([data.X_train, data.X_test])
        x1 = surface_range(None, None, X[:, 0], "x1")
        x2 = surface_range(None, None, X[:, 1], "x2") if n_0 == 2 else None
        surface_args = (x1, x2, spec.surface_resolution)
    trace_args = None
    if spec.trace is not None:
        batch = inputs.examples(spec.trace, entry, settings, need_targets=True)
        assert batch.targets is not None
        trace_args = (batch.X, batch.targets, inputs.drop_g_prime_layer(spec.trace.drop_g_prime_layer, network))
    surface_points = 0 if surface_args is None else surface_args[2] ** network.config.sizes[0]
    answers.check_snapshot(network, surface_points, 0 if trace_args is None else trace_args[0].shape[0], settings)

    def snapshot(net: Network) -> bytes:
        parameters_found = first_non_finite_parameters(net)  # one scan for both the snapshot and its surface
        fields: dict[str, Any] = {
            "epoch": net.epoch,
            "step": net.step,
            "W": net.W,
            "b": net.b,
            "diverged": encoding.divergence(parameters_found),
            "surface": None,
            "trace": None,
        }
        if surface_args is not None:
            fields["surface"] = encoding.surface(decision_surface(net, *surface_args), net, parameters_found)
        if trace_args is not None:
            X_t, targets, drop = trace_args
            fields["trace"] = encoding.backward_trace(backward(net, X_t, targets, drop_g_prime_layer=drop))
        return encoding.dumps(fields)

    return snapshot


@dataclass
class _Outcome:
    """How a training ended (TrainDone's fields, and the history for POST .../train)."""

    history: list[EpochRecord] = field(default_factory=list)
    diverged: Divergence | None = None
    stopped: bool = False
    stop_reason: str | None = None

    def fields(self, network: Network) -> dict[str, Any]:
        return {
            "diverged": encoding.divergence(self.diverged),
            "stopped": self.stopped,
            "stop_reason": self.stop_reason,
            "step": network.step,
            "epoch": network.epoch,
        }


Emit = Callable[[EpochRecord, bytes | None], None]
_EpochDone = tuple[CoreTrainResult, bytes | None, bytes | None]  # the epoch, its snapshot, its record to save


async def _train(
    entry: Entry,
    run: _Run,
    session: Session,
    *,
    pace: float | None = None,
    emit: Emit | None = None,
    snapshot: Callable[[Network], bytes] | None = None,
    want_snapshot: Callable[[], bool] = lambda: True,
) -> _Outcome:
    """Train epoch by epoch, each epoch in a worker thread; between epochs (on the event loop) emit
    its record, write the network to the store at most once a second, and wait out ``pace``, so a
    paced training holds no thread while it waits.

    Stops at the next minibatch when the network is deleted, at the time limit or on shutdown;
    a stop request (POST .../train/stop, the stream closing) too, but between epochs when paced."""
    store, settings = session.store, session.settings
    deadline = time.monotonic() + settings.max_train_seconds
    network, data = entry.network, run.data
    outcome = _Outcome()
    await store.mark_training_async(entry)

    def should_stop() -> bool:
        if time.monotonic() > deadline:
            return True
        return entry.stop.is_set() and (pace is None or entry.stop_reason != "requested")

    last_save = time.monotonic()  # when the epoch last written started (paced 1 s apart: each one is written)
    for _ in range(run.epochs):
        epoch_start = time.monotonic()
        if entry.stop.is_set() or epoch_start > deadline:
            outcome.stopped = True
            break
        # Decided before the epoch (the reader had the pace to take the last one), so that the
        # epoch, its snapshot and its record are one hop to a thread, not three.
        shoot = snapshot is not None and emit is not None and await _caught_up(want_snapshot)

        def one_epoch(last_save: float = last_save, shoot: bool = shoot) -> _EpochDone:
            result = train(
                network, data.X_train, data.y_train, epochs=1, batch_size=run.batch_size, optimizer=run.optimizer,
                X_test=data.X_test, y_test=data.y_test, should_stop=should_stop,
            )  # fmt: skip
            shot = snapshot(network) if shoot and snapshot is not None and result.history else None
            record = entry.record() if time.monotonic() - last_save >= SAVE_EVERY_SECONDS else None
            return result, shot, record

        result, shot, record = await offload.in_thread(one_epoch)
        entry.mark_changed()
        outcome.history += result.history
        if emit is not None:
            for record_of_epoch in result.history:
                emit(record_of_epoch, shot)
        if result.diverged is not None:
            outcome.diverged = result.diverged
            break
        if result.stopped:
            outcome.stopped = True
            break
        if record is not None:  # the progress so far survives a crash of this worker
            await store.checkpoint(entry, record)
            last_save = epoch_start
        if pace is not None:
            await _wait(entry, epoch_start + pace, deadline)
    if entry.stop_reason == "lease_lost":  # the heartbeat found another request on it: report, never "done"
        raise LeaseLostError(entry.id, store.lease_seconds)
    if outcome.stopped:
        outcome.stop_reason = entry.stop_reason if entry.stop.is_set() else "time_limit"
    return outcome


async def _caught_up(reader_ready: Callable[[], bool], tries: int = 5) -> bool:
    """Whether the stream's reader took every event so far (giving it a few turns of the event
    loop); a snapshot is made only then, so a slow reader skips snapshots instead of queueing them."""
    for _ in range(tries):
        if reader_ready():
            return True
        await asyncio.sleep(0)
    return reader_ready()


async def _wait(entry: Entry, until: float, deadline: float) -> None:
    """Sleep on the event loop until ``until`` (or the deadline), waking early for a stop."""
    while not entry.stop.is_set():
        remaining = min(until, deadline) - time.monotonic()
        if remaining <= 0:
            return
        await asyncio.sleep(min(remaining, STOP_POLL_SECONDS))


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
    run = _prepare(entry, body, session)
    outcome = await _train(entry, run, session)
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
    entry = await store.acquire(network_id)
    session = Session(entry, session_store, settings)
    try:
        run = _prepare(entry, body, session)
        snapshot = _snapshotter(entry, body, session)
    except BaseException:
        await store.release(entry, save=False)
        raise
    streams.running += 1
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
            outcome = await _train(
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
