"""Lessons: presets a teacher opens from a list or a link (``/?lesson=<id>``).

Each lesson is a network to build (the body of ``POST /api/v1/networks``: sizes, activations,
output, loss, initialisation, seed and dataset), how to train it (the body of
``POST /api/v1/networks/{id}/train``), an optional example to trace forward and backward, and a
short explanation of what to look at. ``compare`` holds the other networks the explanation
refers to (same data and seed, one thing changed), so the contrast is one click away.

The claims the explanations make are checked against the API in ``tests/api/test_lessons.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Setup:
    """One network and how to train it.

    network:  the body of POST /api/v1/networks.
    training: the body of POST /api/v1/networks/{id}/train, or None (no dataset to train on).
    """

    id: str
    label: str
    network: dict[str, Any]
    training: dict[str, Any] | None
    note: str = ""


@dataclass(frozen=True)
class Example:
    """Examples to trace through forward/backward: either ``x`` (N rows of n_0 numbers) with
    ``y`` (N labels or target rows), or ``rows`` of the attached dataset's ``split``."""

    note: str
    x: list[list[float]] | None = None
    y: list[int] | list[list[float]] | None = None
    rows: list[int] | None = None
    split: str = "train"

    def request(self) -> dict[str, Any]:
        """The body of POST .../forward, .../backward or .../step for these examples."""
        if self.rows is not None:
            return {"rows": self.rows, "split": self.split}
        return {"x": self.x, "y": self.y}


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    explanation: str
    look_at: tuple[str, ...]
    setup: Setup
    compare: tuple[Setup, ...] = field(default_factory=tuple)
    example: Example | None = None

    @property
    def seed(self) -> int:
        seed: int = self.setup.network["seed"]
        return seed

    @property
    def dataset(self) -> dict[str, Any] | None:
        dataset: dict[str, Any] | None = self.setup.network.get("dataset")
        return dataset

    @property
    def link(self) -> str:
        return f"/?lesson={self.id}"


