"""Bad input is refused with a ValueError that says what is allowed."""

from __future__ import annotations

import numpy as np
import pytest
from core_support import build, snapshot

import ffnn_core as f
from ffnn_core.losses import valid_pairs_text

VALID_PAIRS_TEXT = (
    "softmax + cross_entropy, sigmoid + cross_entropy, softmax + squared_error, "
    "sigmoid + squared_error, linear + squared_error"
)


# --- names and pairs ----------------------------------------------------------------------------


def test_invalid_pair_lists_every_valid_pair() -> None:
    assert valid_pairs_text() == VALID_PAIRS_TEXT
    message = (
        f"the output function 'linear' cannot be paired with the loss 'cross_entropy'; valid pairs: {VALID_PAIRS_TEXT}"
    )
    with pytest.raises(ValueError) as exc:
        f.get_output_loss("linear", "cross_entropy")
    assert str(exc.value) == message
    with pytest.raises(ValueError) as exc:
        f.NetworkConfig.build([2, 3, 2], "tanh", output="linear", loss="cross_entropy")
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"activation": "swish"}, "unknown activation 'swish'; allowed: sigmoid, tanh, linear, relu, leaky_relu"),
        (
            {"init": "glorot"},
            "unknown init 'glorot'; allowed: xavier_uniform, xavier_normal, he, uniform, normal, zeros",
        ),
        ({"output": "tanh"}, "unknown output function 'tanh'; allowed: softmax, linear, sigmoid"),
        ({"loss": "hinge"}, "unknown loss 'hinge'; allowed: cross_entropy, squared_error"),
    ],
)
def test_unknown_names_list_the_allowed_ones(kwargs: dict[str, str], message: str) -> None:
    activation = kwargs.pop("activation", "tanh")
    with pytest.raises(ValueError) as exc:
        f.NetworkConfig.build([2, 3, 2], activation, **kwargs)
    assert str(exc.value) == message


def test_lookup_functions_list_the_allowed_names() -> None:
    with pytest.raises(ValueError, match="allowed: sigmoid, tanh, linear, relu, leaky_relu"):
        f.get_activation("gelu")
    with pytest.raises(ValueError, match="allowed: softmax, linear, sigmoid"):
        f.get_output("relu")
    with pytest.raises(ValueError, match="allowed: cross_entropy, squared_error"):
        f.get_output_loss("softmax", "mse")


@pytest.mark.parametrize(
    ("sizes", "activations", "message"),
    [
        ((2,), (), r"sizes needs at least an input and an output width, got \[2\]"),
        ((2, 0, 2), ("tanh",), r"every layer width must be an integer >= 1, got \[2, 0, 2\]"),
        ((2, 3, 2), (), r"1 hidden layer\(s\) need 1 activation\(s\), got 0"),
        ((2, 3, 2), ("tanh", "tanh"), r"1 hidden layer\(s\) need 1 activation\(s\), got 2"),
    ],
)
def test_config_shapes_are_checked(sizes: tuple[int, ...], activations: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        f.NetworkConfig(sizes=sizes, activations=activations)


def test_init_scale_is_checked() -> None:
    for scale in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="init_scale must be a finite number >= 0"):
            f.NetworkConfig.build([2, 2], [], init_scale=scale)


def test_softmax_needs_two_outputs() -> None:
    # one softmax output is always 1: nothing to learn, and -(e(y) - y_hat) is not its gradient
    with pytest.raises(ValueError, match=r"the softmax output needs n_L >= 2 outputs.*use sigmoid for one output"):
        f.NetworkConfig.build([2, 3, 1], "tanh", output="softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match="the softmax output needs n_L >= 2"):
        f.NetworkConfig.build([2, 1], [], output="softmax", loss="squared_error")
    f.NetworkConfig.build([2, 3, 1], "tanh", output="sigmoid", loss="cross_entropy")  # fine


# --- shapes of inputs, parameters and targets ---------------------------------------------------


def test_input_width_is_checked_everywhere() -> None:
    net = build([3, 4, 2], "tanh", seed=0)
    X = np.ones((5, 2))
    y = np.zeros(5, dtype=int)
    message = r"x must have n_0 = 3 input\(s\) per example, got an array of shape \(5, 2\)"
    for call in (
        lambda: f.forward(net, X),
        lambda: f.backward(net, X, y),
        lambda: f.train_step(net, X, y, f.Optimizer()),
        lambda: f.gradient_check(net, X, y),
        lambda: f.train(net, X, y, epochs=1, batch_size=2, optimizer=f.Optimizer()),
    ):
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match=r"got an array of shape \(2, 2, 3\)"):
        f.forward(net, np.ones((2, 2, 3)))
    with pytest.raises(ValueError, match=r"got an array of shape \(\)"):
        f.forward(net, 1.0)
    assert net.step == 0


