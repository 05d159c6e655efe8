"""Optimisers against their published update equations, on numbers worked out by hand.

Adam (Kingma & Ba 2015, Algorithm 1), with g_t the gradient at step t = 1, 2, ...:
    m_t = beta1 m_{t-1} + (1 - beta1) g_t          v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
    m_hat = m_t / (1 - beta1^t)                     v_hat = v_t / (1 - beta2^t)
    theta_t = theta_{t-1} - eta m_hat / (sqrt(v_hat) + eps)
Momentum:  u_t = beta u_{t-1} + g_t;   theta_t = theta_{t-1} - eta u_t   (PyTorch's SGD momentum)
RMSProp:   v_t = beta v_{t-1} + (1 - beta) g_t^2;   theta_t = theta_{t-1} - eta g_t / (sqrt(v_t) + eps)
L2 (weight decay lambda): the gradient used for W_k is grad_W_k + lambda W_k; biases are not decayed.
"""

from __future__ import annotations

import numpy as np
import pytest
from core_support import batch_loss, build, numeric_gradient

import ffnn_core as f


def _two_steps(
    optimizer: f.Optimizer, W: list[list[float]], b: list[float], grads: list[tuple[list[list[float]], list[float]]]
) -> tuple[f.Network, list[f.Update], list[tuple[np.ndarray, np.ndarray]]]:
    """A 2-input, 1-output network with the given parameters, updated with the given gradients."""
    net = build([len(W[0]), len(W)], [], output="linear", loss="squared_error")
    net.set_parameters([np.array(W)], [np.array(b)])
    updates, params = [], []
    for gW, gb in grads:
        updates.append(f.apply_update(net, [np.array(gW)], [np.array(gb)], optimizer))
        params.append((net.W[0].copy(), net.b[0].copy()))
    return net, updates, params


