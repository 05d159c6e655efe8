"""Gradients against finite differences: g', the output functions, every valid (O, loss) pair,
and whole networks of random shapes and choices (property-based).

Agreement means relative error < 1e-6 per entry, except where both numbers are below the
rounding floor of a central difference (see ``core_support``). Relu and leaky relu have a kink
at 0; examples with a pre-activation closer than 1e-4 to it are rejected, so a finite
difference never straddles the kink.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from core_support import (
    EPS,
    batch_loss,
    build,
    check_mismatches,
    checked,
    mismatches,
    numeric_gradient,
    numeric_gradient_rows,
    per_example_losses_from,
    random_targets,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ffnn_core as f
from ffnn_core.outputs import softmax_jacobian

KINKED = {"relu", "leaky_relu"}
KINK_MARGIN = 1e-4


def _away_from_kinks(values: np.ndarray) -> np.ndarray:
    """Move values within 3 KINK_MARGIN of the kink at 0 out to +-3 KINK_MARGIN."""
    near = np.abs(values) < 3 * KINK_MARGIN
    return np.where(near, np.where(values < 0, -3 * KINK_MARGIN, 3 * KINK_MARGIN), values)


# --- g' of every hidden activation --------------------------------------------------------------


@pytest.mark.parametrize("name", list(f.ACTIVATIONS))
def test_g_prime_matches_finite_difference_of_g(name: str) -> None:
    act = f.get_activation(name)
    rng = np.random.default_rng(0)
    a = _away_from_kinks(np.concatenate([np.linspace(-4, 4, 81), rng.uniform(-4, 4, 200)]))
    h = 1e-6
    numeric = (act.g(a + h) - act.g(a - h)) / (2 * h)
    assert not mismatches(act.g_prime(a), numeric)


@pytest.mark.parametrize("name", list(f.ACTIVATIONS))
def test_g_prime_given_h_is_bit_identical_to_g_prime(name: str) -> None:
    # backward reuses h = g(a) from the forward pass; that must change no bit of g'(a).
    act = f.get_activation(name)
    a = np.random.default_rng(1).normal(scale=5.0, size=(7, 5))
    a[0, :3] = [0.0, -1000.0, 1000.0]
    assert act.g_prime_given(a, act.g(a)).tobytes() == act.g_prime(a).tobytes()


def test_activation_formulas_and_kink_convention() -> None:
    assert set(f.ACTIVATIONS) == {"sigmoid", "tanh", "linear", "relu", "leaky_relu"}
    for act in f.ACTIVATIONS.values():
        assert act.formula and act.derivative
        a = np.array([[-2.0, 0.5]])
        assert act.g(a).shape == act.g_prime(a).shape == a.shape
    # the sub-gradient at exactly 0: relu'(0) = 0, leaky_relu'(0) = slope
    assert f.get_activation("relu").g_prime(np.array([0.0]))[0] == 0.0
    assert f.get_activation("leaky_relu").g_prime(np.array([0.0]))[0] == pytest.approx(0.01)


def test_seed_derivative_identities() -> None:
    # The notes: sigmoid' = g (1 - g), tanh' = 1 - g^2.
    a = np.linspace(-3, 3, 13)
    s = 1 / (1 + np.exp(-a))
    np.testing.assert_allclose(f.get_activation("sigmoid").g(a), s, rtol=1e-15)
    np.testing.assert_allclose(f.get_activation("sigmoid").g_prime(a), s * (1 - s), rtol=1e-14)
    np.testing.assert_allclose(f.get_activation("tanh").g_prime(a), 1 - np.tanh(a) ** 2, rtol=1e-14)


# --- output functions O: vjp against the full numeric Jacobian -----------------------------------


def _numeric_jacobian(O: Callable[[np.ndarray], np.ndarray], a_row: np.ndarray) -> np.ndarray:  # noqa: E741
    """J[i, j] = d O(a)_i / d a_j for one example, by central differences."""
    k = a_row.shape[0]
    J = np.zeros((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = EPS
        J[:, j] = (O((a_row + step)[None, :])[0] - O((a_row - step)[None, :])[0]) / (2 * EPS)
    return J


@pytest.mark.parametrize("name", list(f.OUTPUTS))
@pytest.mark.parametrize("k", [1, 2, 4])
def test_output_vjp_equals_numeric_jacobian_product(name: str, k: int) -> None:
    out = f.get_output(name)
    rng = np.random.default_rng(k)
    a = rng.normal(scale=2.0, size=(5, k))
    y_hat = out.O(a)
    g = rng.normal(size=(5, k))
    vjp = out.vjp(a, y_hat, g)
    assert vjp.shape == (5, k)
    for n in range(5):
        J = _numeric_jacobian(out.O, a[n])
        assert not mismatches(vjp[n], J.T @ g[n])


def test_softmax_jacobian_matches_numeric_jacobian() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(scale=2.0, size=(4, 3))
    softmax = f.get_output("softmax").O
    J = softmax_jacobian(softmax(a))
    assert J.shape == (4, 3, 3)
    for n in range(4):
        assert not mismatches(J[n], _numeric_jacobian(softmax, a[n]))
        np.testing.assert_allclose(J[n], J[n].T, rtol=0, atol=0)  # symmetric
        np.testing.assert_allclose(J[n].sum(axis=0), 0.0, atol=1e-15)  # outputs sum to 1


# --- the output layer: grad_a_L for every valid (O, loss) pair -----------------------------------


@pytest.mark.parametrize(
    ("output", "loss", "k"),
    [(o, loss, k) for o, loss in f.VALID_PAIRS for k in (1, 3) if not (o == "softmax" and k == 1)],
)
def test_grad_a_L_matches_finite_difference(output: str, loss: str, k: int) -> None:
    pair = f.get_output_loss(output, loss)
    rng = np.random.default_rng(k)
    N = 4
    a = rng.normal(scale=2.0, size=(N, k))
    Y = f.encode_targets(random_targets(rng, output, loss, N, k), k, loss, output).Y
    numeric = numeric_gradient_rows(lambda: pair.per_example_loss(a, pair.output.O(a), Y), a)
    y_hat = pair.output.O(a)
    losses = pair.per_example_loss(a, y_hat, Y)[:, None]
    assert not mismatches(pair.grad_a_L(a, y_hat, Y), numeric, losses)
    assert not mismatches(pair.grad_a_L_chain_rule(a, y_hat, Y), numeric, losses)


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
@pytest.mark.parametrize("targets", ["labels", "rows"])
def test_seed_shortcut_equals_general_chain_rule(output: str, targets: str) -> None:
    # grad_a_L = -(e(y) - y_hat) (softmax + CE, and its sigmoid + binary-CE twin) is what
    # J_O^T dl/dy_hat gives, for one-hot labels and for probability rows alike.
    pair = f.get_output_loss(output, "cross_entropy")
    assert pair.has_shortcut
    rng = np.random.default_rng(11)
    N, k = 6, 4
    a = rng.normal(scale=3.0, size=(N, k))
    if targets == "labels":
        Y = f.encode_targets(rng.integers(0, k, size=N), k, "cross_entropy").Y
    elif output == "softmax":
        p = rng.random((N, k)) + 0.1
        Y = p / p.sum(axis=1, keepdims=True)
    else:
        Y = rng.random((N, k))
    y_hat = pair.output.O(a)
    shortcut = f.grad_a_L_shortcut(y_hat, Y)
    np.testing.assert_allclose(shortcut, -(Y - y_hat), rtol=0, atol=0)
    # sigmoid writes y_hat - Y as (1 - Y) y_hat - Y (1 - y_hat), with 1 - y_hat from a_L (exact
    # where y_hat rounds to 1): the same number up to rounding.
    np.testing.assert_allclose(pair.grad_a_L(a, y_hat, Y), shortcut, rtol=0, atol=0 if output == "softmax" else 2**-52)
    np.testing.assert_allclose(pair.grad_a_L_chain_rule(a, y_hat, Y), shortcut, rtol=1e-12, atol=1e-14)


def test_only_cross_entropy_pairs_take_the_shortcut() -> None:
    for output, loss in f.VALID_PAIRS:
        assert f.get_output_loss(output, loss).has_shortcut == (loss == "cross_entropy")


# --- a fixed network for every hidden activation x every valid pair ------------------------------


@pytest.mark.parametrize("activation", list(f.ACTIVATIONS))
@pytest.mark.parametrize(("output", "loss"), f.VALID_PAIRS)
def test_gradient_check_every_activation_and_pair(activation: str, output: str, loss: str) -> None:
    rng = np.random.default_rng(5)
    net = build([3, 4, 3, 2], activation, output, loss, seed=2)
    net.set_parameters(net.W, [rng.normal(scale=0.5, size=b.shape) for b in net.b])
    X = rng.normal(size=(5, 3))
    y = random_targets(rng, output, loss, 5, 2)
    trace = f.forward(net, X)
    if activation in KINKED:
        assert all(np.abs(a).min() > KINK_MARGIN for a in trace.a[:-1])
    checks = f.gradient_check(net, X, y)
    assert [(c.name, c.layer) for c in checks] == [(n, k) for k in (1, 2, 3) for n in ("W", "b")]
    assert sum(len(c.entries) for c in checks) == net.config.n_parameters
    assert not check_mismatches(checks, f.backward(net, X, y).loss)


def test_gradient_check_agrees_with_an_independent_finite_difference() -> None:
    net = build([2, 3, 2], "sigmoid", seed=4)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 2))
    y = np.array([0, 1, 1])
    Y = f.encode_targets(y, 2, "cross_entropy").Y
    checks = {(c.name, c.layer): c for c in f.gradient_check(net, X, y)}
    for k in (1, 2):
        numeric = numeric_gradient(lambda: batch_loss(net, X, Y), net.W[k - 1])
        got = np.array([e.numeric for e in checks[("W", k)].entries]).reshape(numeric.shape)
        np.testing.assert_allclose(got, numeric, rtol=1e-9, atol=1e-12)
        assert [e.index for e in checks[("W", k)].entries] == list(np.ndindex(numeric.shape))


def test_gradient_check_sampling_and_layer_choice() -> None:
    net = build([4, 6, 3], "tanh", seed=0)
    X = np.random.default_rng(0).normal(size=(4, 4))
    y = np.array([0, 1, 2, 1])
    checks = f.gradient_check(net, X, y, max_entries=5, seed=3, layers=[1])
    assert [(c.name, c.layer) for c in checks] == [("W", 1), ("b", 1)]
    assert len(checks[0].entries) == 5 and len(checks[1].entries) == 5
    assert checks == f.gradient_check(net, X, y, max_entries=5, seed=3, layers=[1])  # seeded sample
    assert not check_mismatches(checks, f.backward(net, X, y).loss)
    with pytest.raises(ValueError, match=r"layer must be 1\.\.2"):
        f.gradient_check(net, X, y, layers=[3])


# --- whole networks: random shapes, activations, pairs, inits (hypothesis) ----------------------


@st.composite
def network_cases(draw: st.DrawFn) -> tuple[f.Network, np.ndarray, object]:
    L = draw(st.integers(1, 4), label="L")
    sizes = [draw(st.integers(1, 6), label=f"n_{k}") for k in range(L + 1)]
    activations = [draw(st.sampled_from(sorted(f.ACTIVATIONS)), label=f"g_{k}") for k in range(1, L)]
    output, loss = draw(st.sampled_from(f.VALID_PAIRS), label="pair")
    if output == "softmax" and sizes[-1] == 1:
        sizes[-1] = draw(st.integers(2, 6), label="n_L for softmax")
    init = draw(st.sampled_from(sorted(f.INITIALIZERS)), label="init")
    init_scale = draw(st.sampled_from([0.3, 1.0, 1.5]), label="init_scale")
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    N = draw(st.integers(1, 5), label="N")
    data_seed = draw(st.integers(0, 2**31 - 1), label="data seed")
    net = build(sizes, activations, output, loss, init=init, init_scale=init_scale, seed=seed)
    rng = np.random.default_rng(data_seed)
    net.set_parameters(net.W, [rng.normal(scale=0.5, size=b.shape) for b in net.b])
    X = rng.normal(size=(N, sizes[0]))
    y = random_targets(rng, output, loss, N, sizes[-1])
    return net, X, y


def _assume_no_kinks(net: f.Network, trace: f.ForwardTrace) -> None:
    for k, name in enumerate(net.config.activations, start=1):
        if name in KINKED:
            assume(np.abs(trace.a[k - 1]).min() > KINK_MARGIN)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


@SETTINGS
@given(network_cases())
def test_random_networks_parameter_gradients(case: tuple[f.Network, np.ndarray, object]) -> None:
    net, X, y = case
    _assume_no_kinks(net, f.forward(net, X))
    assert not checked(net, X, y)


@SETTINGS
@given(network_cases())
def test_random_networks_input_hidden_and_preactivation_gradients(
    case: tuple[f.Network, np.ndarray, object],
) -> None:
    # grad_h_k (k = 0..L-1) and grad_a_k (k = 1..L) are per-example gradients of l_n: row n is
    # d l_n / d h_k[n] and d l_n / d a_k[n], checked by resuming the forward pass at layer k.
    net, X, y = case
    trace = f.backward(net, X, y)
    _assume_no_kinks(net, trace.forward)
    Y = trace.targets.Y
    L = net.config.L
    for k in range(L):
        h_k = trace.forward.h[k].copy()
        numeric = numeric_gradient_rows(lambda h_k=h_k, k=k: per_example_losses_from(net, k, h_k, Y, is_h=True), h_k)
        assert not mismatches(trace.grad_h[k], numeric, trace.losses[:, None]), f"grad_h_{k}"
    for k in range(1, L + 1):
        a_k = trace.forward.a[k - 1].copy()
        numeric = numeric_gradient_rows(lambda a_k=a_k, k=k: per_example_losses_from(net, k, a_k, Y, is_h=False), a_k)
        assert not mismatches(trace.grad_a[k - 1], numeric, trace.losses[:, None]), f"grad_a_{k}"


# --- the teaching fault: leaving out g' of one layer ---------------------------------------------


@pytest.mark.parametrize("dropped", [1, 2])
def test_dropping_g_prime_fails_the_check_below_that_layer(dropped: int) -> None:
    net = build([3, 4, 4, 2], ["tanh", "sigmoid"], seed=1)
    rng = np.random.default_rng(2)
    X = rng.normal(size=(6, 3))
    y = rng.integers(0, 2, size=6)
    loss = f.backward(net, X, y).loss
    assert not check_mismatches(f.gradient_check(net, X, y), loss)  # the unbroken check passes
    broken = f.gradient_check(net, X, y, drop_g_prime_layer=dropped)
    for c in broken:
        if c.layer <= dropped:  # W_k, b_k for k <= dropped sit below the missing g'(a_dropped)
            assert c.max_relative_error > 1e-2, (c.name, c.layer, c.max_relative_error)
        else:
            assert not check_mismatches([c], loss), (c.name, c.layer)
    # backward itself: the layers above the fault are untouched, bit for bit
    ok = f.backward(net, X, y)
    faulty = f.backward(net, X, y, drop_g_prime_layer=dropped)
    for k in range(dropped + 1, 4):
        assert faulty.grad_W[k - 1].tobytes() == ok.grad_W[k - 1].tobytes()
    np.testing.assert_array_equal(faulty.grad_a[dropped - 1], ok.grad_h[dropped])
