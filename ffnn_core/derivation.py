"""One entry of a trace, derived as the notes derive it: the scalar formula, its factors, the result.

For an entry of a_k, h_k, grad_a_k, grad_h_k (one example n) or grad_W_k, grad_b_k (the batch),
``derive`` gives the notes' element-wise formula as terms; each term is a product of factors and
each factor says what it is, its value and where it lives (quantity, layer, index, example):

    a_k[i]       = b_k[i] + sum_j W_k[i,j] h_{k-1}[j]
    h_k[i]       = g(a_k[i])  (k < L),      y_hat[i] = h_L[i] = O(a_L)[i],     h_0[j] = x[j]
    grad_h_k[j]  = sum_m grad_a_{k+1}[m] W_{k+1}[m,j]               ("multiple paths from h_kj")
    grad_a_k[i]  = grad_h_k[i] g'(a_k[i])                           (k < L)
    grad_a_L[i]  = -(y[i] - y_hat[i])                               (softmax/sigmoid + cross-entropy)
                 = sum_p dL/dy_hat[p] dy_hat[p]/da_L[i]             (any other pair: O's Jacobian)
    grad_W_k[i,j] = (1/N) sum_n grad_a_k[i] h_{k-1}[j]              (N = 1: the notes' dL/da_ki h_{k-1,j})
    grad_b_k[i]   = (1/N) sum_n grad_a_k[i] 1

Indices are 0-based array positions, as in the API (``W_k[i,j]`` is W[k-1][i][j]). The result is
computed from the terms (``math.fsum``), independently of the trace, and the trace's own entry is
given beside it, so a reader (and the tests) can check one against the other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ffnn_core.activations import ACTIVATIONS
from ffnn_core.network import Network
from ffnn_core.numerics import Array
from ffnn_core.outputs import softmax_jacobian
from ffnn_core.propagation import BackwardTrace, ForwardTrace

QUANTITIES = ("a", "h", "grad_a", "grad_h", "grad_W", "grad_b")
PER_EXAMPLE = ("a", "h", "grad_a", "grad_h")  # one row of the batch; grad_W, grad_b are batch means
CURVE_POINTS = 121  # samples of g and g' for the plot


@dataclass(frozen=True)
class Factor:
    """One factor of a term: its symbol, its value, and where it lives.

    quantity: a, h, W, b, grad_a, grad_h, g_prime (g'(a_k[i])), y (target), grad_y_hat (dl/dy_hat),
    jacobian (dy_hat[p]/da_L[m]) or constant; layer k (None for a constant); index into that
    quantity's array; example: the batch row for per-example quantities, else None.
    """

    symbol: str
    value: float
    quantity: str
    layer: int | None
    index: tuple[int, ...]
    example: int | None


@dataclass(frozen=True)
class Term:
    """coefficient * (product of the factors), in the order the notes write them."""

    factors: tuple[Factor, ...]
    coefficient: float
    value: float


@dataclass(frozen=True)
class ActivationCurve:
    """g and g' sampled around the current pre-activation, for the plot with a marked."""

    name: str
    a: Array
    g: Array
    g_prime: Array
    at_a: float
    at_g: float
    at_g_prime: float


@dataclass(frozen=True)
class Derivation:
    """The notes' scalar formula for one entry, with every factor's value.

    rule says how the terms give the result: "sum", "mean" (over the batch), "g" (the hidden
    activation of the one term) or "O" (the output function of the terms a_L[0..n_L-1], entry i).
    kind is "shortcut" or "chain_rule" for grad_a_L, else None. jacobian is dy_hat/da_L of this
    example, (n_L, n_L), row p = output, column m = a_L[m], where the formula involves O.
    """

    quantity: str
    layer: int
    index: tuple[int, ...]
    example: int | None
    formula: str
    rule: str
    terms: tuple[Term, ...]
    value: float
    trace_value: float
    kind: str | None = None
    jacobian: Array | None = None
    curve: ActivationCurve | None = None


def factor(
    symbol: str, value: float, quantity: str, layer: int | None, index: Sequence[int], example: int | None
) -> Factor:
    return Factor(symbol, float(value), quantity, layer, tuple(int(i) for i in index), example)


def term(factors: Sequence[Factor], coefficient: float = 1.0) -> Term:
    value = coefficient
    for f in factors:
        value *= f.value
    return Term(tuple(factors), coefficient, value)


def output_jacobian(output: str, a_L: Array, y_hat: Array) -> Array:
    """dy_hat[p]/da_L[m] per example, (N, n_L, n_L): softmax's full matrix, else diagonal."""
    if output == "softmax":
        return softmax_jacobian(y_hat)
    diag = y_hat * (1.0 - y_hat) if output == "sigmoid" else np.ones_like(a_L)
    return diag[:, :, None] * np.eye(a_L.shape[1])[None, :, :]


def grad_y_hat(network: Network, y_hat: Array, Y: Array) -> Array:
    """dl/dy_hat per example, (N, n_L), for the network's loss (binary cross-entropy for sigmoid).

    A target entry of 0 contributes 0 even where y_hat is 0, as its term is absent from the loss.
    """
    cfg = network.config
    if cfg.loss == "squared_error":
        return 2.0 * (y_hat - Y)
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = np.where(Y != 0, -Y / y_hat, 0.0)
        if cfg.output == "sigmoid":
            grad = grad + np.where(Y != 1, (1.0 - Y) / (1.0 - y_hat), 0.0)
    return np.asarray(grad, dtype=np.float64)


def activation_curve(name: str, a: float) -> ActivationCurve:
    """g and g' on a symmetric range that shows a (at least [-4, 4])."""
    act = ACTIVATIONS[name]
    half = max(4.0, 1.5 * abs(a)) if math.isfinite(a) else 4.0
    xs = np.linspace(-half, half, CURVE_POINTS)
    at = np.array([a])
    return ActivationCurve(name, xs, act.g(xs), act.g_prime(xs), a, float(act.g(at)[0]), float(act.g_prime(at)[0]))


def derive(
    network: Network,
    trace: ForwardTrace | BackwardTrace,
    quantity: str,
    layer: int,
    index: Sequence[int],
    example: int = 0,
) -> Derivation:
    """The notes' formula for ``quantity``_``layer``[index] (of batch row ``example`` where per example).

    Raises ValueError, naming what is allowed, for an unknown quantity, a layer or index out of
    range, an example outside the batch, or a gradient asked of a forward trace.
    """
    cfg = network.config
    L = cfg.L
    fwd = trace.forward if isinstance(trace, BackwardTrace) else trace
    N = fwd.h[0].shape[0]
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown quantity {quantity!r}; allowed: {', '.join(QUANTITIES)}")
    if quantity.startswith("grad") and not isinstance(trace, BackwardTrace):
        raise ValueError(f"{quantity} needs a backward trace (targets y)")
    low, high = {"h": (0, L), "grad_h": (0, L - 1)}.get(quantity, (1, L))
    if not low <= layer <= high:
        raise ValueError(f"{quantity}_k exists for layers k = {low}..{high} of this network, got k = {layer}")
    shape = (cfg.sizes[layer], cfg.sizes[layer - 1]) if quantity == "grad_W" else (cfg.sizes[layer],)
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape, strict=False)):
        name = "[i, j]" if len(shape) == 2 else "[i]"
        raise ValueError(
            f"index for {quantity}_{layer} must be {name} with "
            + ", ".join(f"0 <= {c} < {n}" for c, n in zip("ij", shape, strict=False))
            + f" (shape {shape}), got {list(index)}"
        )
    if not 0 <= example < N:
        raise ValueError(f"example must be a row of the batch, 0..{N - 1}, got {example}")
    idx = tuple(int(i) for i in index)
    if quantity == "a":
        return _a(network, fwd, layer, idx[0], example)
    if quantity == "h":
        return _h(network, fwd, layer, idx[0], example)
    assert isinstance(trace, BackwardTrace)
    if quantity == "grad_h":
        return _grad_h(network, trace, layer, idx[0], example)
    if quantity == "grad_a":
        return (
            _grad_a(network, trace, layer, idx[0], example) if layer < L else _grad_a_L(network, trace, idx[0], example)
        )
    return _grad_param(trace, quantity, layer, idx)


