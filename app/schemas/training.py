"""Training: what POST .../train and its stream take, the epoch records, and how a run ended."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.common import MAX_INDEX, PER_LAYER, Divergence, NVector, StrictModel
from app.schemas.requests import BackwardRequest, OptimizerSpec


class TrainRequest(StrictModel):
    """Minibatch gradient descent on the attached dataset's train split."""

    epochs: int = Field(default=1, ge=1, le=MAX_INDEX, description="Number of epochs (limit: max_epochs).")
    batch_size: int = Field(default=32, ge=1, le=MAX_INDEX, description="Minibatch size (the whole split when larger).")
    optimizer: OptimizerSpec = OptimizerSpec()


class TrainSnapshotRequest(StrictModel):
    """What each `snapshot` event of the stream holds besides the parameters (opt-in)."""

    surface_resolution: int | None = Field(
        default=None,
        ge=2,
        le=MAX_INDEX,
        description="Also the decision surface at this resolution, as GET .../surface with its default ranges "
        "(1- or 2-input networks; limit: max_surface_resolution).",
    )
    trace: BackwardRequest | None = Field(
        default=None, description="Also the trace of these examples, as POST .../backward with this body."
    )


class TrainStreamRequest(TrainRequest):
    """As TrainRequest, with the stream's opt-in pacing and per-epoch snapshots."""

    pace_ms: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Start epochs at least this many milliseconds apart (a watchable live view). With it, a "
        "stop (train/stop or closing the stream) takes effect between epochs, so every trained epoch is reported.",
    )
    snapshot: TrainSnapshotRequest | None = Field(
        default=None,
        description="Send a `snapshot` event after each epoch's `epoch` event: {epoch, step, W, b, diverged, "
        "surface: Surface|null, trace: BackwardResult|null}, the network as that epoch left it.",
    )


class EpochRecord(BaseModel):
    epoch: int
    step: int
    train_loss: float | None
    train_accuracy: float | None = Field(description="null without class labels.")
    test_loss: float | None = Field(description="null without a test split.")
    test_accuracy: float | None
    grad_W_norms: NVector = Field(description=f"{PER_LAYER} Mean over minibatches of ||grad_W_k||_F.")
    grad_a_norms: NVector = Field(description=f"{PER_LAYER} Mean over minibatches of RMS_n ||grad_a_k||.")


StopReason = Literal["requested", "time_limit", "deleted", "shutdown"]


class TrainDone(BaseModel):
    diverged: Divergence | None = Field(description="Training stops at the first non-finite value.")
    stopped: bool = Field(description="Stopped before all epochs ran (see stop_reason); not set by divergence.")
    stop_reason: StopReason | None = Field(
        description="requested (POST .../train/stop or the stream closed), time_limit (max_train_seconds), "
        "deleted (the network was deleted or expired), shutdown (the server stopped; the network was saved)."
    )
    step: int
    epoch: int


class TrainResult(TrainDone):
    history: list[EpochRecord] = Field(description="One record per completed epoch.")


class TrainStop(BaseModel):
    stopping: bool = Field(description="true when a training of this network was running and will stop.")