def test_adam_first_two_steps_match_the_paper() -> None:
    # eta 0.1, beta1 0.9, beta2 0.999, eps 1e-8; W = [1, -2], b = [0.5];
    # g_1 = ([0.2, -0.4], [0.1]), g_2 = ([0.1, 0.3], [-0.2]).
    opt = f.Optimizer("adam", eta=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    net, updates, params = _two_steps(opt, [[1.0, -2.0]], [0.5], [([[0.2, -0.4]], [0.1]), ([[0.1, 0.3]], [-0.2])])
    close = {"rtol": 1e-13, "atol": 0}
    # Step 1. m_1 = 0.1 g_1 = [0.02, -0.04]; v_1 = 0.001 g_1^2 = [4e-5, 1.6e-4]; the bias
    # corrections give m_hat = g_1 and v_hat = g_1^2, so the step is eta g / (|g| + eps):
    #   W: 1 - 0.1 * 0.2 / (0.2 + 1e-8) = 0.900000005,  -2 + 0.1 * 0.4 / (0.4 + 1e-8) = -1.9000000025
    #   b: 0.5 - 0.1 * 0.1 / (0.1 + 1e-8) = 0.40000001
    np.testing.assert_allclose(params[0][0], [[0.900000005, -1.9000000025]], **close)
    np.testing.assert_allclose(params[0][1], [0.40000001], rtol=1e-13)
    # Step 2. m_2 = 0.9 m_1 + 0.1 g_2 = [0.028, -0.006];  v_2 = 0.999 v_1 + 0.001 g_2^2 = [4.996e-5, 2.4984e-4]
    #   m_hat = m_2 / 0.19 = [0.14736842105263158, -0.031578947368421053]
    #   v_hat = v_2 / 0.001999 = [0.024992496248124062, 0.12498249124562281]
    #   W_2 = W_1 - 0.1 m_hat / (sqrt(v_hat) + 1e-8) = [0.80678204701536515, -1.8910675020121356]
    #   b: m_2 = -0.011, v_2 = 4.999e-5, m_hat = -0.057894736842105263, v_hat = 0.025007503751875938,
    #   b_2 = 0.43661036038848911
    np.testing.assert_allclose(net.optimizer_state["adam.m_W"][0], [[0.028, -0.006]], **close)
    np.testing.assert_allclose(net.optimizer_state["adam.v_W"][0], [[4.996e-5, 2.4984e-4]], **close)
    np.testing.assert_allclose(net.optimizer_state["adam.m_b"][0], [-0.011], **close)
    np.testing.assert_allclose(net.optimizer_state["adam.v_b"][0], [4.999e-5], **close)
    np.testing.assert_allclose(params[1][0], [[0.80678204701536515, -1.8910675020121356]], **close)
    np.testing.assert_allclose(params[1][1], [0.43661036038848911], **close)
    assert net.step == 2
    np.testing.assert_allclose(updates[1].delta_W[0], params[1][0] - params[0][0], rtol=1e-13)


def test_momentum_two_steps() -> None:
    # beta 0.9, eta 0.1, W = 1: g = 0.5 -> u = 0.5, W = 0.95; g = 0.25 -> u = 0.45 + 0.25 = 0.7, W = 0.88
    opt = f.Optimizer("momentum", eta=0.1, beta=0.9)
    net, updates, params = _two_steps(opt, [[1.0]], [0.0], [([[0.5]], [1.0]), ([[0.25]], [-1.0])])
    assert params[0][0][0, 0] == pytest.approx(0.95, rel=1e-15)
    assert params[1][0][0, 0] == pytest.approx(0.88, rel=1e-15)
    assert net.optimizer_state["momentum.u_W"][0][0, 0] == pytest.approx(0.7, rel=1e-15)
    # b: g = 1 -> u = 1, b = -0.1; g = -1 -> u = 0.9 - 1 = -0.1, b = -0.1 + 0.01 = -0.09
    assert params[0][1][0] == pytest.approx(-0.1, rel=1e-15)
    assert params[1][1][0] == pytest.approx(-0.09, rel=1e-14)
    assert updates[1].delta_W[0][0, 0] == pytest.approx(-0.07, rel=1e-15)


def test_rmsprop_two_steps() -> None:
    # beta 0.9, eta 0.01, eps 1e-8, W = 1:
    #   g = 0.5:  v = 0.1 * 0.25 = 0.025;            W = 1 - 0.01 * 0.5 / (sqrt(0.025) + 1e-8) = 0.96837722539831608
    #   g = 0.25: v = 0.0225 + 0.1 * 0.0625 = 0.02875; W -= 0.01 * 0.25 / (sqrt(0.02875) + 1e-8) -> 0.95363303065239153
    opt = f.Optimizer("rmsprop", eta=0.01, beta=0.9, eps=1e-8)
    net, _, params = _two_steps(opt, [[1.0]], [0.0], [([[0.5]], [0.0]), ([[0.25]], [0.0])])
    assert params[0][0][0, 0] == pytest.approx(0.96837722539831608, rel=1e-14)
    assert params[1][0][0, 0] == pytest.approx(0.95363303065239153, rel=1e-14)
    assert net.optimizer_state["rmsprop.v_W"][0][0, 0] == pytest.approx(0.02875, rel=1e-14)
    assert params[1][1][0] == 0.0  # a zero gradient does not move the bias (0 / (0 + eps))


def test_sgd_is_theta_minus_eta_grad() -> None:
    net, updates, params = _two_steps(f.Optimizer("sgd", eta=0.25), [[1.0, 2.0]], [3.0], [([[4.0, -8.0]], [2.0])])
    np.testing.assert_array_equal(params[0][0], [[0.0, 4.0]])
    np.testing.assert_array_equal(params[0][1], [2.5])
    assert net.optimizer_state == {"sgd.t": [np.array([1.0])]}  # no state: only its count of updates
    np.testing.assert_array_equal(updates[0].g_W[0], [[4.0, -8.0]])


def test_l2_adds_lambda_W_to_grad_W_only() -> None:
    net = build([3, 4, 2], "tanh", seed=0)
    net.set_parameters(net.W, [np.full(b.shape, 0.7) for b in net.b])
    X = np.random.default_rng(0).normal(size=(5, 3))
    y = np.array([0, 1, 1, 0, 1])
    trace = f.backward(net, X, y)
    W0 = [w.copy() for w in net.W]
    b0 = [v.copy() for v in net.b]
    lam, eta = 0.1, 0.5
    update = f.apply_update(net, trace.grad_W, trace.grad_b, f.Optimizer("sgd", eta=eta, l2=lam))
    for k in range(2):
        np.testing.assert_array_equal(update.g_W[k], trace.grad_W[k] + lam * W0[k])
        np.testing.assert_array_equal(update.g_b[k], trace.grad_b[k])  # no decay on b
        np.testing.assert_array_equal(net.W[k], W0[k] + (-eta * (trace.grad_W[k] + lam * W0[k])))
        np.testing.assert_array_equal(net.b[k], b0[k] + (-eta * trace.grad_b[k]))
    # g_W is the gradient of L + (lambda / 2) sum_k ||W_k||^2
    probe = build([3, 4, 2], "tanh", seed=0)
    probe.set_parameters(W0, b0)
    Y = trace.targets.Y

    def objective() -> float:
        return batch_loss(probe, X, Y) + lam / 2 * sum(float((w * w).sum()) for w in probe.W)

    for k in range(2):
        np.testing.assert_allclose(numeric_gradient(objective, probe.W[k]), update.g_W[k], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", f.OPTIMIZERS)
def test_state_is_per_parameter_and_counted_in_steps(name: str) -> None:
    net = build([2, 3, 2], "tanh", seed=0)
    X = np.random.default_rng(0).normal(size=(4, 2))
    for t in range(1, 4):
        f.train_step(net, X, [0, 1, 1, 0], f.Optimizer(name, eta=0.01))
        assert net.step == t
    expected = {"sgd": [], "momentum": ["u"], "rmsprop": ["v"], "adam": ["m", "v"]}[name]
    counter = net.optimizer_state.pop(f"{name}.t")
    assert counter == [np.array([3.0])]
    assert sorted(net.optimizer_state) == sorted(f"{name}.{s}_{p}" for s in expected for p in ("W", "b"))
    for key, arrays in net.optimizer_state.items():
        params = net.W if key.endswith("W") else net.b
        assert [x.shape for x in arrays] == [p.shape for p in params]


def test_optimizer_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown optimizer 'nesterov'; allowed: sgd, momentum, rmsprop, adam"):
        f.Optimizer("nesterov")
    for field, value in [("eta", -0.1), ("eta", float("nan")), ("l2", -1.0), ("eps", float("inf"))]:
        with pytest.raises(ValueError, match=f"{field} must be a finite number >= 0"):
            f.Optimizer("sgd", **{field: value})
    for field in ("beta", "beta1", "beta2"):
        with pytest.raises(ValueError, match=f"{field} must be below 1"):
            f.Optimizer("adam", **{field: 1.0})