def _result(rule: str, terms: Sequence[Term], N: int = 1) -> float:
    total = math.fsum(t.value for t in terms)
    return total / N if rule == "mean" else total


def _a(network: Network, fwd: ForwardTrace, k: int, i: int, n: int) -> Derivation:
    W, b, h_prev = network.W[k - 1], network.b[k - 1], fwd.h[k - 1][n]
    terms = [term([factor(f"b_{k}[{i}]", b[i], "b", k, (i,), None)])]
    for j in range(W.shape[1]):
        terms.append(term([
            factor(f"W_{k}[{i},{j}]", W[i, j], "W", k, (i, j), None),
            factor(f"h_{k - 1}[{j}]", h_prev[j], "h", k - 1, (j,), n),
        ]))  # fmt: skip
    formula = f"a_{k}[{i}] = b_{k}[{i}] + sum_j W_{k}[{i},j] h_{k - 1}[j]"
    return Derivation("a", k, (i,), n, formula, "sum", tuple(terms), _result("sum", terms), float(fwd.a[k - 1][n, i]))


def _h(network: Network, fwd: ForwardTrace, k: int, i: int, n: int) -> Derivation:
    cfg = network.config
    L = cfg.L
    trace_value = float(fwd.h[k][n, i])
    if k == 0:
        terms = [term([factor(f"x[{i}]", fwd.h[0][n, i], "h", 0, (i,), n)])]
        return Derivation("h", 0, (i,), n, f"h_0[{i}] = x[{i}]", "sum", tuple(terms), terms[0].value, trace_value)
    if k < L:
        a = float(fwd.a[k - 1][n, i])
        act = cfg.hidden_activations[k - 1]
        terms = [term([factor(f"a_{k}[{i}]", a, "a", k, (i,), n)])]
        value = float(act.g(np.array([a]))[0])
        formula = f"h_{k}[{i}] = g(a_{k}[{i}]),  g = {act.name}: g(a) = {act.formula}"
        curve = activation_curve(act.name, a)
        return Derivation("h", k, (i,), n, formula, "g", tuple(terms), value, trace_value, curve=curve)
    output = cfg.output_loss.output
    a_L = fwd.a[L - 1][n]
    terms = [term([factor(f"a_{L}[{m}]", a_L[m], "a", L, (m,), n)]) for m in range(a_L.shape[0])]
    value = float(output.O(np.array([[t.value for t in terms]]))[0, i])
    formula = f"y_hat[{i}] = h_{L}[{i}] = O(a_{L})[{i}],  O = {output.name}: {output.formula.replace(',j', f'[{i}]')}"
    J = output_jacobian(output.name, fwd.a[L - 1][n : n + 1], fwd.y_hat[n : n + 1])[0]
    return Derivation("h", L, (i,), n, formula, "O", tuple(terms), value, trace_value, jacobian=J)


