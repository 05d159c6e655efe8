"""The one gradient alert a pass gets: blown-up numbers are exploding (never vanishing), identical
units are the symmetry problem, an all-off relu layer is dead, and only then the norm ratios."""

from __future__ import annotations

import numpy as np

import ffnn_core as f
from ffnn_core import insight


def _alert(net: f.Network, X: np.ndarray, y: np.ndarray) -> insight.GradientAlert | None:
    with np.errstate(all="ignore"):
        trace = f.backward(net, X, y)
        return insight.gradient_alert(net, insight.layer_diagnostics(trace, net, eta=0.1))


def _data(n_in: int = 2, n_classes: int = 2, N: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(N, n_in)), rng.integers(0, n_classes, size=N)


def test_zero_initialisation_is_symmetry_not_vanishing() -> None:
    net = f.Network.create(f.NetworkConfig.build([2, 8, 8, 2], "tanh", init="zeros", seed=0))
    alert = _alert(net, *_data())
    assert alert is not None and alert.kind == "symmetry" and alert.layer == 1
    assert "not vanishing" in alert.message and "8 units of layer 1" in alert.message


def test_copied_units_with_nonzero_weights_are_symmetry_too() -> None:
    net = f.Network.create(f.NetworkConfig.build([2, 3, 2], "sigmoid", seed=0))
    W2 = np.tile([[2.0], [-1.0]], (1, 3))
    net.set_parameters([np.tile([[0.5, -1.0]], (3, 1)), W2], [np.full(3, 0.1), np.zeros(2)])
    alert = _alert(net, *_data())
    assert alert is not None and alert.kind == "symmetry"
    # one unit different: no longer copies, and nothing else is wrong
    W1 = np.tile([[0.5, -1.0]], (3, 1))
    W1[2, 0] = 0.4
    net.set_parameters([W1, W2], [np.full(3, 0.1), np.zeros(2)])
    assert _alert(net, *_data()) is None


def test_huge_relu_weights_are_exploding_even_when_the_gradients_are_zero() -> None:
    net = f.Network.create(f.NetworkConfig.build([2, 4, 1], "relu", output="linear", loss="squared_error", seed=0))
    W1 = net.W[0].copy()
    W1[0, 0] = 1e64
    net.set_parameters([W1, net.W[1]], [np.full(4, -1e70), net.b[1]])  # all relus off: grad_a_1 = 0
    X, _ = _data()
    alert = _alert(net, X, np.zeros((16, 1)))
    assert alert is not None and alert.kind == "exploding" and alert.layer == 1
    assert "1e+64" in alert.message


def test_a_diverged_network_is_exploding_and_never_vanishing() -> None:
    net = f.Network.create(f.NetworkConfig.build([2, 8, 1], "tanh", output="linear", loss="squared_error", seed=0))
    W1 = net.W[0].copy()
    W1[0, 0] = np.inf
    net.set_parameters([W1, net.W[1] * 1e150], net.b)
    X, _ = _data()
    alert = _alert(net, X, np.zeros((16, 1)))
    assert alert is not None and alert.kind == "exploding"
    assert "non-finite" in alert.message


def test_a_dead_relu_layer_is_named_dead() -> None:
    net = f.Network.create(f.NetworkConfig.build([2, 4, 4, 2], "relu", seed=0))
    net.set_parameters(net.W, [net.b[0], np.full(4, -100.0), net.b[2]])
    alert = _alert(net, *_data())
    assert alert is not None and alert.kind == "dead" and alert.layer == 2


def test_eight_sigmoid_layers_still_vanish_and_a_healthy_tanh_net_gets_no_alert() -> None:
    X, y = _data(N=32)
    sig = f.Network.create(f.NetworkConfig.build([2, *([8] * 8), 2], "sigmoid", seed=3))
    alert = _alert(sig, X, y)
    assert alert is not None and alert.kind == "vanishing" and alert.layer == 1
    assert _alert(f.Network.create(f.NetworkConfig.build([2, 8, 8, 2], "tanh", seed=3)), X, y) is None
