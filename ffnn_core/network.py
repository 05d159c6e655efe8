"""The network: its configuration and its parameters Theta = [W_1..W_L, b_1..b_L].

Layer k = 1..L maps h_{k-1} (width n_{k-1}) to h_k (width n_k):
    a_k = b_k + W_k h_{k-1},   h_k = g_k(a_k)  (k < L),   y_hat = h_L = O(a_L),
with W_k of shape (n_k, n_{k-1}) and b_k of shape (n_k,), as in the seed.
The network holds parameters and counters only; forward and backward return
traces and leave nothing behind on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from ffnn_core.activations import ACTIVATIONS, Activation
from ffnn_core.initializers import INITIALIZERS, init_parameters
from ffnn_core.losses import OutputLoss, get_output_loss
from ffnn_core.numerics import Array


@dataclass(frozen=True)
class NetworkConfig:
    """Everything needed to rebuild a network's first parameters.

    sizes:        (n_0, n_1, ..., n_L), L >= 1, every n_k >= 1.
    activations:  one hidden activation name per hidden layer (length L - 1);
                  ``NetworkConfig.build`` also accepts one name for all of them.
    output, loss: a valid (O, loss) pair, see ``losses.VALID_PAIRS``.
    init, init_scale, seed: the initialisation (see ``initializers``).
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    output: str = "softmax"
    loss: str = "cross_entropy"
    init: str = "xavier_uniform"
    init_scale: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if len(self.sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output width, got {list(self.sizes)}")
        if any(not isinstance(n, int) or n < 1 for n in self.sizes):
            raise ValueError(f"every layer width must be an integer >= 1, got {list(self.sizes)}")
        if len(self.activations) != len(self.sizes) - 2:
            raise ValueError(
                f"{len(self.sizes) - 2} hidden layer(s) need {len(self.sizes) - 2} activation(s), "
                f"got {len(self.activations)}"
            )
        for name in self.activations:
            if name not in ACTIVATIONS:
                raise ValueError(f"unknown activation {name!r}; allowed: {', '.join(ACTIVATIONS)}")
        get_output_loss(self.output, self.loss)
        if self.output == "softmax" and self.sizes[-1] < 2:
            raise ValueError(
                "the softmax output needs n_L >= 2 outputs (a single softmax output is always 1); "
                "use sigmoid for one output"
            )
        if self.init not in INITIALIZERS:
            raise ValueError(f"unknown init {self.init!r}; allowed: {', '.join(INITIALIZERS)}")
        if not math.isfinite(self.init_scale) or self.init_scale < 0:
            raise ValueError(f"init_scale must be a finite number >= 0, got {self.init_scale}")

    @classmethod
    def build(
        cls,
        sizes: list[int] | tuple[int, ...],
        activation: str | list[str] | tuple[str, ...] = "tanh",
        **kwargs: object,
    ) -> NetworkConfig:
        """Config from sizes and one activation for all hidden layers or one per layer."""
        sizes = tuple(sizes)
        acts = (activation,) * max(len(sizes) - 2, 0) if isinstance(activation, str) else tuple(activation)
        return cls(sizes=sizes, activations=acts, **kwargs)  # type: ignore[arg-type]

    @property
    def L(self) -> int:
        return len(self.sizes) - 1

    # Looked up once per config (it is frozen): forward and backward use them on every call.
    @cached_property
    def output_loss(self) -> OutputLoss:
        return get_output_loss(self.output, self.loss)

    @cached_property
    def hidden_activations(self) -> tuple[Activation, ...]:
        return tuple(ACTIVATIONS[name] for name in self.activations)

    @cached_property
    def hidden_g_primes(self) -> tuple[Callable[[Array, Array], Array], ...]:
        """g_prime[k-1](a_k, h_k) = g'(a_k) of hidden layer k, as the backward pass calls it."""
        return tuple(act.g_prime_given for act in self.hidden_activations)

    @property
    def n_parameters(self) -> int:
        return sum(n_out * (n_in + 1) for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True))


@dataclass
class Network:
    """Parameters of a network plus its counters.

    W[k-1] is W_k (n_k, n_{k-1}), b[k-1] is b_k (n_k,).
    step:  number of parameter updates applied since initialisation.
    epoch: number of training epochs completed (drives the seeded shuffling).
    """

    config: NetworkConfig
    W: list[Array]
    b: list[Array]
    step: int = 0
    epoch: int = 0
    optimizer_state: dict[str, list[Array]] = field(default_factory=dict)

    @classmethod
    def create(cls, config: NetworkConfig) -> Network:
        W, b = init_parameters(config.sizes, config.init, config.init_scale, config.seed)
        return cls(config=config, W=W, b=b)

    def reset(self) -> None:
        """Re-initialise from the config's seed: exactly the first parameters again."""
        self.W, self.b = init_parameters(
            self.config.sizes, self.config.init, self.config.init_scale, self.config.seed
        )
        self.step = 0
        self.epoch = 0
        self.optimizer_state = {}

    def copy(self) -> Network:
        return Network(
            config=self.config,
            W=[w.copy() for w in self.W],
            b=[v.copy() for v in self.b],
            step=self.step,
            epoch=self.epoch,
            optimizer_state={k: [x.copy() for x in v] for k, v in self.optimizer_state.items()},
        )

    def set_parameters(self, W: list[Array], b: list[Array]) -> None:
        """Replace all parameters after checking every shape; nothing changes on error."""
        check_parameter_shapes(self.config.sizes, W, b)
        self.W = [w.astype("float64", copy=True) for w in W]
        self.b = [v.astype("float64", copy=True) for v in b]


def check_parameter_shapes(sizes: tuple[int, ...], W: list[Array], b: list[Array]) -> None:
    """Raise ValueError naming the first parameter whose shape does not fit ``sizes``."""
    L = len(sizes) - 1
    if len(W) != L or len(b) != L:
        raise ValueError(f"a network with L = {L} layers needs {L} weight matrices and {L} bias vectors, "
                         f"got {len(W)} and {len(b)}")
    for k in range(1, L + 1):
        want_W, want_b = (sizes[k], sizes[k - 1]), (sizes[k],)
        if W[k - 1].shape != want_W:
            raise ValueError(f"W_{k} must have shape {want_W} (n_{k}, n_{k - 1}), got {W[k - 1].shape}")
        if b[k - 1].shape != want_b:
            raise ValueError(f"b_{k} must have shape {want_b} (n_{k},), got {b[k - 1].shape}")
