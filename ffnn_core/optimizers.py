"""Parameter updates: Theta <- Theta - eta * grad Theta, and the optimisers beyond it.

Each optimiser turns the gradients of the batch loss into an update, element-wise:
    sgd:       Theta <- Theta - eta g
    momentum:  u <- beta u + g;                  Theta <- Theta - eta u
    rmsprop:   v <- beta v + (1 - beta) g^2;     Theta <- Theta - eta g / (sqrt(v) + eps)
    adam:      m <- beta1 m + (1 - beta1) g;     v <- beta2 v + (1 - beta2) g^2
               m_hat = m / (1 - beta1^t);        v_hat = v / (1 - beta2^t)
               Theta <- Theta - eta m_hat / (sqrt(v_hat) + eps)       (t = 1, 2, ...)
With L2 regularisation (weight decay lambda), g for W_k is grad_W_k + lambda W_k: the
gradient of L + (lambda / 2) sum_k ||W_k||^2. Biases are not regularised.
State (u, m, v) lives on the network, so it is saved and restored with it, together with t,
the number of updates the optimiser has made ("adam.t": [[t]]). Each optimiser counts its own
steps: t starts again at 1, and the state at 0, when the optimiser changes (a fresh optimiser, as
in any library), not when only its hyper-parameters do.

Momentum keeps eta out of u (the convention of PyTorch's SGD with momentum, dampening 0): u is
a running sum of gradients, and a new eta scales the whole step from the next update on. (The
form u <- beta u + eta g gives the same steps while eta stays fixed, but keeps every earlier eta
inside u.) Adam divides by sqrt(v) / sqrt(1 - beta2^t), never by v / (1 - beta2^t), which
overflows for gradients near 1e154 while the root does not (the order PyTorch uses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ffnn_core.network import Network
from ffnn_core.numerics import Array

OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "rmsprop", "adam")

# The state each optimiser keeps, per parameter kind: "adam.m_W" holds m for every W_k.
# Beside it, "<name>.t" holds [[t]], the updates that optimiser has made (COUNTER_SLOT).
COUNTER_SLOT = "t"
MAX_COUNT = 2**53 - 1  # counters stay exact as float64 (and as JavaScript numbers)
STATE_SLOTS: dict[str, tuple[str, ...]] = {"sgd": (), "momentum": ("u",), "rmsprop": ("v",), "adam": ("m", "v")}


@dataclass(frozen=True)
class Optimizer:
    """The update rule and its hyper-parameters; eta is the learning rate."""

    name: str = "sgd"
    eta: float = 0.1
    beta: float = 0.9  # momentum and rmsprop
    beta1: float = 0.9  # adam
    beta2: float = 0.999  # adam
    eps: float = 1e-8
    l2: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.name!r}; allowed: {', '.join(OPTIMIZERS)}")
        for field_name in ("eta", "beta", "beta1", "beta2", "eps", "l2"):
            value = getattr(self, field_name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{field_name} must be a finite number >= 0, got {value}")
        for field_name in ("beta", "beta1", "beta2"):
            if getattr(self, field_name) >= 1:
                raise ValueError(f"{field_name} must be below 1, got {getattr(self, field_name)}")


@dataclass(frozen=True)
class Update:
    """What one update did: the effective gradients g (with L2) and the steps taken, per layer.

    delta_W[k-1] is the change added to W_k (n_k, n_{k-1}); delta_b[k-1] to b_k (n_k,).
    """

    g_W: list[Array]
    g_b: list[Array]
    delta_W: list[Array]
    delta_b: list[Array]
    t: int  # this optimiser's own update count, this update included (1 for a fresh optimiser)


def _state(network: Network, key: str) -> list[Array]:
    arrays = network.optimizer_state.get(key)
    if arrays is None:
        shapes = [w.shape for w in network.W] if key.endswith("W") else [v.shape for v in network.b]
        arrays = [np.zeros(s) for s in shapes]
        network.optimizer_state[key] = arrays
    return arrays


def state_keys(name: str) -> tuple[str, ...]:
    """The optimizer_state keys optimiser ``name`` reads and writes, e.g. ("adam.m_W", "adam.m_b", ...)."""
    return tuple(f"{name}.{slot}_{kind}" for slot in STATE_SLOTS[name] for kind in "Wb")


def counter_key(name: str) -> str:
    return f"{name}.{COUNTER_SLOT}"


def optimizer_steps(network: Network, name: str) -> int:
    """Updates optimiser ``name`` has made since it was chosen (0: it would start fresh).

    A network saved before the counters existed has state but no counter: its updates were
    all counted by ``network.step``, as they were then.
    """
    state = network.optimizer_state
    counter = state.get(counter_key(name))
    if counter is not None:
        return int(counter[0][0])
    if any(key.startswith(f"{name}.") for key in state):
        return network.step
    return 0


def _start_update(network: Network, name: str) -> int:
    """t of the update about to be made; another optimiser's state (and count) is dropped."""
    state = network.optimizer_state
    counter = state.get(_COUNTER_KEYS[name])
    if counter is not None and len(state) == _OWN_KEYS[name]:  # the usual case: the same optimiser again
        t = int(counter[0][0]) + 1
        counter[0][0] = t
        return t
    t = optimizer_steps(network, name) + 1
    for key in [k for k in state if not k.startswith(f"{name}.")]:
        del state[key]
    state[counter_key(name)] = [np.array([float(t)])]
    return t


