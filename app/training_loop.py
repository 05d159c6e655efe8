"""A training run on a network whose lease the request holds: epoch by epoch, each epoch in a
computing thread; between epochs (on the event loop) its record is emitted, the network written
to the store when a crash would otherwise lose more than a second or one epoch (``save_due``) and
the pace waited out, so a paced run holds no thread while it waits. It stops when asked
(POST .../train/stop on any worker, the stream closing), when the network is deleted, after
``max_train_seconds``, on shutdown, or at the first non-finite value; a run whose lease was lost raises LeaseLostError.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app import encoding, inputs, offload
from app.deps import Session
from app.errors import InvalidInputError
from app.schemas import TrainRequest
from app.store import Entry, LeaseLostError
from ffnn_core import Divergence, EpochRecord, Network, Optimizer, train
from ffnn_core.datasets import Dataset
from ffnn_core.training import TrainResult as CoreTrainResult

SAVE_EVERY_SECONDS = 1.0  # a crash loses at most this much training, or one epoch when an epoch takes longer
STOP_POLL_SECONDS = 0.05  # a paced stream notices a stop this fast while it waits


@dataclass(frozen=True)
class Run:
    """A validated training request."""

    data: Dataset
    epochs: int
    batch_size: int
    optimizer: Optimizer


def prepare(entry: Entry, body: TrainRequest, session: Session) -> Run:
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
    return Run(data, body.epochs, body.batch_size, inputs.optimizer(body.optimizer))


@dataclass
class Outcome:
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
_EpochDone = tuple[CoreTrainResult, bytes | None, bytes | None, float]  # the epoch, its snapshot, record to save, end


async def train_epochs(
    entry: Entry,
    run: Run,
    session: Session,
    *,
    pace: float | None = None,
    emit: Emit | None = None,
    snapshot: Callable[[Network], bytes] | None = None,
    want_snapshot: Callable[[], bool] = lambda: True,
) -> Outcome:
    """Train epoch by epoch, each epoch in a worker thread; between epochs (on the event loop) emit
    its record, write the network to the store when ``save_due`` says, and wait out ``pace``, so a
    paced training holds no thread while it waits.

    Stops at the next minibatch when the network is deleted, at the time limit or on shutdown;
    a stop request (POST .../train/stop, the stream closing) too, but between epochs when paced."""
    store, settings = session.store, session.settings
    deadline = time.monotonic() + settings.max_train_seconds
    network, data = entry.network, run.data
    outcome = Outcome()
    await store.mark_training_async(entry)

    def should_stop() -> bool:
        if time.monotonic() > deadline:
            return True
        return entry.stop.is_set() and (pace is None or entry.stop_reason != "requested")

    last_save = time.monotonic()  # when the network in the store was last brought up to date
    for _ in range(run.epochs):
        epoch_start = time.monotonic()
        if entry.stop.is_set() or epoch_start > deadline:
            outcome.stopped = True
            break
        # Decided before the epoch (the reader had the pace to take the last one), so that the
        # epoch, its snapshot and its record are one hop to a thread, not three.
        shoot = snapshot is not None and emit is not None and await _caught_up(want_snapshot)

        def one_epoch(
            last_save: float = last_save, epoch_start: float = epoch_start, shoot: bool = shoot
        ) -> _EpochDone:
            result = train(
                network, data.X_train, data.y_train, epochs=1, batch_size=run.batch_size, optimizer=run.optimizer,
                X_test=data.X_test, y_test=data.y_test, should_stop=should_stop,
            )  # fmt: skip
            shot = snapshot(network) if shoot and snapshot is not None and result.history else None
            now = time.monotonic()
            next_epoch_in = max(now - epoch_start, pace or 0.0)  # this epoch's time (and pace) again
            record = entry.record() if save_due(now - last_save, next_epoch_in) else None
            return result, shot, record, now

        result, shot, record, epoch_end = await offload.in_thread(one_epoch)
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
            last_save = epoch_end
        if pace is not None:
            await _wait(entry, epoch_start + pace, deadline)
    if entry.stop_reason == "lease_lost":  # the heartbeat found another request on it: report, never "done"
        raise LeaseLostError(entry.id, store.lease_seconds)
    if outcome.stopped:
        outcome.stop_reason = entry.stop_reason if entry.stop.is_set() else "time_limit"
    return outcome


def save_due(since_last_save: float, next_epoch_in: float) -> bool:
    """Whether the network is written after the epoch that just ended: yes, unless the next epoch
    too would end within SAVE_EVERY_SECONDS of the last write. So a crash loses at most a second of
    training, or one epoch when an epoch takes longer; written at most about twice a second (a 0.9 s
    paced epoch: every epoch, not every second one, which could lose 1.8 s)."""
    return since_last_save + next_epoch_in > SAVE_EVERY_SECONDS


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
