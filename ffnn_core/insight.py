"""Quantities that explain a backward pass: who is to blame, which examples pull hardest,
where gradients vanish or explode, and what other learning rates would have done.

All functions read traces; none changes the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ffnn_core.network import Network
from ffnn_core.numerics import Array
from ffnn_core.propagation import BackwardTrace, forward
from ffnn_core.targets import Targets

# A unit counts as saturated when g'(a) is below this share of g's largest slope.
SATURATION_THRESHOLD = 0.05
# Gradients vanish when ||grad_a_1|| is below VANISHING_RATIO x ||grad_a_L|| (exploding: above 1 / it).
VANISHING_RATIO = 1e-3
# Weights or gradients this large (or non-finite) have blown up, whatever their ratios say.
BLOWUP = 1e6
_MAX_SLOPE = {"sigmoid": 0.25, "tanh": 1.0}


@dataclass(frozen=True)
class BlameTerm:
    """One term W_{k+1}[i, j] grad_a_{k+1}[i] of grad_h_k[j]: the share that flows back from unit i."""

    i: int
    weight: float
    grad_a: float
    term: float


@dataclass(frozen=True)
class Blame:
    """grad_h_k[j] = sum_i W_{k+1}[i, j] grad_a_{k+1}[i], for one example, terms largest first."""

    layer: int  # k, the layer of h_k (0 = the input)
    j: int
    example: int
    grad_h: float
    terms: list[BlameTerm]


def blame(trace: BackwardTrace, network: Network, layer: int, j: int, example: int = 0) -> Blame:
    """Break grad_h_{layer}[j] of one example into the terms that flow into it from layer + 1."""
    L = network.config.L
    if not 0 <= layer < L:
        raise ValueError(f"layer must be 0..{L - 1} (h_0 is the input; h_L has no layer above), got {layer}")
    n_k = network.config.sizes[layer]
    if not 0 <= j < n_k:
        raise ValueError(f"unit j must be 0..{n_k - 1} for h_{layer}, got {j}")
    N = trace.forward.h[0].shape[0]
    if not 0 <= example < N:
        raise ValueError(f"example must be 0..{N - 1}, got {example}")
    column = network.W[layer][:, j]  # W_{k+1}[:, j], (n_{k+1},)
    grad_a_above = trace.grad_a[layer][example]  # grad_a_{k+1}, (n_{k+1},)
    terms = column * grad_a_above
    order = np.argsort(-np.abs(terms), kind="stable")
    return Blame(
        layer=layer,
        j=j,
        example=example,
        grad_h=float(trace.grad_h[layer][example, j]),
        terms=[BlameTerm(int(i), float(column[i]), float(grad_a_above[i]), float(terms[i])) for i in order],
    )


@dataclass(frozen=True)
class ExampleContributions:
    """Per-example gradients of layer k: grad_W_k = mean_n per_example_grad_W[n].

    per_example_grad_W: (N, n_k, n_{k-1}), the outer product grad_a_k[n] h_{k-1}[n]^T.
    per_example_grad_b: (N, n_k). norms: (N,) Frobenius norm of each example's grad_W_k.
    ranking: example indices, the one that pulls the weights most first.
    """

    layer: int
    per_example_grad_W: Array
    per_example_grad_b: Array
    norms: Array
    ranking: npt.NDArray[np.int64]


def example_contributions(trace: BackwardTrace, layer: int) -> ExampleContributions:
    L = len(trace.grad_a)
    if not 1 <= layer <= L:
        raise ValueError(f"layer must be 1..{L}, got {layer}")
    grad_a = trace.grad_a[layer - 1]
    h_prev = trace.forward.h[layer - 1]
    per_W = grad_a[:, :, None] * h_prev[:, None, :]
    norms = np.sqrt((per_W * per_W).sum(axis=(1, 2)))
    return ExampleContributions(
        layer=layer,
        per_example_grad_W=per_W,
        per_example_grad_b=grad_a.copy(),
        norms=norms,
        ranking=np.argsort(-norms, kind="stable").astype(np.int64),
    )


@dataclass(frozen=True)
class LayerDiagnostics:
    """Health of layer k's gradients for one backward pass.

    grad_a_norm: RMS over examples of ||grad_a_k||; ratio_to_above: that norm divided by layer k+1's
    (None for k = L): far below 1 layer after layer means vanishing, far above means exploding.
    saturated_share: share of (example, unit) pairs with g'(a_k) below 5% of g's top slope
    (sigmoid/tanh hidden layers, else None). dead_share: share of relu units with a_k <= 0 for
    every example (relu hidden layers, else None). update_ratio: ||eta grad_W_k|| / ||W_k||.
    """

    layer: int
    grad_a_norm: float
    grad_W_norm: float
    ratio_to_above: float | None
    saturated_share: float | None
    dead_share: float | None
    update_ratio: float


def layer_diagnostics(trace: BackwardTrace, network: Network, eta: float) -> list[LayerDiagnostics]:
    cfg = network.config
    L = cfg.L
    norms = [float(np.sqrt((g * g).sum(axis=1).mean())) for g in trace.grad_a]
    result = []
    for k in range(1, L + 1):
        a_k = trace.forward.a[k - 1]
        saturated = dead = None
        if k < L:
            act = cfg.hidden_activations[k - 1]
            if act.name in _MAX_SLOPE:
                slope = act.g_prime(a_k)
                saturated = float((slope < SATURATION_THRESHOLD * _MAX_SLOPE[act.name]).mean())
            if act.name == "relu":
                dead = float((a_k <= 0).all(axis=0).mean())
        above = norms[k] if k < L else None
        ratio = None if above is None else (norms[k - 1] / above if above > 0 else float("inf"))
        w_norm = float(np.linalg.norm(network.W[k - 1]))
        g_norm = float(np.linalg.norm(trace.grad_W[k - 1]))
        result.append(
            LayerDiagnostics(
                layer=k,
                grad_a_norm=norms[k - 1],
                grad_W_norm=g_norm,
                ratio_to_above=ratio,
                saturated_share=saturated,
                dead_share=dead,
                update_ratio=eta * g_norm / w_norm if w_norm > 0 else float("inf") if g_norm > 0 else 0.0,
            )
        )
    return result


AlertKind = Literal["exploding", "symmetry", "dead", "vanishing"]


@dataclass(frozen=True)
class GradientAlert:
    """The one thing wrong with the gradients of a pass, in the order a teacher would name it:
    blown-up numbers first (a vanishing ratio beside them is a symptom), then identical units
    (zero gradients from symmetry are not vanishing), then dead relu layers, then vanishing or
    exploding ratios. layer: the layer the alert is about (k = 1..L)."""

    kind: AlertKind
    layer: int
    message: str


def _shown(v: float) -> str:
    return f"{v:.3g}" if np.isfinite(v) else "non-finite (NaN or infinity)"


def _symmetric_layer(network: Network) -> int | None:
    """The first hidden layer k whose units are copies: equal rows of [W_k | b_k] and equal
    columns of W_{k+1}. Such units get equal gradients, so no update ever tells them apart."""
    for k in range(1, network.config.L):
        W_in, b_in, W_out = network.W[k - 1], network.b[k - 1], network.W[k]
        if W_in.shape[0] < 2:
            continue
        if (W_in == W_in[0]).all() and (b_in == b_in[0]).all() and (W_out == W_out[:, :1]).all():
            return k
    return None


def gradient_alert(network: Network, health: list[LayerDiagnostics]) -> GradientAlert | None:
    """What (if anything) is wrong with the gradients of the pass that ``health`` describes."""
    L = network.config.L
    with np.errstate(all="ignore"):
        w_max = [float(np.abs(W).max()) if W.size else 0.0 for W in network.W]
    for k, (h, w) in enumerate(zip(health, w_max, strict=True), start=1):
        values = (w, h.grad_a_norm, h.grad_W_norm)
        if not all(np.isfinite(v) and abs(v) < BLOWUP for v in values):
            what = (
                f"max |W_{k}| = {_shown(w)}"
                if not (np.isfinite(w) and w < BLOWUP)
                else f"||grad_a_{k}|| = {_shown(h.grad_a_norm)}, ||grad_W_{k}|| = {_shown(h.grad_W_norm)}"
            )
            return GradientAlert(
                "exploding",
                k,
                f"Exploding: {what} (limit {BLOWUP:.0e}). The steps grew until the numbers blew up; "
                "use a smaller learning rate or initialisation scale, then reset.",
            )
    k_sym = _symmetric_layer(network)
    if k_sym is not None:
        n = network.config.sizes[k_sym]
        return GradientAlert(
            "symmetry",
            k_sym,
            f"Symmetry: the {n} units of layer {k_sym} have the same weights in and out, so each gets the same "
            "gradient and they stay copies of each other (with all weights 0 nothing reaches the layers below: "
            f"||grad_a_1|| = {health[0].grad_a_norm:.3g}). This is not vanishing: initialise W randomly.",
        )
    for h in health[:-1]:
        if h.dead_share == 1.0:
            return GradientAlert(
                "dead",
                h.layer,
                f"Dead units: every relu unit of layer {h.layer} has a_{h.layer} <= 0 for every example, so "
                "g'(a) = 0 and no gradient passes below it. Use a smaller learning rate or reset.",
            )
    if L < 2:
        return None
    first, top = health[0].grad_a_norm, health[-1].grad_a_norm
    if top > 0 and first < VANISHING_RATIO * top:
        return GradientAlert(
            "vanishing",
            1,
            f"Vanishing: ||grad_a_1|| = {first:.3g} is {first / top:.3g} x ||grad_a_{L}|| = {top:.3g}; the first "
            "layers barely learn.",
        )
    if first > top / VANISHING_RATIO:
        return GradientAlert(
            "exploding",
            1,
            f"Exploding: ||grad_a_1|| = {first:.3g} is {first / top if top > 0 else float('inf'):.3g} x "
            f"||grad_a_{L}|| = {top:.3g}; the first layers take huge steps.",
        )
    return None


def learning_rate_what_if(network: Network, trace: BackwardTrace, etas: npt.ArrayLike) -> Array:
    """Batch loss after the plain step Theta - eta grad Theta, for each eta (same batch). Shape (len(etas),).

    At the network's own eta this equals the loss a real SGD step followed by a forward pass gives.
    """
    X = trace.forward.h[0]
    targets: Targets = trace.targets
    pair = network.config.output_loss
    probe = Network(config=network.config, W=network.W, b=network.b)  # W, b replaced per eta
    out = []
    for eta in np.asarray(etas, dtype=np.float64).ravel():
        probe.W = [w - eta * g for w, g in zip(network.W, trace.grad_W, strict=True)]
        probe.b = [v - eta * g for v, g in zip(network.b, trace.grad_b, strict=True)]
        fwd = forward(probe, X)
        with np.errstate(all="ignore"):
            out.append(float(pair.per_example_loss(fwd.a[-1], fwd.y_hat, targets.Y).mean()))
    return np.array(out)
