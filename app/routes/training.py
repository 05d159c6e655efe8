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

from fastapi import APIRouter, Body
from starlette.responses import Response, StreamingResponse

from app import encoding, examples, inputs, offload
from app.deps import NetworkDep, Session
from app.errors import InvalidInputError
from app.routes import BODY_ERRORS, errors
from app.schemas import TrainRequest, TrainResult, TrainStop
from app.store import Entry, UnknownNetworkError
from ffnn_core import EpochRecord, Optimizer, train
from ffnn_core.datasets import Dataset

logger = logging.getLogger("backprop_lab.training")

router = APIRouter(tags=["training"])

_TRAIN_EXAMPLES = {
    "sgd": {"summary": "Two epochs of minibatch SGD", "value": examples.TRAIN},
    "adam": {"summary": "Adam with weight decay",
             "value": {"epochs": 50, "batch_size": 16, "optimizer": {"name": "adam", "eta": 0.01, "l2": 0.0001}}},
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


def _train(
    entry: Entry, run: _Run, stop: threading.Event, seconds: float, on_epoch: Callable[[EpochRecord], None] | None
) -> dict[str, Any]:
    """Runs in a worker thread; answers the run's fields without the history records."""
    deadline = time.monotonic() + seconds
    timed_out = False

    def should_stop() -> bool:
        nonlocal timed_out
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
        on_epoch=on_epoch,
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


def _event(kind: str, data: bytes) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"


@router.post(
    "/networks/{network_id:network_id}/train/stream",
    response_model=None,
    responses={
        200: {
            "description": "Server-sent events: one `epoch` event (an EpochRecord) per epoch, then one `done` "
            "event ({diverged, stopped, stop_reason, step, epoch}); `error` ({detail}) if training failed.",
            "content": {
                "text/event-stream": {
                    "itemSchema": {
                        "type": "object",
                        "description": "One server-sent event.",
                        "required": ["event", "data"],
                        "properties": {
                            "event": {"type": "string", "enum": ["epoch", "done", "error"]},
                            "data": {
                                "type": "string",
                                "contentMediaType": "application/json",
                                "description": "JSON: an EpochRecord (epoch); {diverged, stopped, stop_reason, "
                                "step, epoch} (done); {detail} (error).",
                            },
                        },
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
    session: NetworkDep, body: Annotated[TrainRequest, Body(openapi_examples=_TRAIN_EXAMPLES)]
) -> StreamingResponse:
    """As POST .../train, but each epoch's metrics are sent as soon as they exist.

    Closing the stream stops the training after its current minibatch."""
    entry = session.entry
    await entry.lock.acquire()
    try:
        if not entry.alive:
            raise UnknownNetworkError(entry.id)
        run = _prepare(entry, body, session)
    except BaseException:
        entry.lock.release()
        raise
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    stop = threading.Event()
    entry.training_stop = stop

    def on_epoch(record: EpochRecord) -> None:  # in the worker thread
        loop.call_soon_threadsafe(queue.put_nowait, ("epoch", encoding.dumps(encoding.epoch_record(record))))

    async def training() -> None:
        try:
            fields = await offload.in_thread(
                lambda: _train(entry, run, stop, session.settings.max_train_seconds, on_epoch)
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
                if kind != "epoch":
                    return
        finally:
            if not task.done():
                stop.set()

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
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
