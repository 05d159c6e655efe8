"""The element-wise derivations against the backward trace, and the paths of one weight.

Tolerance: a formula's result is a sum of its terms computed with ``math.fsum``; the trace
computes the same sum with a matrix product, whose rounding error is a few ulps of the sum of
the terms' magnitudes (not of the result, which may cancel). So "equal to 1e-12 relative" is
|formula - trace| <= 1e-12 max(|trace|, sum_t |term_t|). One exception in the same spirit: the
trace's softmax chain rule is y_hat[i] (g[i] - <g, y_hat>) (g = dl/dy_hat), whose subtraction is
exact only to a few ulps of y_hat[i] (|g[i]| + sum_p |g[p]| y_hat[p]); near saturation that is far
more than the result, so that magnitude is the scale there.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ffnn_core as f
from ffnn_core import paths as paths_module
from ffnn_core.derivation import Derivation, derive
from ffnn_core.paths import MAX_PATHS, paths
from tests.core.core_support import build, random_targets

RTOL = 1e-12
PAIRS = list(f.VALID_PAIRS)
ACTIVATIONS = sorted(f.ACTIVATIONS)


def close(value: float, expected: float, scale: float = 0.0) -> bool:
    return abs(value - expected) <= RTOL * max(abs(expected), scale, 1e-300)


def term_scale(d: Derivation, trace: f.BackwardTrace) -> float:
    scale = math.fsum(abs(t.value) for t in d.terms)
    if d.kind == "chain_rule" and d.jacobian is not None and len(d.terms) > 1:  # softmax, see the docstring
        assert d.example is not None
        y_hat = trace.forward.y_hat[d.example]
        g = np.array([t.factors[0].value for t in d.terms])
        scale = max(scale, float(y_hat[d.index[0]] * (abs(g[d.index[0]]) + np.abs(g) @ y_hat)))
    return scale


@st.composite
def networks(draw: st.DrawFn, activation: str, pair: tuple[str, str]) -> tuple[f.Network, f.BackwardTrace]:
    output, loss = pair
    L = draw(st.integers(1, 3), label="L")
    sizes = [draw(st.integers(1, 4), label=f"n_{k}") for k in range(L + 1)]
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    N = draw(st.integers(1, 3), label="N")
    net = build(sizes, activation, output, loss, seed=seed, init_scale=draw(st.sampled_from([0.5, 1.0, 2.0])))
    rng = np.random.default_rng(seed)
    net.set_parameters(net.W, [rng.normal(scale=0.5, size=b.shape) for b in net.b])
    X = rng.normal(size=(N, sizes[0]))
    return net, f.backward(net, X, random_targets(rng, output, loss, N, sizes[-1]))


def entries(net: f.Network, quantity: str) -> list[tuple[int, tuple[int, ...]]]:
    sizes, L = net.config.sizes, net.config.L
    layers = {"h": range(0, L + 1), "grad_h": range(0, L)}.get(quantity, range(1, L + 1))
    out: list[tuple[int, tuple[int, ...]]] = []
    for k in layers:
        shape = (sizes[k], sizes[k - 1]) if quantity == "grad_W" else (sizes[k],)
        out += [(k, idx) for idx in itertools.product(*(range(n) for n in shape))]
    return out


def lookup(
    net: f.Network, trace: f.BackwardTrace, quantity: str, layer: int, index: tuple[int, ...], n: int | None
) -> float:
    """Where a factor says it lives, read independently of ``derivation``."""
    fwd = trace.forward
    row = 0 if n is None else n
    acts = net.config.hidden_activations
    arrays = {
        "a": lambda: fwd.a[layer - 1][row], "h": lambda: fwd.h[layer][row], "W": lambda: net.W[layer - 1],
        "b": lambda: net.b[layer - 1], "grad_a": lambda: trace.grad_a[layer - 1][row],
        "grad_h": lambda: trace.grad_h[layer][row], "y": lambda: trace.targets.Y[row],
        "g_prime": lambda: acts[layer - 1].g_prime_given(fwd.a[layer - 1], fwd.h[layer])[row],
    }  # fmt: skip
    return float(arrays[quantity]()[index])


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{o}+{loss}" for o, loss in PAIRS])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_formula_equals_the_trace_entry(activation: str, pair: tuple[str, str], data: st.DataObject) -> None:
    net, trace = data.draw(networks(activation, pair))
    N = trace.forward.h[0].shape[0]
    for quantity in ("a", "h", "grad_a", "grad_h", "grad_W", "grad_b"):
        for k, idx in entries(net, quantity):
            for n in range(N) if quantity in ("a", "h", "grad_a", "grad_h") else [0]:
                d = derive(net, trace, quantity, k, idx, example=n)
                where = f"{quantity}_{k}{list(idx)} example {n}"
                assert close(d.value, d.trace_value, term_scale(d, trace)), where
                for t in d.terms:
                    assert t.value == t.coefficient * math.prod(fac.value for fac in t.factors)
                    for fac in t.factors:
                        if fac.quantity in ("a", "h", "W", "b", "grad_a", "grad_h", "y", "g_prime"):
                            assert fac.layer is not None
                            assert fac.value == lookup(net, trace, fac.quantity, fac.layer, fac.index, fac.example), (
                                where
                            )
    # the trace entry the derivation quotes is the backward trace's own
    d = derive(net, trace, "grad_W", 1, (0, 0))
    assert d.trace_value == trace.grad_W[0][0, 0]


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{o}+{loss}" for o, loss in PAIRS])
def test_grad_a_L_follows_the_pair(pair: tuple[str, str]) -> None:
    output, loss = pair
    net = build([2, 3, 3], "tanh", output, loss, seed=4)
    rng = np.random.default_rng(1)
    trace = f.backward(net, rng.normal(size=(2, 2)), random_targets(rng, output, loss, 2, 3))
    d = derive(net, trace, "grad_a", 2, [1], example=1)
    assert d.kind == ("shortcut" if loss == "cross_entropy" else "chain_rule")
    assert d.jacobian is not None and d.jacobian.shape == (3, 3)
    if d.kind == "shortcut":  # -(y[i] - y_hat[i])
        assert [fac.quantity for t in d.terms for fac in t.factors] == ["y", "h"]
        assert [t.coefficient for t in d.terms] == [-1.0, 1.0]
    else:  # sum over p of dl/dy_hat[p] dy_hat[p]/da_L[i]: all p for softmax, p = i otherwise
        assert len(d.terms) == (3 if output == "softmax" else 1)
        assert all([fac.quantity for fac in t.factors] == ["grad_y_hat", "jacobian"] for t in d.terms)
    # the Jacobian against central differences of O
    a = trace.forward.a[-1][1]
    O = net.config.output_loss.output.O  # noqa: E741
    eps = 1e-6
    numeric = np.stack([(O((a + eps * e)[None])[0] - O((a - eps * e)[None])[0]) / (2 * eps) for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(d.jacobian, numeric, atol=1e-8)


def test_activation_curve_marks_the_current_a() -> None:
    net = build([2, 3, 2], "sigmoid", seed=2)
    trace = f.backward(net, [[0.3, -0.7]], [1])
    d = derive(net, trace, "grad_a", 1, [2])
    assert d.curve is not None
    a = float(trace.forward.a[0][0, 2])
    assert d.curve.at_a == a and d.curve.a.min() <= a <= d.curve.a.max()
    s = 1 / (1 + np.exp(-d.curve.a))
    np.testing.assert_allclose(d.curve.g, s, rtol=1e-12)
    np.testing.assert_allclose(d.curve.g_prime, s * (1 - s), rtol=1e-12)
    assert close(d.curve.at_g_prime, d.terms[0].factors[1].value)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), pair=st.sampled_from(PAIRS), activation=st.sampled_from(ACTIVATIONS))
def test_paths_sum_to_grad_W(data: st.DataObject, pair: tuple[str, str], activation: str) -> None:
    net, trace = data.draw(networks(activation, pair))
    sizes, N = net.config.sizes, trace.forward.h[0].shape[0]
    k = data.draw(st.integers(1, net.config.L), label="k")
    i, j = data.draw(st.integers(0, sizes[k] - 1), label="i"), data.draw(st.integers(0, sizes[k - 1] - 1), label="j")
    n = data.draw(st.integers(0, N - 1), label="example")
    result = paths(net, trace, k, i, j, max_paths=MAX_PATHS, example=n)
    assert result.count == len(result.paths) == math.prod(sizes[k + 1 :]) * (sizes[-1] if pair[0] == "softmax" else 1)
    scale = math.fsum(abs(p.share) for p in result.paths)
    assert close(math.fsum(p.share for p in result.paths), trace.grad_W[k - 1][i, j], scale)  # the batch mean
    assert close(result.total, trace.grad_W[k - 1][i, j], scale)
    per_example = trace.grad_a[k - 1][n, i] * trace.forward.h[k - 1][n, j]  # that example's dl/dW_k[i,j]
    assert close(
        math.fsum(p.product for p in result.paths), per_example, math.fsum(abs(p.product) for p in result.paths)
    )
    for p in result.paths:
        assert p.product == math.prod(fac.value for fac in p.factors)
        assert len(p.factors) == 2 * (net.config.L - k) + 3
    shares = [abs(p.share) for p in result.paths]
    assert shares == sorted(shares, reverse=True)


def test_batch_of_one_paths_sum_to_grad_W_and_the_rest_is_summed() -> None:
    net = build([2, 3, 3, 2], "tanh", seed=7)
    trace = f.backward(net, [[0.4, -1.2]], [1])
    result = paths(net, trace, 1, 2, 0, max_paths=5)
    assert result.count == 3 * 2 * 2 and len(result.paths) == 5 and result.remainder_count == 7
    assert result.remainder_method == "summed"
    assert close(result.listed_sum + result.remainder_sum, trace.grad_W[0][2, 0], 1e-3)
    assert close(result.total_example, result.total)  # N = 1: the example is the batch


def test_thin_network_is_the_notes_one_product() -> None:
    # [1,1,1,1]: dL/dw_111 = dL/dy_hat dy_hat/da_3 da_3/dh_2 dh_2/da_2 da_2/dh_1 dh_1/da_1 da_1/dw_111
    net = build([1, 1, 1, 1], "tanh", "sigmoid", "cross_entropy", seed=3)
    x, y = 0.8, 1
    trace = f.backward(net, [[x]], [y])
    result = paths(net, trace, 1, 0, 0)
    assert result.count == 1 and len(result.paths) == 1
    (path,) = result.paths
    assert [fac.symbol for fac in path.factors] == [
        "dl/dy_hat[0]", "dy_hat[0]/da_3[0]", "da_3[0]/dh_2[0]", "dh_2[0]/da_2[0]",
        "da_2[0]/dh_1[0]", "dh_1[0]/da_1[0]", "da_1[0]/dW_1[0,0]",
    ]  # fmt: skip
    h1, h2, y_hat = (float(trace.forward.h[k][0, 0]) for k in (1, 2, 3))
    W2, W3 = float(net.W[1][0, 0]), float(net.W[2][0, 0])
    by_hand = [-y / y_hat, y_hat * (1 - y_hat), W3, 1 - h2**2, W2, 1 - h1**2, x]
    np.testing.assert_allclose([fac.value for fac in path.factors], by_hand, rtol=1e-12)
    assert close(path.product, float(trace.grad_W[0][0, 0]))
    assert [(fac.quantity, fac.layer) for fac in path.factors] == [
        ("grad_y_hat", 3), ("jacobian", 3), ("W", 3), ("g_prime", 2), ("W", 2), ("g_prime", 1), ("h", 0),
    ]  # fmt: skip


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_search_finds_the_same_largest_paths_as_enumeration(output: str, monkeypatch: pytest.MonkeyPatch) -> None:
    net = build([3, 4, 5, 4, 3], ["tanh", "sigmoid", "leaky_relu"], output, "cross_entropy", seed=11)
    trace = f.backward(net, [[0.5, -0.3, 1.1]], [2] if output == "softmax" else [[1, 0, 1]])
    enumerated = paths(net, trace, 1, 3, 1, max_paths=20)
    monkeypatch.setattr(paths_module, "ENUMERATE_LIMIT", 0)
    searched = paths(net, trace, 1, 3, 1, max_paths=20)
    assert (enumerated.ranked_by, searched.ranked_by) == ("share", "example")
    assert searched.remainder_method == "total_minus_listed"
    np.testing.assert_allclose(
        [abs(p.product) for p in searched.paths], [abs(p.product) for p in enumerated.paths], rtol=1e-12
    )
    assert close(searched.listed_sum + searched.remainder_sum, enumerated.listed_sum + enumerated.remainder_sum, 1e-3)


def test_huge_path_sets_are_searched_not_enumerated() -> None:
    net = build([2, 60, 60, 60, 60, 3], "tanh", seed=5)  # 60^3 * 3 * 3 paths from W_1[i, j] (softmax: x 3 outputs)
    rng = np.random.default_rng(0)
    trace = f.backward(net, rng.normal(size=(4, 2)), [0, 1, 2, 0])
    result = paths(net, trace, 1, 7, 1, max_paths=50, example=2)
    assert result.count == 60**3 * 3 * 3 and len(result.paths) == 50 and result.ranked_by == "example"
    assert close(result.total, trace.grad_W[0][7, 1])
    products = [abs(p.product) for p in result.paths]
    assert products == sorted(products, reverse=True)
    assert result.remainder_count == result.count - 50


@pytest.mark.parametrize(
    ("quantity", "layer", "index", "message"),
    [
        ("z", 1, [0], "unknown quantity 'z'; allowed: a, h, grad_a"),
        ("grad_h", 2, [0], r"grad_h_k exists for layers k = 0\.\.1"),
        ("grad_W", 1, [0], r"must be \[i, j\] with 0 <= i < 3, 0 <= j < 2"),
        ("a", 1, [3], r"must be \[i\] with 0 <= i < 3"),
    ],
)
def test_bad_requests_say_what_is_allowed(quantity: str, layer: int, index: list[int], message: str) -> None:
    net = build([2, 3, 2], "tanh", seed=1)
    trace = f.backward(net, [[0.1, 0.2]], [0])
    with pytest.raises(ValueError, match=message):
        derive(net, trace, quantity, layer, index)
    with pytest.raises(ValueError, match=r"example must be a row of the batch, 0\.\.0"):
        derive(net, trace, "a", 1, [0], example=1)
    with pytest.raises(ValueError, match="needs a backward trace"):
        derive(net, trace.forward, "grad_a", 1, [0])
    with pytest.raises(ValueError, match=f"max_paths must be 1..{MAX_PATHS}"):
        paths(net, trace, 1, 0, 0, max_paths=MAX_PATHS + 1)
    with pytest.raises(ValueError, match=r"W_1 has shape \(3, 2\)"):
        paths(net, trace, 1, 3, 0)
