"""Activations, outputs, losses and their derivatives at the edges of float64, against mpmath.

Each function is evaluated at an exact float64 input and compared with the same function worked
out with 80 significant digits. Where the true value is a normal float64, the error must be a few
units in the last place *relative to the value* (no cancellation, no premature 0); below the
normal range only the absolute spacing of subnormals (about 5e-324) is possible.
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ffnn_core as f
from ffnn_core.activations import H_FORM_FLOOR
from ffnn_core.numerics import (
    log_sigmoid,
    log_softmax,
    sigmoid,
    sigmoid_complement,
    sigmoid_prime,
    softmax,
    tanh_prime,
)

mpmath.mp.dps = 80
EPS = 2.0**-52
TINY = 2.0**-1022  # smallest normal float64
REL = 8 * EPS  # a few ulps, whatever the size of the value
# g' of sigmoid and tanh keeps the seed's form in h (error ~ eps / g') wherever g' >= 2^-8
G_PRIME_REL = max(REL, 2 * EPS / H_FORM_FLOOR)

# |a| up to 700 and far beyond: the whole float64 line, infinities aside.
moderate = st.floats(min_value=-800.0, max_value=800.0, allow_nan=False)
anywhere = st.floats(min_value=-1e308, max_value=1e308, allow_nan=False)
extreme = st.one_of(moderate, anywhere, st.sampled_from([-745.0, -709.0, -40.0, -37.0, 0.0, 19.5, 37.0, 40.0, 710.0]))


def close(got: float, exact: mpmath.mpf, rel: float = REL) -> bool:
    """|got - exact| within ``rel`` of |exact|, or within a few subnormal spacings below TINY."""
    error = abs(mpmath.mpf(got) - exact)
    return bool(error <= rel * abs(exact) + 4 * 2.0**-1074)


def _mp_sigmoid(a: float) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-mpmath.mpf(a)))


def _mp_tanh_prime(a: float) -> mpmath.mpf:
    return 1 / mpmath.cosh(mpmath.mpf(a)) ** 2


CASES: list[tuple[str, Callable[[np.ndarray], np.ndarray], Callable[[float], mpmath.mpf]]] = [
    ("sigmoid", sigmoid, _mp_sigmoid),
    ("1 - sigmoid", sigmoid_complement, lambda a: _mp_sigmoid(-a)),
    ("sigmoid'", sigmoid_prime, lambda a: _mp_sigmoid(a) * _mp_sigmoid(-a)),
    ("tanh", np.tanh, lambda a: mpmath.tanh(mpmath.mpf(a))),
    ("tanh'", tanh_prime, _mp_tanh_prime),
    ("log sigmoid", log_sigmoid, lambda a: -mpmath.log1p(mpmath.exp(-mpmath.mpf(a)))),
]


@pytest.mark.parametrize(("name", "fn", "exact"), CASES, ids=[c[0] for c in CASES])
@settings(max_examples=150, deadline=None)
@given(a=extreme)
def test_elementwise_functions_keep_relative_precision(
    name: str, fn: Callable[[np.ndarray], np.ndarray], exact: Callable[[float], mpmath.mpf], a: float
) -> None:
    got = float(fn(np.array([a]))[0])
    assert close(got, exact(a)), f"{name}({a!r}) = {got!r}, exact {mpmath.nstr(exact(a), 20)}"


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "linear"])
@settings(max_examples=100, deadline=None)
@given(a=extreme)
def test_every_activation_and_its_derivative(name: str, a: float) -> None:
    act = f.get_activation(name)
    x = mpmath.mpf(a)
    exact_g, exact_d = {
        "sigmoid": (_mp_sigmoid(a), _mp_sigmoid(a) * _mp_sigmoid(-a)),
        "tanh": (mpmath.tanh(x), _mp_tanh_prime(a)),
        "relu": (max(x, 0), mpmath.mpf(1 if a > 0 else 0)),
        "leaky_relu": (x if a > 0 else mpmath.mpf(0.01) * x, mpmath.mpf(1 if a > 0 else 0.01)),
        "linear": (x, mpmath.mpf(1)),
    }[name]
    arr = np.array([a])
    h = act.g(arr)
    assert close(float(h[0]), exact_g)
    # backward's call: g' given a and h = g(a); h rounding to 1 must not zero it
    assert close(float(act.g_prime_given(arr, h)[0]), exact_d, rel=G_PRIME_REL)
    assert close(float(act.g_prime(arr)[0]), exact_d, rel=G_PRIME_REL)


def test_sigmoid_tail_values_the_issue_names() -> None:
    # 0.5 (1 + tanh(a/2)) gave 9e-9 relative error at -20, 1.7e-4 at -30 and exactly 0 at -40.
    for a in (-20.0, -30.0, -40.0, -700.0):
        assert close(float(sigmoid(np.array([a]))[0]), _mp_sigmoid(a), rel=2 * EPS)
    assert float(sigmoid(np.array([-40.0]))[0]) == pytest.approx(4.248354255291589e-18, rel=1e-15)
    assert float(sigmoid_prime(np.array([40.0]))[0]) == pytest.approx(4.248354255291589e-18, rel=1e-15)
    assert sigmoid(np.array([-np.inf, np.inf])).tolist() == [0.0, 1.0]


rows = st.lists(moderate, min_size=2, max_size=5)


def _mp_log_softmax(row: list[float]) -> list[mpmath.mpf]:
    xs = [mpmath.mpf(v) for v in row]
    top = max(xs)
    others = list(xs)
    others.remove(top)  # log sum exp = top + log1p(the rest): 1 + 1e-50 would lose the 1e-50
    log_rest = mpmath.log1p(mpmath.fsum(mpmath.exp(v - top) for v in others))
    return [(v - top) - log_rest for v in xs]  # v - (top + log_rest) would round log_rest away


@settings(max_examples=150, deadline=None)
@given(row=rows)
def test_softmax_and_log_softmax_rows(row: list[float]) -> None:
    a = np.array([row])
    exact_log = _mp_log_softmax(row)
    # a_j - max a is rounded once (error up to eps |a_j - max a|), and every exp turns that into a
    # relative error of the sum: the condition of the function, not a flaw of its formula
    rel = REL + 2 * EPS * max(abs(v - max(row)) for v in row)
    for j, (p, lp) in enumerate(zip(softmax(a)[0], log_softmax(a)[0], strict=True)):
        assert close(float(p), mpmath.exp(exact_log[j]), rel=rel)
        assert abs(mpmath.mpf(float(lp)) - exact_log[j]) <= rel * abs(exact_log[j]) + rel


@pytest.mark.parametrize(("output", "loss"), f.VALID_PAIRS)
@settings(max_examples=60, deadline=None)
@given(row=st.lists(moderate, min_size=2, max_size=4), label=st.integers(0, 3))
def test_every_loss_and_grad_a_L(output: str, loss: str, row: list[float], label: int) -> None:
    k = len(row)
    label %= k
    pair = f.get_output_loss(output, loss)
    a = np.array([row])
    y_hat = pair.output.O(a)
    Y = np.zeros((1, k))
    Y[0, label] = 1.0
    xs = [mpmath.mpf(v) for v in row]
    if output == "softmax":
        log_p = _mp_log_softmax(row)
        p = [mpmath.exp(v) for v in log_p]
        log_q = [mpmath.log1p(-v) for v in p]
    elif output == "sigmoid":
        log_p = [-mpmath.log1p(mpmath.exp(-v)) for v in xs]
        log_q = [-mpmath.log1p(mpmath.exp(v)) for v in xs]
        p = [mpmath.exp(v) for v in log_p]
    else:
        p = xs
    y = [mpmath.mpf(v) for v in Y[0]]
    # the loss and dl/da_L, exactly
    if loss == "squared_error":
        exact_loss = mpmath.fsum((pj - yj) ** 2 for pj, yj in zip(p, y, strict=True))
        dl_dp = [2 * (pj - yj) for pj, yj in zip(p, y, strict=True)]
    elif output == "softmax":
        exact_loss = -mpmath.fsum(yj * lp for yj, lp in zip(y, log_p, strict=True))
        dl_dp = None
    else:
        exact_loss = -mpmath.fsum(yj * lp + (1 - yj) * lq for yj, lp, lq in zip(y, log_p, log_q, strict=True))
        dl_dp = None
    if output == "softmax":
        if dl_dp is None:
            exact_grad = [pj - yj for pj, yj in zip(p, y, strict=True)]
        else:
            inner = mpmath.fsum(g * pj for g, pj in zip(dl_dp, p, strict=True))
            exact_grad = [pj * (g - inner) for g, pj in zip(dl_dp, p, strict=True)]
    elif output == "sigmoid":
        if dl_dp is None:
            exact_grad = [pj - yj for pj, yj in zip(p, y, strict=True)]
        else:
            exact_grad = [g * pj * (1 - pj) for g, pj in zip(dl_dp, p, strict=True)]
    else:
        exact_grad = dl_dp or []
    got_loss = float(pair.per_example_loss(a, y_hat, Y)[0])
    got_grad = pair.grad_a_L(a, y_hat, Y)[0]
    rel = 4 * REL + (2 * EPS * max(abs(v - max(row)) for v in row) if output == "softmax" else 0.0)
    # y_hat - y cancels where the prediction is right: there the error is absolute, eps-sized
    # (relative to the numbers subtracted), for the loss and for the gradient
    cancel = 8 * EPS * mpmath.fsum(abs(pj - yj) * (abs(pj) + abs(yj) + 1) for pj, yj in zip(p, y, strict=True))
    subnormal = 4 * 2.0**-1074
    assert abs(mpmath.mpf(got_loss) - exact_loss) <= rel * abs(exact_loss) + subnormal + (
        cancel if loss == "squared_error" else 0
    ), (output, loss, row, label, got_loss)
    for j in range(k):
        g = float(got_grad[j])
        absolute = 8 * EPS * (1 + abs(float(p[j]))) if (loss == "squared_error" or Y[0, j] == 1.0) else 0.0
        bound = rel * abs(exact_grad[j]) + absolute + 4 * 2.0**-1074
        assert abs(mpmath.mpf(g) - exact_grad[j]) <= bound, (j, g, mpmath.nstr(exact_grad[j], 20))


def test_binary_cross_entropy_gradient_keeps_its_tail() -> None:
    # y_hat rounds to 1 at a = 40, but grad_a_L = sigmoid(40) - 1 = -4.2e-18, not 0
    pair = f.get_output_loss("sigmoid", "cross_entropy")
    a = np.array([[40.0], [-40.0]])
    grad = pair.grad_a_L(a, sigmoid(a), np.array([[1.0], [0.0]]))
    np.testing.assert_allclose(grad[:, 0], [-4.248354255291589e-18, 4.248354255291589e-18], rtol=1e-15)


@settings(max_examples=100, deadline=None)
@given(magnitude=st.floats(min_value=1.0, max_value=4.0e155), sign=st.sampled_from([-1.0, 1.0]))
def test_adam_has_no_intermediate_overflow(magnitude: float, sign: float) -> None:
    # v / (1 - beta2^t) overflowed for |g| from about 1.3e154 to 4.2e155; the first step of Adam
    # moves every parameter by about eta against the sign of its gradient.
    net = f.Network.create(f.NetworkConfig.build([1, 1], [], output="linear", loss="squared_error"))
    net.set_parameters([np.array([[1.0]])], [np.array([0.0])])
    g = sign * magnitude
    f.apply_update(net, [np.array([[g]])], [np.array([g])], f.Optimizer("adam", eta=0.01))
    assert float(net.W[0][0, 0]) == pytest.approx(1.0 - sign * 0.01, rel=1e-9)
    assert np.isfinite(net.optimizer_state["adam.v_W"][0]).all()


def test_adam_counts_its_own_steps_from_one() -> None:
    # Five SGD steps, then Adam: a fresh Adam (m = v = 0, t = 1), not t = 6.
    config = f.NetworkConfig.build([2, 3, 2], "tanh", seed=3)
    X = np.array([[0.5, -1.0], [1.5, 0.25]])
    y = [0, 1]
    switched, fresh = f.Network.create(config), f.Network.create(config)
    for _ in range(5):
        f.train_step(switched, X, y, f.Optimizer("sgd", eta=0.1))
    fresh.set_parameters(switched.W, switched.b)
    adam = f.Optimizer("adam", eta=0.01)
    trace_s = f.backward(switched, X, y)
    update_s = f.apply_update(switched, trace_s.grad_W, trace_s.grad_b, adam)
    trace_f = f.backward(fresh, X, y)
    update_f = f.apply_update(fresh, trace_f.grad_W, trace_f.grad_b, adam)
    assert update_s.t == update_f.t == 1 and switched.step == 6
    for ws, wf in zip(switched.W, fresh.W, strict=True):
        np.testing.assert_array_equal(ws, wf)
    # Switching away drops the state; coming back starts Adam afresh again.
    f.train_step(switched, X, y, f.Optimizer("momentum", eta=0.1))
    assert sorted(switched.optimizer_state) == ["momentum.t", "momentum.u_W", "momentum.u_b"]
    trace = f.backward(switched, X, y)
    assert f.apply_update(switched, trace.grad_W, trace.grad_b, adam).t == 1
    # Hyper-parameters alone do not reset it.
    trace = f.backward(switched, X, y)
    assert f.apply_update(switched, trace.grad_W, trace.grad_b, f.Optimizer("adam", eta=0.002)).t == 2


def test_momentum_with_a_changing_eta_follows_pytorch() -> None:
    # u <- beta u + g; W <- W - eta_t u (torch.optim.SGD, momentum=beta, dampening=0): a new eta
    # scales the whole step at once. With g = 1 throughout, beta = 0.5:
    # t = 1, eta 0.1: u = 1,   W = 1 - 0.1 = 0.9;  t = 2, eta 0.2: u = 1.5, W = 0.9 - 0.3 = 0.6
    net = f.Network.create(f.NetworkConfig.build([1, 1], [], output="linear", loss="squared_error"))
    net.set_parameters([np.array([[1.0]])], [np.array([0.0])])
    for eta in (0.1, 0.2):
        f.apply_update(net, [np.array([[1.0]])], [np.array([1.0])], f.Optimizer("momentum", eta=eta, beta=0.5))
    assert float(net.W[0][0, 0]) == pytest.approx(0.6, rel=1e-15)
    assert float(net.optimizer_state["momentum.u_W"][0][0, 0]) == 1.5


@settings(max_examples=50, deadline=None)
@given(
    p=st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=3, max_size=3),
    off=st.floats(min_value=-9e-10, max_value=9e-10),
)
def test_softmax_cross_entropy_rows_are_renormalised(p: list[float], off: float) -> None:
    # Rows accepted within 1e-9 of summing to 1 are divided by their sum, so the shortcut
    # y_hat - Y is the gradient of the reported loss -sum_j Y_j log y_hat_j, whose gradient is
    # (sum_j Y_j) y_hat - Y in general.
    row = np.array(p) / sum(p) * (1.0 + off)
    targets = f.encode_targets(row[None, :], 3, "cross_entropy", "softmax")
    assert abs(float(targets.Y.sum()) - 1.0) <= 2 * EPS
    pair = f.get_output_loss("softmax", "cross_entropy")
    a = np.array([[0.3, -1.2, 2.0]])
    y_hat = softmax(a)
    exact = targets.Y.sum() * y_hat - targets.Y  # gradient of the loss with the rows as used
    np.testing.assert_allclose(pair.grad_a_L(a, y_hat, targets.Y), exact, rtol=0, atol=4 * EPS)
    with pytest.raises(ValueError, match=r"sum to 1 .*within 1e-09; row 0 sums to 1\.00000000"):
        f.encode_targets((np.array(p) / sum(p) * (1.0 + 3e-9))[None, :], 3, "cross_entropy", "softmax")


def test_huge_labels_are_refused_not_wrapped() -> None:
    for labels in ([2**63, 1], [2**64], [10**30], [-(2**63) - 1], [1e300]):
        with pytest.raises(ValueError, match=r"is out of range: labels must be 0\.\.1"):
            f.encode_targets(np.asarray(labels), 2, "cross_entropy", "softmax")


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_backward_derivative_switches_form_without_a_seam(name: str) -> None:
    # g_prime_given uses the seed's form in h while g' >= H_FORM_FLOOR and the form in a below:
    # both sides of the switch, and a batch mixing them, against mpmath.
    act = f.get_activation(name)
    a = np.linspace(-45.0, 45.0, 9001)
    d = act.g_prime_given(a, act.g(a))
    for x, got in zip(a[::7], d[::7], strict=True):
        exact = _mp_sigmoid(x) * _mp_sigmoid(-x) if name == "sigmoid" else _mp_tanh_prime(x)
        assert close(float(got), exact, rel=G_PRIME_REL), (x, got)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_derivative_is_entry_wise_whatever_the_array(name: str) -> None:
    # mostly saturated, mostly not, single entries: each g'(a) is the same bits in every case
    act = f.get_activation(name)
    rng = np.random.default_rng(5)
    for scale in (0.3, 5.0):
        a = rng.normal(scale=scale, size=(6, 7))
        whole = act.g_prime(a)
        assert act.g_prime_given(a, act.g(a)).tobytes() == whole.tobytes()
        for i, j in np.ndindex(*a.shape):
            assert act.g_prime(a[i : i + 1, j : j + 1])[0, 0] == whole[i, j]
