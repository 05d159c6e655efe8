"""Extreme values: logits of +-1000 (and hidden pre-activations of +-1000) give finite losses
and gradients, with no floating-point warning. Every test here turns warnings into errors
itself, so it holds without pytest's -W error too."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pytest
from core_support import build

import ffnn_core as f
from ffnn_core.numerics import all_finite, log_sigmoid, log_softmax, sigmoid, softmax


@pytest.fixture(autouse=True)
def _warnings_are_errors() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _finite(trace: f.BackwardTrace) -> bool:
    arrays = [*trace.forward.a, *trace.forward.h, *trace.grad_a, *trace.grad_h, *trace.grad_W, *trace.grad_b]
    return all(all_finite(x) for x in arrays) and all_finite(trace.losses) and np.isfinite(trace.loss)


def test_building_blocks_at_plus_minus_1000() -> None:
    a = np.array([[1000.0, 0.0, -1000.0]])
    np.testing.assert_array_equal(sigmoid(a), [[1.0, 0.5, 0.0]])
    np.testing.assert_array_equal(log_sigmoid(a), [[-0.0, -np.log(2.0), -1000.0]])
    np.testing.assert_array_equal(softmax(a), [[1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(log_softmax(a), [[0.0, -1000.0, -2000.0]])
    np.testing.assert_array_equal(f.get_activation("tanh").g(a), [[1.0, 0.0, -1.0]])
    for act in f.ACTIVATIONS.values():
        assert all_finite(act.g(a)) and all_finite(act.g_prime(a))
    assert not all_finite(np.array([1.0, np.inf])) and not all_finite(np.array([np.nan]))


# (x rows, W_1, b_1) of a [2, 2] network whose logits a_L = x W_1^T + b_1 are +-1000
EXTREME = [
    (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1000.0, -1000.0], [-1000.0, 1000.0]]), np.zeros(2)),
    (np.zeros((2, 2)), np.zeros((2, 2)), np.array([1000.0, -1000.0])),
    (np.zeros((2, 2)), np.zeros((2, 2)), np.array([1000.0, 1000.0])),
    (np.zeros((2, 2)), np.zeros((2, 2)), np.array([-1000.0, -1000.0])),
]


@pytest.mark.parametrize(("output", "loss"), f.VALID_PAIRS)
def test_plus_minus_1000_logits_give_finite_loss_and_gradients(output: str, loss: str) -> None:
    net = build([2, 2], [], output=output, loss=loss)
    for X, W, bias in EXTREME:
        net.set_parameters([W], [bias])
        assert np.abs(f.forward(net, X).a[-1]).min() == 1000.0
        for y in ([0, 1], [1, 0], [[1.0, 0.0], [0.0, 1.0]]):
            trace = f.backward(net, X, y)
            assert _finite(trace), (X, bias, y)
            assert f.first_non_finite_backward(trace) is None


def test_softmax_cross_entropy_values_at_1000() -> None:
    pair = f.get_output_loss("softmax", "cross_entropy")
    a = np.array([[1000.0, -1000.0], [1000.0, -1000.0]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    y_hat = pair.output.O(a)
    np.testing.assert_array_equal(pair.per_example_loss(a, y_hat, Y), [0.0, 2000.0])  # right: 0; wrong: 2000
    np.testing.assert_array_equal(pair.grad_a_L(a, y_hat, Y), [[0.0, 0.0], [1.0, -1.0]])


def test_sigmoid_cross_entropy_values_at_1000() -> None:
    pair = f.get_output_loss("sigmoid", "cross_entropy")
    a = np.array([[1000.0], [-1000.0], [1000.0], [-1000.0]])
    Y = np.array([[1.0], [0.0], [0.0], [1.0]])
    y_hat = pair.output.O(a)
    np.testing.assert_array_equal(pair.per_example_loss(a, y_hat, Y), [0.0, 0.0, 1000.0, 1000.0])
    np.testing.assert_array_equal(pair.grad_a_L(a, y_hat, Y), [[0.0], [0.0], [1.0], [-1.0]])


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
@pytest.mark.parametrize(("output", "loss"), f.VALID_PAIRS)
def test_saturated_hidden_layers_stay_finite(hidden: str, output: str, loss: str) -> None:
    # Hidden pre-activations of +-1000: g saturates, g' is exactly 0, nothing overflows.
    net = build([2, 3, 3, 2], hidden, output=output, loss=loss, seed=0)
    W = [w.copy() for w in net.W]
    W[0] = np.array([[1000.0, 0.0], [-1000.0, 0.0], [0.0, 1000.0]])
    net.set_parameters(W, net.b)
    X = np.array([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])
    trace = f.backward(net, X, [0, 1, 1])
    assert np.abs(trace.forward.a[0]).max() == 1000.0
    assert _finite(trace)
    np.testing.assert_array_equal(trace.grad_a[0], 0.0)  # saturated: no gradient gets through
    result = f.train(net, X, [0, 1, 1], epochs=3, batch_size=2, optimizer=f.Optimizer("adam", eta=0.1))
    assert result.diverged is None


def test_extreme_logits_through_training_and_evaluation() -> None:
    net = build([2, 2], [], output="softmax", loss="cross_entropy")
    net.set_parameters([np.array([[1000.0, 0.0], [0.0, -1000.0]])], [np.zeros(2)])
    X = np.array([[1.0, 1.0], [-1.0, -1.0]])
    ev = f.evaluate(net, X, f.encode_targets([1, 1], 2, "cross_entropy"))
    assert ev.loss == 1000.0 and ev.accuracy == 0.5  # losses 2000 (wrong) and 0 (right)
    result = f.train(net, X, [1, 1], epochs=2, batch_size=2, optimizer=f.Optimizer("sgd", eta=0.1))
    assert result.diverged is None
    assert all(np.isfinite(r.train_loss) for r in result.history)