def _grad_h(network: Network, trace: BackwardTrace, k: int, j: int, n: int) -> Derivation:
    W_next, grad_a_next = network.W[k], trace.grad_a[k][n]
    terms = [
        term([
            factor(f"grad_a_{k + 1}[{m}]", grad_a_next[m], "grad_a", k + 1, (m,), n),
            factor(f"W_{k + 1}[{m},{j}]", W_next[m, j], "W", k + 1, (m, j), None),
        ])
        for m in range(W_next.shape[0])
    ]  # fmt: skip
    formula = f"grad_h_{k}[{j}] = sum_m grad_a_{k + 1}[m] W_{k + 1}[m,{j}]"
    value = _result("sum", terms)
    return Derivation("grad_h", k, (j,), n, formula, "sum", tuple(terms), value, float(trace.grad_h[k][n, j]))


def _grad_a(network: Network, trace: BackwardTrace, k: int, i: int, n: int) -> Derivation:
    act = network.config.hidden_activations[k - 1]
    a = float(trace.forward.a[k - 1][n, i])
    # g'(a) exactly as backward evaluates it: over the whole layer (its form may depend on all entries)
    g_prime = float(act.g_prime_given(trace.forward.a[k - 1], trace.forward.h[k])[n, i])
    terms = [term([
        factor(f"grad_h_{k}[{i}]", trace.grad_h[k][n, i], "grad_h", k, (i,), n),
        factor(f"g'(a_{k}[{i}])", g_prime, "g_prime", k, (i,), n),
    ])]  # fmt: skip
    formula = f"grad_a_{k}[{i}] = grad_h_{k}[{i}] g'(a_{k}[{i}]),  g'(a) = {act.derivative}"
    curve = activation_curve(act.name, a)
    trace_value = float(trace.grad_a[k - 1][n, i])
    return Derivation("grad_a", k, (i,), n, formula, "sum", tuple(terms), terms[0].value, trace_value, curve=curve)


