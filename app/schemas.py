"""Pydantic models of the REST API: what requests may hold and what responses look like.

Kept apart from ffnn_core: the routes turn these into core calls. Request models are strict
(``false`` is not a number, ``"1"`` is not an integer), forbid unknown fields and refuse
non-finite numbers. Response models document the JSON the routes write with ``app.encoding``
(they are never used to re-encode it); in them a number is ``null`` exactly where the value
went non-finite, and ``diverged`` says where that started.

Notation (the lecture notes'): layer k = 1..L, a_k = b_k + W_k h_{k-1}, h_k = g(a_k), h_0 = x,
y_hat = h_L = O(a_L); W_k has n_k rows of n_{k-1} numbers; a batch is N rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from app import suggest
from ffnn_core import ACTIVATIONS, INITIALIZERS, LOSSES, OPTIMIZERS, OUTPUTS
from ffnn_core.datasets import DATASETS, MAX_BLOB_CLASSES, MAX_N, MAX_TEST_FRACTION, MIN_BLOB_CLASSES, MIN_N
from ffnn_core.optimizers import MAX_COUNT as OPTIMIZER_MAX_COUNT

# Names accepted by the API: the keys of the core registries.
if TYPE_CHECKING:
    ActivationName = str
    OutputName = str
    LossName = str
    InitName = str
    OptimizerName = str
    DatasetName = str
else:
    ActivationName = Literal[tuple(ACTIVATIONS)]
    OutputName = Literal[tuple(OUTPUTS)]
    LossName = Literal[tuple(LOSSES)]
    InitName = Literal[tuple(INITIALIZERS)]
    OptimizerName = Literal[tuple(OPTIMIZERS)]
    DatasetName = Literal[tuple(DATASETS)]

SEED_MAX = 2**32 - 1
# Every integer a request may hold is bounded, so none can overflow int64 (numpy) or SQLite:
# counters (step, epoch) at 2^53 - 1 (exact as float64 and in JavaScript), all others (widths,
# indices, counts) at 2^31 - 1; the configured limits (GET /meta) are checked after these.
MAX_COUNT = OPTIMIZER_MAX_COUNT
MAX_INDEX = 2**31 - 1
MAX_INIT_SCALE = 100.0
MAX_NOISE = 10.0

Split = Literal["train", "test"]
Seed = Annotated[int, Field(ge=0, le=SEED_MAX, description=f"Random seed, 0..{SEED_MAX}.")]

# Finite numbers in requests; numbers or null (non-finite) in responses.
Vector = list[float]
Matrix = list[list[float]]
NVector = list[float | None]
NMatrix = list[NVector]

PER_LAYER = "Index k-1 holds layer k (k = 1..L)."
ROWS = "N rows, one per example."
STATE_DOCUMENT = (
    'Optimiser state, e.g. "adam.m_W": [one array per layer shaped like W_k], and "<optimiser>.t": [[t]], '
    "the updates that optimiser has made since it was chosen (0..2^53 - 1). Only the last optimiser used "
    "has state: choosing another starts it afresh (zero state, t = 1)."
)


class StrictModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: object) -> object:
        """Unknown keys are refused with the field that was probably meant (X: did you mean x?)."""
        if isinstance(data, dict):
            allowed = [field.alias or name for name, field in cls.model_fields.items()]
            wrong = [key for key in data if key not in allowed]
            if wrong:
                raise ValueError("; ".join(suggest.unknown(str(key), allowed) for key in wrong))
        return data


# --- errors ------------------------------------------------------------------------------


class ValidationErrorItem(BaseModel):
    type: str
    loc: list[str | int]
    msg: str


class ErrorBody(BaseModel):
    """Every 4xx answer. ``detail`` says what is wrong and what is allowed."""

    detail: str = Field(description="What is wrong and what is allowed, for people.")
    errors: list[ValidationErrorItem] | None = Field(
        default=None, description="422 from request validation only: pydantic's list of errors."
    )


class Divergence(BaseModel):
    """The FIRST quantity that went non-finite (NaN or infinity), in computation order."""

    model_config = ConfigDict(strict=True, extra="forbid")

    stage: Literal["forward", "backward", "update"]
    quantity: str = Field(
        description='"a", "h", "loss", "grad_a", "grad_h", "grad_W", "grad_b", "W" or "b"; '
        '"optimizer_state" (a step only) when only the optimiser\'s own numbers overflowed.'
    )
    layer: int | None = Field(description="k of the quantity (h and grad_h: their own index 0..L); null for loss.")
    message: str = Field(examples=["grad_a_2 became non-finite (NaN or infinity) in the backward pass"])


DIVERGED = "Where values first went non-finite (they are null in this answer); null when all are finite."


# --- datasets ------------------------------------------------------------------------------


class DatasetSpec(StrictModel):
    """A dataset and how to draw it (arguments of the core's make_dataset)."""

    name: DatasetName
    seed: Seed = 0
    n: int | None = Field(
        default=None, ge=MIN_N, le=MAX_N, description="Number of points (synthetic datasets only); null = default."
    )
    noise: float | None = Field(
        default=None, ge=0, le=MAX_NOISE, description="Noise std (synthetic datasets only); null = default."
    )
    test_fraction: float = Field(
        default=0.25, ge=0, le=MAX_TEST_FRACTION, description="Share of points in the test split."
    )
    standardize: bool = Field(default=False, description="Scale X with the train split's mean and std.")
    n_classes: int | None = Field(
        default=None, ge=MIN_BLOB_CLASSES, le=MAX_BLOB_CLASSES, description='Number of blobs ("blobs" only); null = 3.'
    )


class DatasetQuery(BaseModel):
    """Query parameters of GET /datasets/{name} (the DatasetSpec fields but the name)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    seed: Seed = 0
    n: int | None = Field(
        default=None, ge=MIN_N, le=MAX_N, description="Number of points (synthetic only); default if absent."
    )
    noise: float | None = Field(
        default=None, ge=0, le=MAX_NOISE, description="Noise std (synthetic only); default if absent."
    )
    test_fraction: float = Field(default=0.25, ge=0, le=MAX_TEST_FRACTION)
    standardize: bool = False
    n_classes: int | None = Field(default=None, ge=MIN_BLOB_CLASSES, le=MAX_BLOB_CLASSES, description='"blobs" only.')


class DatasetInfo(BaseModel):
    name: str
    title: str
    description: str
    task: Literal["classification", "regression"]
    n_inputs: int
    n_outputs: int = Field(description="Classes (classification) or target width (regression).")
    n_classes: int | None
    default_n: int
    default_noise: float
    synthetic: bool = Field(description="n and noise apply only when true.")
    max_n: int
    class_names: list[str] | None
    feature_names: list[str]
    image_shape: list[int] | None = Field(
        default=None, description="[rows, columns] when each input is an image (pixels row by row), else null."
    )


class DatasetPoints(BaseModel):
    info: DatasetInfo
    spec: DatasetSpec
    X_train: Matrix = Field(description="N_train rows of n_inputs numbers.")
    y_train: list[int] | Matrix = Field(description="Integer labels (classification) or target rows (regression).")
    X_test: Matrix
    y_test: list[int] | Matrix


# --- networks ------------------------------------------------------------------------------


class NetworkCreate(StrictModel):
    """A new network. Hidden layers use ``activation``; the output layer uses ``output``."""

    sizes: list[Annotated[int, Field(ge=1, le=MAX_INDEX)]] = Field(
        min_length=2,
        description="Layer widths [n_0, ..., n_L]: n_0 inputs, n_L outputs; L = len(sizes) - 1 "
        "(limits: max_layers, max_width, max_parameters in GET /meta).",
        examples=[[2, 4, 2]],
    )
    activation: ActivationName | list[ActivationName] = Field(
        default="tanh", description="One hidden activation g for all hidden layers, or one per hidden layer (L - 1)."
    )
    output: OutputName = Field(default="softmax", description="Output function O.")
    loss: LossName = Field(default="cross_entropy", description="Loss; see valid_pairs in GET /meta.")
    init: InitName = Field(default="xavier_uniform", description="Weight initialisation; biases start at 0.")
    init_scale: float = Field(
        default=1.0,
        ge=0,
        le=MAX_INIT_SCALE,
        description='r of "uniform" U(-r, r), sigma of "normal"; unused otherwise.',
    )
    seed: Seed = 0
    dataset: DatasetSpec | None = Field(
        default=None,
        description="Attach a dataset: n_0 must equal its n_inputs, n_L its n_outputs (or 1 for 2 classes).",
    )


class NetworkConfig(StrictModel):
    sizes: list[Annotated[int, Field(ge=1, le=MAX_INDEX)]] = Field(min_length=2)
    activations: list[ActivationName] = Field(description="Hidden activation of layer k at index k-1 (L - 1).")
    output: OutputName
    loss: LossName
    init: InitName
    init_scale: float = Field(ge=0, le=MAX_INIT_SCALE)
    seed: Seed


class NetworkPublic(BaseModel):
    """A stored network: its configuration, all its parameters and its counters."""

    id: str = Field(description="32 hex characters (128 random bits).", pattern="^[0-9a-f]{32}$")
    config: NetworkConfig
    dataset: DatasetSpec | None
    W: list[NMatrix] = Field(description=f"{PER_LAYER} W_k: n_k rows of n_(k-1) numbers.")
    b: list[NVector] = Field(description=f"{PER_LAYER} b_k: n_k numbers.")
    step: int = Field(description="Parameter updates since initialisation.")
    epoch: int = Field(description="Training epochs completed.")
    n_parameters: int
    diverged: Divergence | None = Field(description="Non-null when a parameter is non-finite (after a diverged step).")


class ParametersPut(StrictModel):
    """All parameters at once; shapes must match the network's sizes."""

    W: list[Matrix] = Field(description=f"{PER_LAYER} W_k: n_k rows of n_(k-1) numbers.")
    b: list[Vector] = Field(description=f"{PER_LAYER} b_k: n_k numbers.")


class ParameterPatch(StrictModel):
    """One number: W_k[i, j] (name "W") or b_k[i] (name "b", j null); i and j are 0-based."""

    name: Literal["W", "b"]
    layer: int = Field(ge=1, le=MAX_INDEX, description="k, 1..L.")
    i: int = Field(ge=0, le=MAX_INDEX, description="Row: unit of layer k, 0..n_k - 1.")
    j: int | None = Field(
        default=None, ge=0, le=MAX_INDEX, description='Column for "W": unit of layer k-1, 0..n_(k-1) - 1; null for "b".'
    )
    value: float


COUNTER = "[[t]]: the updates this optimiser has made since it was chosen."


class OptimizerState(StrictModel):
    """An optimiser's state, one array per layer (index k-1 holds layer k) shaped like W_k (keys
    ending in _W) or b_k (_b), and its step counter ("<name>.t"). Only the keys of the optimiser in use
    are present."""

    momentum_u_W: list[NMatrix] | None = Field(default=None, alias="momentum.u_W")
    momentum_u_b: list[NVector] | None = Field(default=None, alias="momentum.u_b")
    rmsprop_v_W: list[NMatrix] | None = Field(default=None, alias="rmsprop.v_W")
    rmsprop_v_b: list[NVector] | None = Field(default=None, alias="rmsprop.v_b")
    adam_m_W: list[NMatrix] | None = Field(default=None, alias="adam.m_W")
    adam_m_b: list[NVector] | None = Field(default=None, alias="adam.m_b")
    adam_v_W: list[NMatrix] | None = Field(default=None, alias="adam.v_W")
    adam_v_b: list[NVector] | None = Field(default=None, alias="adam.v_b")
    sgd_t: list[NVector] | None = Field(default=None, alias="sgd.t", description=COUNTER)
    momentum_t: list[NVector] | None = Field(default=None, alias="momentum.t", description=COUNTER)
    rmsprop_t: list[NVector] | None = Field(default=None, alias="rmsprop.t", description=COUNTER)
    adam_t: list[NVector] | None = Field(default=None, alias="adam.t", description=COUNTER)


class NetworkDocument(StrictModel):
    """The whole network as one JSON document: what GET .../export answers and POST /networks/import
    takes. Numbers are null only in the export of a diverged network (see ``diverged``); import
    needs finite numbers and ignores ``diverged``."""

    format: Literal["backprop-lab/network"]
    version: Literal[1]
    config: NetworkConfig
    dataset: DatasetSpec | None = None
    W: list[NMatrix] = Field(description=f"{PER_LAYER} W_k: n_k rows of n_(k-1) numbers.")
    b: list[NVector] = Field(description=f"{PER_LAYER} b_k: n_k numbers.")
    step: int = Field(default=0, ge=0, le=MAX_COUNT, description="Updates made, 0..2^53 - 1.")
    epoch: int = Field(default=0, ge=0, le=MAX_COUNT, description="Epochs completed, 0..2^53 - 1.")
    optimizer_state: OptimizerState = Field(default_factory=lambda: OptimizerState(), description=STATE_DOCUMENT)
    diverged: Divergence | None = Field(default=None, description=f"{DIVERGED} Ignored on import.")


# --- computation ---------------------------------------------------------------------------


class OptimizerSpec(StrictModel):
    """Update rule and hyper-parameters; eta is the learning rate."""

    name: OptimizerName = "sgd"
    eta: float = Field(default=0.1, ge=0, description="Learning rate.")
    beta: float = Field(default=0.9, ge=0, lt=1, description="momentum and rmsprop.")
    beta1: float = Field(default=0.9, ge=0, lt=1, description="adam.")
    beta2: float = Field(default=0.999, ge=0, lt=1, description="adam.")
    eps: float = Field(default=1e-8, ge=0, description="rmsprop and adam.")
    l2: float = Field(default=0.0, ge=0, description="Weight decay lambda on W (not b).")


X_DESCRIPTION = "N rows of n_0 numbers (a flat list of n_0 numbers is also taken, as one row: N = 1)."
ROWS_DESCRIPTION = "Indices of rows of the attached dataset's split (instead of x); their targets are used as y."


class ForwardRequest(StrictModel):
    """Examples: either ``x`` or ``rows`` (+ ``split``) of the attached dataset."""

    x: Matrix | None = Field(default=None, description=X_DESCRIPTION)
    rows: list[Annotated[int, Field(ge=0, le=MAX_INDEX)]] | None = Field(
        default=None, min_length=1, description=ROWS_DESCRIPTION
    )
    split: Split = "train"

    @field_validator("x", mode="before")
    @classmethod
    def _one_example_as_a_row(cls, x: object) -> object:
        """One shape in the schema (rows), the old shortcut still taken: a flat list is one row."""
        if isinstance(x, list) and x and all(isinstance(v, int | float) and not isinstance(v, bool) for v in x):
            return [x]
        return x

    @model_validator(mode="after")
    def _x_or_rows(self) -> ForwardRequest:
        if (self.x is None) == (self.rows is None):
            raise ValueError("give either x or rows (examples of the attached dataset), not both and not neither")
        return self


class TargetsRequest(ForwardRequest):
    """Examples and targets: ``x`` with ``y``, or ``rows`` (+ ``split``) of the attached dataset."""

    y: list[int] | Matrix | None = Field(
        default=None,
        description="With x: N class labels (0..n_L-1; 0/1 for one output) or N target rows of n_L numbers.",
    )

    @model_validator(mode="after")
    def _y_with_x(self) -> TargetsRequest:
        if self.x is not None and self.y is None:
            raise ValueError("y is required with x (class labels or target rows)")
        if self.rows is not None and self.y is not None:
            raise ValueError("y must not be given with rows: the dataset's own targets are used")
        return self


DROP_G_PRIME = "Teaching fault: leave out g'(a_k) of this hidden layer k (1..L-1)."


class BackwardRequest(TargetsRequest):
    drop_g_prime_layer: int | None = Field(default=None, ge=1, le=MAX_INDEX, description=DROP_G_PRIME)


class StepRequest(TargetsRequest):
    optimizer: OptimizerSpec = OptimizerSpec()


class GradcheckRequest(TargetsRequest):
    eps: float = Field(default=1e-6, gt=0, le=1, description="Finite-difference step.")
    max_entries: int | None = Field(
        default=None, ge=1, le=MAX_INDEX, description="Check at most this many (seeded sample) per tensor."
    )
    seed: Seed = 0
    layers: list[Annotated[int, Field(ge=1, le=MAX_INDEX)]] | None = Field(
        default=None, min_length=1, description="Layers k; null = all."
    )
    drop_g_prime_layer: int | None = Field(default=None, ge=1, le=MAX_INDEX, description=DROP_G_PRIME)


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


def _only_diverged_required(schema: JsonDict) -> None:
    schema["required"] = ["diverged"]


class ForwardResult(BaseModel):
    """Every field is in the answer unless ``?fields=`` chose some (``diverged`` always is)."""

    model_config = ConfigDict(json_schema_extra=_only_diverged_required)

    a: list[NMatrix] = Field(description=f"{PER_LAYER} a_k: {ROWS} of n_k numbers.")
    h: list[NMatrix] = Field(description=f"Index k holds h_k (k = 0..L; h_0 = x, h_L = y_hat): {ROWS}")
    y_hat: NMatrix = Field(description=f"h_L: {ROWS}")
    diverged: Divergence | None = Field(description=DIVERGED)


class BackwardResult(ForwardResult):
    """Forward trace, gradients and losses. grad_a/grad_h rows: gradients of each example's loss;
    grad_W/grad_b: gradients of the batch loss (the mean over examples)."""

    y: Matrix = Field(description="Targets as rows (N, n_L): one-hot e(y) for class labels.")
    grad_a: list[NMatrix] = Field(description=f"{PER_LAYER} grad_a_k: {ROWS}")
    grad_h: list[NMatrix] = Field(description=f"Index k holds grad_h_k (k = 0..L-1): {ROWS}")
    grad_W: list[NMatrix] = Field(description=f"{PER_LAYER} grad_W_k, shaped like W_k.")
    grad_b: list[NVector] = Field(description=f"{PER_LAYER} grad_b_k, shaped like b_k.")
    losses: NVector = Field(description="Per-example loss (a sum over outputs), N numbers.")
    loss: float | None = Field(description="Batch loss: the mean of losses.")


OPTIMIZER_STATE = (
    'The chosen optimiser\'s state, one array per layer shaped like W_k or b_k, by key: "momentum.u_W", '
    '"momentum.u_b" (momentum), "rmsprop.v_W", "rmsprop.v_b" (rmsprop), "adam.m_W", "adam.m_b", '
    '"adam.v_W", "adam.v_b" (adam); empty for sgd.'
)


class OptimizerUpdate(BaseModel):
    """What the optimiser did in this step, per layer (index k-1 holds layer k), element-wise:
    sgd: Theta <- Theta - eta g; momentum: u <- beta u + g, Theta <- Theta - eta u (eta outside u, as in
    PyTorch: a new eta scales the whole next step);
    rmsprop: v <- beta v + (1 - beta) g^2, Theta <- Theta - eta g / (sqrt(v) + eps);
    adam: m <- beta1 m + (1 - beta1) g, v <- beta2 v + (1 - beta2) g^2, m_hat = m / (1 - beta1^t),
    v_hat = v / (1 - beta2^t), Theta <- Theta - eta m_hat / (sqrt(v_hat) + eps).
    g is grad_W_k + l2 W_k for weights (the gradient of L + (l2 / 2) sum_k ||W_k||^2), grad_b_k for biases."""

    optimizer: OptimizerSpec = Field(description="The optimiser and hyper-parameters used (defaults filled in).")
    t: int = Field(
        description="This optimiser's own update count, this update included (1, 2, ...; 1 again after "
        "switching optimiser): Adam's bias correction uses beta^t."
    )
    g_W: list[NMatrix] = Field(description=f"{PER_LAYER} g for W_k: grad_W_k + l2 W_k (W_k before the update).")
    g_b: list[NVector] = Field(description=f"{PER_LAYER} g for b_k: grad_b_k (biases are not regularised).")
    delta_W: list[NMatrix] = Field(description=f"{PER_LAYER} The change added to W_k: W_after - W_before.")
    delta_b: list[NVector] = Field(description=f"{PER_LAYER} The change added to b_k.")
    state_before: OptimizerState = Field(description=f"{OPTIMIZER_STATE} Zeros where the network had none yet.")
    state_after: OptimizerState = Field(description=OPTIMIZER_STATE)


class StepResult(BackwardResult):
    """One update: the backward pass it used, the parameters before and after, and what the
    optimiser did (``update``)."""

    W_before: list[NMatrix] = Field(description=PER_LAYER)
    b_before: list[NVector] = Field(description=PER_LAYER)
    W_after: list[NMatrix] = Field(description=PER_LAYER)
    b_after: list[NVector] = Field(description=PER_LAYER)
    step: int = Field(description="The network's step counter after this update.")
    update: OptimizerUpdate = Field(description="The optimiser's numbers for this step (see OptimizerUpdate).")


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


class GradcheckEntry(BaseModel):
    index: list[int] = Field(description="[i, j] for W_k, [i] for b_k.")
    backprop: float | None
    numeric: float | None
    relative_error: float | None


class GradcheckTensor(BaseModel):
    name: Literal["W", "b"]
    layer: int
    max_relative_error: float | None
    entries: list[GradcheckEntry]


class GradcheckResult(BaseModel):
    """Central differences of the batch loss against backprop, per tensor (W_k then b_k, k = 1..L)."""

    tensors: list[GradcheckTensor]
    diverged: Divergence | None = Field(description=DIVERGED)


class SurfaceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    resolution: int = Field(
        default=50, ge=2, le=MAX_INDEX, description="Points per axis (limit: max_surface_resolution)."
    )
    x1_min: float | None = Field(default=None, ge=-1e6, le=1e6)
    x1_max: float | None = Field(default=None, ge=-1e6, le=1e6)
    x2_min: float | None = Field(default=None, ge=-1e6, le=1e6)
    x2_max: float | None = Field(default=None, ge=-1e6, le=1e6)


class Surface(BaseModel):
    """The network on a grid. Ranges default to the attached dataset's points padded by 10%, else [-1, 1]."""

    x1: Vector
    x2: Vector | None = Field(description="null for a 1-input network.")
    y_hat: list[NMatrix] = Field(
        description="[x2 rows][x1 columns][n_L]: row i is x2[i], column j is x1[j]; one row for a 1-input network."
    )
    diverged: Divergence | None = Field(description=DIVERGED)


# --- meta ----------------------------------------------------------------------------------


class Limits(BaseModel):
    max_layers: int
    max_width: int
    max_parameters: int
    max_batch: int
    max_epochs: int
    max_train_batch_size: int
    max_train_seconds: float
    max_gradcheck_entries: int
    max_gradcheck_work: int
    max_surface_resolution: int
    max_body_bytes: int
    max_dataset_n: int
    ttl_seconds: float
    max_networks: int


class Formula(BaseModel):
    formula: str
    derivative: str | None = None


class Meta(BaseModel):
    activations: list[str]
    outputs: list[str]
    losses: list[str]
    valid_pairs: list[list[str]] = Field(description="[output, loss] pairs that may be combined.")
    inits: list[str]
    optimizers: list[str]
    datasets: list[str]
    limits: Limits
    formulas: dict[str, dict[str, Formula]] = Field(
        description='Plain-text formulas: {"activations": {name: {formula, derivative}}, "outputs": ..., '
        '"losses": ..., "inits": ...}.'
    )
