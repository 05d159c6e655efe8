"""Insight quantities: blame terms, per-example shares, diagnostics, learning-rate what-if."""

from __future__ import annotations

import numpy as np
import pytest

import ffnn_core as f
from ffnn_core import insight


def _net_and_trace(activation: str = "tanh", sizes: tuple[int, ...] = (2, 3, 3, 2), N: int = 6):
    net = f.Network.create(f.NetworkConfig.build(list(sizes), activation, seed=3))
    rng = np.random.default_rng(1)
    X = rng.normal(size=(N, sizes[0]))
    y = rng.integers(0, sizes[-1], size=N)
    return net, X, y, f.backward(net, X, y)


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_blame_terms_sum_to_grad_h_and_are_sorted(layer: int) -> None:
    net, _, _, trace = _net_and_trace()
    for j in range(net.config.sizes[layer]):
        b = insight.blame(trace, net, layer, j, example=4)
        assert sum(t.term for t in b.terms) == pytest.approx(trace.grad_h[layer][4, j], abs=1e-15)
        mags = [abs(t.term) for t in b.terms]
        assert mags == sorted(mags, reverse=True)
        for t in b.terms:
            assert t.weight == net.W[layer][t.i, j]
            assert t.grad_a == trace.grad_a[layer][4, t.i]


def test_blame_refuses_bad_indices() -> None:
    net, _, _, trace = _net_and_trace()
    with pytest.raises(ValueError, match=r"layer must be 0\.\.2"):
        insight.blame(trace, net, 3, 0)
    with pytest.raises(ValueError, match=r"unit j must be 0\.\.2"):
        insight.blame(trace, net, 1, 3)
    with pytest.raises(ValueError, match=r"example must be 0\.\.5"):
        insight.blame(trace, net, 1, 0, example=6)


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_per_example_shares_average_to_grad_W(layer: int) -> None:
    _, _, _, trace = _net_and_trace()
    c = insight.example_contributions(trace, layer)
    np.testing.assert_allclose(c.per_example_grad_W.mean(axis=0), trace.grad_W[layer - 1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(c.per_example_grad_b.mean(axis=0), trace.grad_b[layer - 1], rtol=1e-12, atol=1e-15)
    assert list(c.norms[c.ranking]) == sorted(c.norms, reverse=True)


def test_what_if_at_current_rate_equals_the_real_next_loss() -> None:
    net, X, y, trace = _net_and_trace()
    eta = 0.7
    curve = insight.learning_rate_what_if(net, trace, [0.0, eta, 2.0])
    assert curve[0] == pytest.approx(trace.loss, rel=1e-14)
    stepped = net.copy()
    f.apply_update(stepped, trace.grad_W, trace.grad_b, f.Optimizer(name="sgd", eta=eta))
    assert curve[1] == pytest.approx(f.backward(stepped, X, y).loss, rel=1e-14)
    # the network itself is untouched
    np.testing.assert_array_equal(net.W[0], f.Network.create(net.config).W[0])


def test_eight_sigmoid_layers_vanish_and_relu_does_not_die_everywhere() -> None:
    sizes = (2, *([8] * 8), 2)
    net_sig, _, _, tr_sig = _net_and_trace("sigmoid", sizes, N=32)
    d_sig = insight.layer_diagnostics(tr_sig, net_sig, eta=0.1)
    assert d_sig[0].grad_a_norm < 1e-3 * d_sig[-1].grad_a_norm
    assert all(d.ratio_to_above is not None and d.ratio_to_above < 1 for d in d_sig[:-1])
    net_tanh, _, _, tr_tanh = _net_and_trace("tanh", sizes, N=32)
    d_tanh = insight.layer_diagnostics(tr_tanh, net_tanh, eta=0.1)
    assert d_tanh[0].grad_a_norm / d_tanh[-1].grad_a_norm > 100 * d_sig[0].grad_a_norm / d_sig[-1].grad_a_norm


def test_saturation_and_dead_units_are_counted() -> None:
    net = f.Network.create(f.NetworkConfig.build([1, 2, 1], "sigmoid", output="linear", loss="squared_error"))
    net.set_parameters([np.array([[100.0], [0.0]]), np.array([[1.0, 1.0]])], [np.zeros(2), np.zeros(1)])
    trace = f.backward(net, np.array([[1.0], [2.0]]), np.zeros((2, 1)))
    assert insight.layer_diagnostics(trace, net, 0.1)[0].saturated_share == 0.5
    relu = f.Network.create(f.NetworkConfig.build([1, 2, 1], "relu", output="linear", loss="squared_error"))
    relu.set_parameters([np.array([[-1.0], [1.0]]), np.array([[1.0, 1.0]])], [np.zeros(2), np.zeros(1)])
    trace = f.backward(relu, np.array([[1.0], [2.0]]), np.zeros((2, 1)))
    assert insight.layer_diagnostics(trace, relu, 0.1)[0].dead_share == 0.5
