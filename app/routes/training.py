"""Training on the attached dataset: a whole run, a live stream of epochs (SSE), and stop.

Training runs in a worker thread with the network's lock held (other requests on this network
wait; requests on other networks do not). It stops early when asked (POST .../train/stop, or the
stream's client goes away), when the network is deleted, after ``max_train_seconds``, or at the
first non-finite value (``diverged``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body
from starlette.responses import Response, StreamingResponse

from app import encoding, examples, inputs, offload
from app.deps import NetworkDep, Session
from app.errors import InvalidInputError
from app.routes import BODY_ERRORS, errors
from app.routes.compute import _range as surface_range
from app.schemas import TrainRequest, TrainResult, TrainStop, TrainStreamRequest
from app.store import Entry, UnknownNetworkError
from ffnn_core import EpochRecord, Network, Optimizer, backward, decision_surface, first_non_finite_parameters, train
from ffnn_core.datasets import Dataset

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
        n_0 = network.config.sizes[0]
        if n_0 not in (1, 2):
            raise InvalidInputError(f"snapshot.surface_resolution: a decision surface needs 1 or 2 inputs, n_0 = {n_0}")
        if spec.surface_resolution > settings.max_surface_resolution:
            raise InvalidInputError(
                f"snapshot.surface_resolution {spec.surface_resolution} is more than "
                f"max_surface_resolution = {settings.max_surface_resolution}"
            )
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

    def snapshot(net: Network) -> bytes:
        fields: dict[str, Any] = {
            "epoch": net.epoch,
            "step": net.step,
            "W": net.W,
            "b": net.b,
            "diverged": encoding.divergence(first_non_finite_parameters(net)),
            "surface": None,
            "trace": None,
        }
        if surface_args is not None:
            fields["surface"] = encoding.surface(decision_surface(net, *surface_args), net)
        if trace_args is not None:
            X_t, targets, drop = trace_args
            fields["trace"] = encoding.backward_trace(backward(net, X_t, targets, drop_g_prime_layer=drop))
        return encoding.dumps(fields)

    return snapshot


def _train(
    entry: Entry,
    run: _Run,
    stop: threading.Event,
    seconds: float,
    on_epoch: Callable[[EpochRecord], None] | None,
    pace: float | None = None,
) -> dict[str, Any]:
    """Runs in a worker thread; answers the run's fields without the history records.

    With ``pace`` (seconds), epochs start at least that far apart and a stop request takes effect
    only between epochs (a deleted network or the time limit still stop at once)."""
    deadline = time.monotonic() + seconds
    timed_out = False
    next_start = time.monotonic()
    between_epochs = True  # the next should_stop() call comes before an epoch's first minibatch

    def epoch_done(record: EpochRecord) -> None:
        nonlocal between_epochs
        between_epochs = True
        if on_epoch is not None:
            on_epoch(record)

    def should_stop() -> bool:
        nonlocal timed_out, between_epochs, next_start
        if pace is not None:
            if not between_epochs:
                timed_out = time.monotonic() > deadline
                return timed_out or not entry.alive
            between_epochs = False
            wait = min(next_start, deadline) - time.monotonic()
            if wait > 0:
                stop.wait(wait)
            next_start = max(next_start + pace, time.monotonic())
        if stop.is_set():
            return True
        timed_out = time.monotonic() > deadline
        return timed_out

    network, data = entry.network, run.data
    result = train(
        network,
        data.X_train,
        data.y_train,
        epochs=run.epochs,
        batch_size=run.batch_size,
        optimizer=run.optimizer,
        X_test=data.X_test,
        y_test=data.y_test,
        on_epoch=epoch_done,
        should_stop=should_stop,
    )
    reason = None
    if result.stopped:
        reason = "time_limit" if timed_out else ("requested" if entry.alive else "deleted")
    return {
        "history": result.history,
        "diverged": encoding.divergence(result.diverged),
        "stopped": result.stopped,
        "stop_reason": reason,
        "step": network.step,
        "epoch": network.epoch,
    }


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
    async with session.store.use(session.entry) as entry:
        run = _prepare(entry, body, session)
        stop = threading.Event()
        entry.training_stop = stop
        try:
            fields = await offload.in_thread(lambda: _train(entry, run, stop, session.settings.max_train_seconds, None))
        finally:
            entry.training_stop = None
        fields["history"] = [encoding.epoch_record(r) for r in fields["history"]]
        session.store.save(entry)
        return encoding.json_response(fields)


class EventStreamResponse(StreamingResponse):
    """Server-sent events (so that the stream is documented as text/event-stream only)."""

    media_type = "text/event-stream"


def _event(kind: str, data: bytes) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"


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
    session: NetworkDep, body: Annotated[TrainStreamRequest, Body(openapi_examples=_STREAM_EXAMPLES)]
) -> EventStreamResponse:
    """As POST .../train, but each epoch's metrics are sent as soon as they exist.

    Opt-in: ``pace_ms`` spaces the epochs out; ``snapshot`` adds, after each epoch, the parameters
    and (as asked) the decision surface and a trace, computed in the training thread.
    Closing the stream stops the training after its current minibatch (between epochs with pace_ms)."""
    entry = session.entry
    await entry.lock.acquire()
    try:
        if not entry.alive:
            raise UnknownNetworkError(entry.id)
        run = _prepare(entry, body, session)
        snapshot = _snapshotter(entry, body, session)
    except BaseException:
        entry.lock.release()
        raise
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    stop = threading.Event()
    entry.training_stop = stop

    pace = body.pace_ms / 1000 if body.pace_ms is not None else None

    def on_epoch(record: EpochRecord) -> None:  # in the worker thread
        loop.call_soon_threadsafe(queue.put_nowait, ("epoch", encoding.dumps(encoding.epoch_record(record))))
        if snapshot is not None:
            loop.call_soon_threadsafe(queue.put_nowait, ("snapshot", snapshot(entry.network)))

    async def training() -> None:
        try:
            fields = await offload.in_thread(
                lambda: _train(entry, run, stop, session.settings.max_train_seconds, on_epoch, pace)
            )
            del fields["history"]
            session.store.save(entry)
            queue.put_nowait(("done", encoding.dumps(fields)))
        except Exception:
            logger.exception("training of network %s failed", entry.id)
            queue.put_nowait(("error", encoding.dumps({"detail": "training failed (internal error)"})))
        finally:
            entry.training_stop = None
            session.store.touch(entry)
            entry.lock.release()

    task = asyncio.create_task(training())
    _background.add(task)
    task.add_done_callback(_background.discard)

    async def events() -> AsyncIterator[bytes]:
        try:
            while True:
                kind, data = await queue.get()
                yield _event(kind, data)
                if kind not in ("epoch", "snapshot"):
                    return
        finally:
            if not task.done():
                stop.set()

    return EventStreamResponse(
        events(), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.post(
    "/networks/{network_id:network_id}/train/stop",
    status_code=202,
    response_model=TrainStop,
    responses={202: examples.json_example({"stopping": True}, "Accepted"), **errors(404)},
    summary="Stop a running training",
)
async def stop_training(session: NetworkDep) -> Response:
    """Asks a running training of this network to stop after its current minibatch (does not wait)."""
    stop = session.entry.training_stop
    if stop is not None:
        stop.set()
    return encoding.json_response({"stopping": stop is not None}, 202)