def test_parameter_shapes_are_checked_and_nothing_changes_on_error() -> None:
    net = build([3, 4, 2], "tanh", seed=0)
    before = snapshot(net)
    W, b = [w.copy() for w in net.W], [v.copy() for v in net.b]
    with pytest.raises(ValueError, match=r"W_2 must have shape \(2, 4\) \(n_2, n_1\), got \(4, 2\)"):
        net.set_parameters([W[0], W[1].T], b)
    with pytest.raises(ValueError, match=r"b_1 must have shape \(4,\) \(n_1,\), got \(3,\)"):
        net.set_parameters(W, [np.zeros(3), b[1]])
    with pytest.raises(ValueError, match="needs 2 weight matrices and 2 bias vectors, got 1 and 2"):
        net.set_parameters(W[:1], b)
    assert snapshot(net) == before
    net.set_parameters([w.astype(np.float32) for w in W], b)  # accepted, stored as float64 copies
    assert net.W[0].dtype == np.float64 and net.W[0] is not W[0]


def test_target_counts_and_labels_are_checked() -> None:
    net = build([2, 3, 3], "tanh", seed=0)
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match=r"got 4 example\(s\) but 3 target\(s\)"):
        f.backward(net, X, [0, 1, 2])
    with pytest.raises(ValueError, match=r"got 4 example\(s\) but 5 target\(s\)"):
        f.train_step(net, X, [0, 1, 2, 0, 1], f.Optimizer())
    with pytest.raises(
        ValueError, match=r"class label 3 is out of range: labels must be 0\.\.2 for a network with 3 output"
    ):
        f.backward(net, X, [0, 1, 3, 0])
    with pytest.raises(ValueError, match=r"class label -1 is out of range"):
        f.backward(net, X, [0, -1, 2, 0])
    with pytest.raises(ValueError, match="class labels must be whole numbers"):
        f.backward(net, X, [0.0, 1.5, 2.0, 0.0])
    with pytest.raises(ValueError, match="class labels must be whole numbers"):
        f.backward(net, X, [0.0, np.nan, 2.0, 0.0])
    f.backward(net, X, [0.0, 1.0, 2.0, True])  # whole floats and bools are labels
    with pytest.raises(ValueError, match=r"target rows must have 3 column\(s\) \(n_L\), got 2"):
        f.backward(net, X, np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"targets must be labels \(N,\) or rows \(N, 3\)"):
        f.backward(net, X, np.zeros((4, 3, 1)))
    with pytest.raises(ValueError, match="backward needs at least one example"):
        f.backward(net, np.zeros((0, 2)), np.zeros(0, dtype=int))
    assert net.step == 0


def test_binary_labels_with_one_output() -> None:
    net = build([2, 3, 1], "tanh", output="sigmoid", seed=0)
    trace = f.backward(net, np.ones((3, 2)), [0, 1, 1])
    np.testing.assert_array_equal(trace.targets.Y, [[0.0], [1.0], [1.0]])
    with pytest.raises(ValueError, match=r"labels must be 0\.\.1 for a network with 1 output"):
        f.backward(net, np.ones((3, 2)), [0, 2, 1])


def test_target_rows_are_checked_for_the_loss() -> None:
    X = np.ones((2, 2))
    softmax_ce = build([2, 2], [], output="softmax", loss="cross_entropy")
    sigmoid_ce = build([2, 2], [], output="sigmoid", loss="cross_entropy")
    squared = build([2, 2], [], output="linear", loss="squared_error")
    with pytest.raises(ValueError, match=r"cross-entropy targets must lie in \[0, 1\]"):
        f.backward(sigmoid_ce, X, [[0.5, 1.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="softmax \\+ cross-entropy targets must be rows that sum to 1"):
        f.backward(softmax_ce, X, [[0.5, 0.4], [0.0, 1.0]])
    with pytest.raises(ValueError, match="softmax \\+ cross-entropy targets must be rows that sum to 1"):
        f.train(softmax_ce, X, [[1.0, 1.0], [0.0, 1.0]], epochs=1, batch_size=2, optimizer=f.Optimizer())
    f.backward(softmax_ce, X, [[0.25, 0.75], [0.1 + 0.2, 0.7]])  # probability rows
    f.backward(sigmoid_ce, X, [[1.0, 1.0], [0.3, 0.0]])  # independent binary targets need not sum to 1
    with pytest.raises(ValueError, match="targets must be finite numbers"):
        f.backward(squared, X, [[np.inf, 0.0], [0.0, 1.0]])
    f.backward(squared, X, [[-7.0, 3.5], [1e6, 0.0]])
    assert f.encode_targets([[1.0, 0.0]], 2, "cross_entropy").labels.tolist() == [0]  # one-hot rows keep labels
    assert f.encode_targets([[0.5, 0.5]], 2, "cross_entropy").labels is None