def network(
    sizes: list[int],
    activation: str | list[str] = "tanh",
    *,
    output: str = "softmax",
    loss: str = "cross_entropy",
    init: str = "xavier_uniform",
    init_scale: float = 1.0,
    seed: int = 0,
    dataset: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The body of POST /api/v1/networks, every field spelled out."""
    return {
        "sizes": sizes,
        "activation": activation,
        "output": output,
        "loss": loss,
        "init": init,
        "init_scale": init_scale,
        "seed": seed,
        "dataset": dataset,
    }


def dataset(
    name: str, *, seed: int = 0, n: int | None = None, noise: float | None = None, test_fraction: float = 0.25
) -> dict[str, Any]:
    return {"name": name, "seed": seed, "n": n, "noise": noise, "test_fraction": test_fraction, "standardize": False}


def training(optimizer: str, eta: float, batch_size: int, epochs: int) -> dict[str, Any]:
    return {"epochs": epochs, "batch_size": batch_size, "optimizer": {"name": optimizer, "eta": eta}}


# --- the lessons -----------------------------------------------------------------------------

_XOR_DATA = dataset("xor", seed=0, n=100, noise=0.0)
_XOR_TRAINING = training("adam", 0.03, 100, 150)  # full batch: the whole training split each step

XOR = Lesson(
    id="xor-hidden-layer",
    title="XOR needs a hidden layer",
    summary="Without a hidden layer the boundary is one straight line, and no line separates XOR.",
    explanation=(
        "Class 1 is where x1 and x2 have opposite signs. A network with no hidden layer (sizes [2, 2]) "
        "computes a_1 = b_1 + W_1 x and puts its decision boundary where the two entries of a_1 are equal: "
        "one straight line. No straight line separates the four quadrants of XOR, so however long it trains "
        "its accuracy stays near 70%. With one hidden layer of four tanh units ([2, 4, 2]) each hidden unit "
        "draws its own line, the output layer combines them, and the training accuracy reaches 100%."
    ),
    look_at=(
        "The decision surface: one straight boundary for [2, 2], a bent one for [2, 4, 2].",
        "train_accuracy per epoch: stuck near 0.7 without the hidden layer, 1.0 with it.",
        "The rows of W_1: each row is the direction of one hidden unit's line.",
    ),
    setup=Setup(
        "hidden-layer",
        "One hidden layer: [2, 4, 2], tanh",
        network([2, 4, 2], "tanh", seed=1, dataset=_XOR_DATA),
        _XOR_TRAINING,
    ),
    compare=(
        Setup(
            "no-hidden-layer",
            "No hidden layer: [2, 2]",
            network([2, 2], "tanh", seed=1, dataset=_XOR_DATA),
            _XOR_TRAINING,
            "A linear classifier: a_1 = b_1 + W_1 x. Train it as long as you like.",
        ),
    ),
)

_DEEP = [2, 16, 16, 16, 16, 16, 16, 16, 16, 2]  # eight hidden layers of 16 units
_MOONS = dataset("moons", seed=0)
_DEEP_TRAINING = training("sgd", 0.5, 32, 20)

VANISHING = Lesson(
    id="vanishing-gradients",
    title="Vanishing gradients: eight sigmoid layers",
    summary="Going back through each sigmoid layer multiplies grad_a by g'(a) <= 1/4: the first layers barely learn.",
    explanation=(
        "Backward, grad_h_{k-1} = W_k^T grad_a_k and grad_a_{k-1} = grad_h_{k-1} * g'(a_{k-1}). For the "
        "sigmoid, g'(a) = g(a)(1 - g(a)) is at most 1/4, so every layer the error passes back through shrinks "
        "it: with eight sigmoid layers grad_a_1 is about 10^4 times smaller than grad_a_8, and since "
        "grad_W_1 = grad_a_1 h_0^T, W_1 hardly moves. tanh (g'(0) = 1) with Xavier initialisation and relu "
        "(g' = 1 where a unit is active) with He initialisation keep the norms within a factor of ten."
    ),
    look_at=(
        "The norm of grad_a_k for k = 8 down to 1 (use a log scale): it falls by about 4x per sigmoid layer.",
        "grad_W_norms in the training history: the first layers' stay tiny.",
        "The same plots for the tanh and relu networks.",
    ),
    setup=Setup(
        "sigmoid",
        "8 hidden sigmoid layers (Xavier)",
        network(_DEEP, "sigmoid", init="xavier_uniform", seed=0, dataset=_MOONS),
        _DEEP_TRAINING,
    ),
    compare=(
        Setup(
            "tanh",
            "8 hidden tanh layers (Xavier)",
            network(_DEEP, "tanh", init="xavier_uniform", seed=0, dataset=_MOONS),
            _DEEP_TRAINING,
        ),
        Setup(
            "relu",
            "8 hidden relu layers (He)",
            network(_DEEP, "relu", init="he", seed=0, dataset=_MOONS),
            _DEEP_TRAINING,
        ),
    ),
    example=Example("A batch of 32 training points.", rows=list(range(32))),
)

ZEROS = Lesson(
    id="zero-init-symmetry",
    title="Zero initialisation and symmetry",
    summary="Start every weight at 0 and the hidden units stay identical forever: four units do the work of one.",
    explanation=(
        "With W_1 = 0 and b_1 = 0 every hidden unit computes the same a_1j = 0 and the same h_1j = g(0) = 1/2. "
        "Backward, grad_W_2 = grad_a_2 h_1^T has identical columns, and grad_h_1 = W_2^T grad_a_2 has identical "
        "entries, so every hidden unit gets the same gradient and takes the same step. The network learns, "
        "but its hidden units never differ: the rows of W_1 stay equal, the entries of b_1 stay equal, the "
        "columns of W_2 stay equal. A random initialisation breaks the symmetry."
    ),
    look_at=(
        "The rows of W_1 and the columns of W_2 after any number of steps: identical.",
        "The decision surface: no better than a single hidden unit could draw.",
        "The same network with Xavier initialisation.",
    ),
    setup=Setup(
        "zeros",
        "[2, 4, 2] sigmoid, all weights 0",
        network([2, 4, 2], "sigmoid", init="zeros", seed=0, dataset=_MOONS),
        training("sgd", 0.5, 10, 100),
    ),
    compare=(
        Setup(
            "xavier",
            "[2, 4, 2] sigmoid, Xavier initialisation",
            network([2, 4, 2], "sigmoid", init="xavier_uniform", seed=0, dataset=_MOONS),
            training("sgd", 0.5, 10, 100),
        ),
    ),
    example=Example("Four training points.", rows=[0, 1, 2, 3]),
)

_PLANE_NET = network([2, 8, 1], "tanh", output="linear", loss="squared_error", seed=0, dataset=dataset("plane"))

LEARNING_RATE = Lesson(
    id="learning-rate-too-high",
    title="A learning rate that is too high",
    summary="Each step overshoots by more than it gains: the loss grows until the numbers overflow.",
    explanation=(
        "Gradient descent moves Theta by -eta grad Theta. Near a minimum, a step with eta too large jumps past "
        "it to a point further away than where it started, where the gradient is larger still, so the next "
        "jump is larger again: the loss grows by orders of magnitude per epoch until the numbers overflow, and "
        "the server reports where they first went non-finite (diverged). The same network, data and seed "
        "with eta = 0.05 converge."
    ),
    look_at=(
        "train_loss per epoch on a log scale: growing instead of shrinking.",
        "The diverged message: which quantity went non-finite first, and in which pass.",
        "In one step, W_after - W_before compared with W_before.",
    ),
    setup=Setup("eta-0.5", "eta = 0.5 (too high)", _PLANE_NET, training("sgd", 0.5, 10, 50)),
    compare=(Setup("eta-0.05", "eta = 0.05", _PLANE_NET, training("sgd", 0.05, 10, 50)),),
    example=Example("Ten training points.", rows=list(range(10))),
)

_BLOBS = dataset("blobs", seed=0)
SOFTMAX_LOSSES = Lesson(
    id="softmax-cross-entropy-vs-squared-error",
    title="Softmax with cross-entropy vs squared error",
    summary="On a confident mistake cross-entropy pushes hard; squared error through a saturated softmax hardly moves.",
    explanation=(
        "Same network, same seed, same example, two losses. The network is confidently wrong: it gives the "
        "true class (1) a probability of about 0.005. With cross-entropy, grad_a_L = -(e(y) - y_hat), about "
        "(0.005, -0.995, 0.990): a strong push towards the right class. With squared error, "
        "grad_y_hat = 2 (y_hat - e(y)) and grad_a_L = J_softmax^T grad_y_hat, whose entries are "
        "y_hat_j (grad_y_hat_j - sum_i y_hat_i grad_y_hat_i); the softmax is saturated, its Jacobian is "
        "nearly zero, and grad_a_L comes out about 40 times smaller. Squared error learns slowly from "
        "confident mistakes."
    ),
    look_at=(
        "y_hat for the example: almost all of the probability on class 2, the true class is 1.",
        "grad_a_L under each loss, entry by entry, next to the formulas.",
        "train_accuracy per epoch under each loss.",
    ),
    setup=Setup(
        "cross-entropy",
        "softmax + cross-entropy",
        network([2, 4, 3], "tanh", init="normal", init_scale=1.5, seed=4, dataset=_BLOBS),
        training("sgd", 0.1, 16, 50),
    ),
    compare=(
        Setup(
            "squared-error",
            "softmax + squared error",
            network([2, 4, 3], "tanh", loss="squared_error", init="normal", init_scale=1.5, seed=4, dataset=_BLOBS),
            training("sgd", 0.1, 16, 50),
        ),
    ),
    example=Example("One point of class 1 that the network puts in class 2.", x=[[1.07, -0.04]], y=[1]),
)

SEED_EXAMPLE = Lesson(
    id="notes-three-layer-network",
    title="The notes' 3-layer network",
    summary="3 inputs, two hidden layers of n = 3 sigmoid units, k = 2 softmax outputs: every shape as in the notes.",
    explanation=(
        "The network of the lecture notes, with L = 3: "
        "y_hat = O(W_3 g(W_2 g(W_1 x + b_1) + b_2) + b_3), g the sigmoid and O the softmax. With 3 inputs, "
        "hidden layers of n = 3 units and k = 2 outputs, W_1 and W_2 are n x n = 3 x 3, W_3 is k x n = 2 x 3, "
        "b_1 and b_2 have n = 3 entries and b_3 has k = 2. Step through one example: a_k = b_k + W_k h_{k-1}, "
        "h_k = g(a_k), then back: grad_a_3 = -(e(y) - y_hat), grad_W_k = grad_a_k h_{k-1}^T, "
        "grad_h_{k-1} = W_k^T grad_a_k, grad_a_{k-1} = grad_h_{k-1} * g'(a_{k-1})."
    ),
    look_at=(
        "The shapes: W_1 3 x 3, W_2 3 x 3, W_3 2 x 3; b_1, b_2 of 3 entries, b_3 of 2.",
        "grad_a_3 = y_hat - e(y) for the example's class.",
        "grad_W_k has the shape of W_k: it is the outer product grad_a_k h_{k-1}^T.",
    ),
    setup=Setup(
        "notes",
        "[3, 3, 3, 2] sigmoid, softmax + cross-entropy",
        network([3, 3, 3, 2], "sigmoid", seed=0),
        None,
        "No dataset: step with the example below, or type your own x and y.",
    ),
    example=Example("The example traced in the notes' style: x in R^3, true class l = 0.", x=[[1.0, 0.5, -0.5]], y=[0]),
)

LESSONS: dict[str, Lesson] = {
    lesson.id: lesson for lesson in (XOR, VANISHING, ZEROS, LEARNING_RATE, SOFTMAX_LOSSES, SEED_EXAMPLE)
}
"""Every lesson by id, in the order the list shows them."""