_COUNTER_KEYS = {name: f"{name}.{COUNTER_SLOT}" for name in OPTIMIZERS}
_OWN_KEYS = {name: 1 + 2 * len(slots) for name, slots in STATE_SLOTS.items()}  # its counter and slots, W and b


def state_snapshot(network: Network, name: str) -> dict[str, list[Array]]:
    """Copies of optimiser ``name``'s state arrays (u, m or v per layer), zeros where it has none
    yet (as the first update would start from); changes nothing."""
    snapshot: dict[str, list[Array]] = {}
    for key in state_keys(name):
        arrays = network.optimizer_state.get(key)
        like = network.W if key.endswith("W") else network.b
        snapshot[key] = [a.copy() for a in arrays] if arrays is not None else [np.zeros_like(p) for p in like]
    return snapshot


def apply_update(
    network: Network, grad_W: list[Array], grad_b: list[Array], optimizer: Optimizer
) -> Update:
    """Update the network's parameters in place and count the step; returns what was done."""
    with np.errstate(all="ignore"):  # a diverging update is reported by the caller, not warned about
        g_W, step_W, step_b, t = _update(network, grad_W, grad_b, optimizer)
        return Update(g_W=g_W, g_b=grad_b, delta_W=[-s for s in step_W], delta_b=[-s for s in step_b], t=t)


def update_parameters(network: Network, grad_W: list[Array], grad_b: list[Array], optimizer: Optimizer) -> None:
    """``apply_update`` for training, which keeps no record of it; the caller sets the error state."""
    if optimizer.name != "sgd":
        _update(network, grad_W, grad_b, optimizer)
        return
    # plain SGD as the notes write it, with the bits of ``_update``: 4 us less than it per [2, 8, 8, 2] step
    eta, l2 = optimizer.eta, optimizer.l2
    _start_update(network, "sgd")
    for W_k, b_k, grad_W_k, grad_b_k in zip(network.W, network.b, grad_W, grad_b, strict=True):
        W_k -= eta * (grad_W_k + l2 * W_k if l2 else grad_W_k)  # W_k <- W_k - eta grad_W_k (+ lambda W_k: L2)
        b_k -= eta * grad_b_k  # b_k <- b_k - eta grad_b_k
    network.step += 1


def _update(
    network: Network, grad_W: list[Array], grad_b: list[Array], opt: Optimizer
) -> tuple[list[Array], list[Array], list[Array], int]:
    """Theta <- Theta - s for every parameter, s = the optimiser's step; returns g_W, the steps and t."""
    g_W = [gw + opt.l2 * w for gw, w in zip(grad_W, network.W, strict=True)] if opt.l2 else grad_W
    t = _start_update(network, opt.name)
    step_W = _steps(network, "W", g_W, opt, t)
    step_b = _steps(network, "b", grad_b, opt, t)
    for w, s in zip(network.W, step_W, strict=True):
        w -= s  # in place: the network's arrays are the parameters
    for bias, s in zip(network.b, step_b, strict=True):
        bias -= s
    network.step += 1
    return g_W, step_W, step_b, t


def _steps(network: Network, kind: str, grads: list[Array], opt: Optimizer, t: int) -> list[Array]:
    """The step s of each parameter of one kind ("W" or "b"), from its gradients g: Theta <- Theta - s."""
    if opt.name == "sgd":
        return [opt.eta * g for g in grads]  # s = eta g
    if opt.name == "momentum":
        u = _state(network, f"momentum.u_{kind}")
        for i, g in enumerate(grads):
            u[i] = opt.beta * u[i] + g  # u <- beta u + g
        return [opt.eta * ui for ui in u]  # s = eta u
    if opt.name == "rmsprop":
        v = _state(network, f"rmsprop.v_{kind}")
        for i, g in enumerate(grads):
            v[i] = opt.beta * v[i] + (1.0 - opt.beta) * g * g  # v <- beta v + (1 - beta) g^2
        return [opt.eta * g / (np.sqrt(vi) + opt.eps) for g, vi in zip(grads, v, strict=True)]
    m = _state(network, f"adam.m_{kind}")
    v = _state(network, f"adam.v_{kind}")
    for i, g in enumerate(grads):
        m[i] = opt.beta1 * m[i] + (1.0 - opt.beta1) * g  # m <- beta1 m + (1 - beta1) g
        v[i] = opt.beta2 * v[i] + (1.0 - opt.beta2) * g * g  # v <- beta2 v + (1 - beta2) g^2
    step_size = opt.eta / (1.0 - opt.beta1**t)  # eta / (1 - beta1^t): m_hat = m / (1 - beta1^t)
    root_c2 = math.sqrt(1.0 - opt.beta2**t)  # sqrt(v_hat) = sqrt(v) / sqrt(1 - beta2^t)
    return [step_size * (mi / (np.sqrt(vi) / root_c2 + opt.eps)) for mi, vi in zip(m, v, strict=True)]