def _grad_a_L(network: Network, trace: BackwardTrace, i: int, n: int) -> Derivation:
    cfg = network.config
    L = cfg.L
    fwd = trace.forward
    y_hat, Y = fwd.y_hat[n : n + 1], trace.targets.Y[n : n + 1]
    J = output_jacobian(cfg.output, fwd.a[L - 1][n : n + 1], y_hat)[0]
    trace_value = float(trace.grad_a[L - 1][n, i])
    if cfg.output_loss.has_shortcut:
        terms = [
            term([factor(f"y[{i}]", Y[0, i], "y", L, (i,), n)], -1.0),
            term([factor(f"y_hat[{i}]", y_hat[0, i], "h", L, (i,), n)]),
        ]
        formula = f"grad_a_{L}[{i}] = -(y[{i}] - y_hat[{i}])   ({cfg.output} + cross-entropy; y = e(label) for labels)"
        value = _result("sum", terms)
        return Derivation("grad_a", L, (i,), n, formula, "sum", tuple(terms), value, trace_value, "shortcut", J)
    grad = grad_y_hat(network, y_hat, Y)[0]
    outputs = range(J.shape[0]) if cfg.output == "softmax" else (i,)  # elementwise O: J is diagonal
    terms = [
        term([
            factor(f"dl/dy_hat[{p}]", grad[p], "grad_y_hat", L, (p,), n),
            factor(f"dy_hat[{p}]/da_{L}[{i}]", J[p, i], "jacobian", L, (p, i), n),
        ])
        for p in outputs
    ]  # fmt: skip
    formula = (
        f"grad_a_{L}[{i}] = sum_p dl/dy_hat[p] dy_hat[p]/da_{L}[{i}]   ({cfg.output} + {cfg.loss})"
        if cfg.output == "softmax"
        else f"grad_a_{L}[{i}] = dl/dy_hat[{i}] dy_hat[{i}]/da_{L}[{i}]   ({cfg.output} + {cfg.loss}; O element-wise)"
    )
    value = _result("sum", terms)
    return Derivation("grad_a", L, (i,), n, formula, "sum", tuple(terms), value, trace_value, "chain_rule", J)


def _grad_param(trace: BackwardTrace, quantity: str, k: int, idx: tuple[int, ...]) -> Derivation:
    grad_a_k = trace.grad_a[k - 1]
    N = grad_a_k.shape[0]
    i = idx[0]
    terms = []
    for n in range(N):
        last = (
            factor(f"h_{k - 1}[{idx[1]}]", trace.forward.h[k - 1][n, idx[1]], "h", k - 1, (idx[1],), n)
            if quantity == "grad_W"
            else factor(f"da_{k}[{i}]/db_{k}[{i}]", 1.0, "constant", None, (), None)
        )
        terms.append(term([factor(f"grad_a_{k}[{i}]", grad_a_k[n, i], "grad_a", k, (i,), n), last]))
    if quantity == "grad_W":
        j = idx[1]
        formula = f"grad_W_{k}[{i},{j}] = (1/N) sum_n grad_a_{k}[{i}] h_{k - 1}[{j}]   (N = {N})"
        trace_value = float(trace.grad_W[k - 1][i, j])
    else:
        formula = f"grad_b_{k}[{i}] = (1/N) sum_n grad_a_{k}[{i}] da_{k}[{i}]/db_{k}[{i}]   (N = {N})"
        trace_value = float(trace.grad_b[k - 1][i])
    return Derivation(quantity, k, idx, None, formula, "mean", tuple(terms), _result("mean", terms, N), trace_value)
