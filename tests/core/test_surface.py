"""Decision surface: y_hat on a grid, (res, res, n_L), row i <-> x2[i], column j <-> x1[j]."""

from __future__ import annotations

import numpy as np
import pytest
from core_support import build

import ffnn_core as f


def test_surface_equals_forward_on_the_same_points() -> None:
    net = build([2, 5, 3], "tanh", seed=3)
    res = 7
    s = f.decision_surface(net, (-2.0, 1.0), (0.5, 3.0), resolution=res)
    assert s.y_hat.shape == (res, res, 3)
    np.testing.assert_array_equal(s.x1, np.linspace(-2.0, 1.0, res))
    assert s.x2 is not None
    np.testing.assert_array_equal(s.x2, np.linspace(0.5, 3.0, res))
    # the grid in the documented order: row i holds x2[i], column j holds x1[j]
    grid = np.array([[s.x1[j], s.x2[i]] for i in range(res) for j in range(res)])
    assert s.y_hat.tobytes() == f.forward(net, grid).y_hat.reshape(res, res, 3).tobytes()
    for i, j in [(0, 0), (0, res - 1), (res - 1, 0), (2, 5)]:
        point = f.forward(net, [s.x1[j], s.x2[i]]).y_hat[0]
        np.testing.assert_allclose(s.y_hat[i, j], point, rtol=1e-12)


def test_rows_follow_x2_and_columns_follow_x1() -> None:
    net = build([2, 1], [], output="linear", loss="squared_error")
    net.set_parameters([np.array([[1.0, 0.0]])], [np.zeros(1)])  # y_hat = x1
    s = f.decision_surface(net, (0.0, 4.0), (-1.0, 1.0), resolution=5)
    np.testing.assert_array_equal(s.y_hat[..., 0], np.tile(s.x1, (5, 1)))
    net.set_parameters([np.array([[0.0, 1.0]])], [np.zeros(1)])  # y_hat = x2
    s = f.decision_surface(net, (0.0, 4.0), (-1.0, 1.0), resolution=5)
    assert s.x2 is not None
    np.testing.assert_array_equal(s.y_hat[..., 0], np.tile(s.x2[:, None], (1, 5)))


def test_one_input_gives_a_curve() -> None:
    net = build([1, 4, 2], "relu", seed=0)
    s = f.decision_surface(net, (-1.0, 1.0), resolution=9)
    assert s.x2 is None and s.y_hat.shape == (9, 2)
    assert s.y_hat.tobytes() == f.forward(net, s.x1[:, None]).y_hat.tobytes()


def test_surface_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="resolution must be at least 2, got 1"):
        f.decision_surface(build([2, 2], []), (0, 1), (0, 1), resolution=1)
    with pytest.raises(ValueError, match="needs a network with 1 or 2 inputs, this one has 3"):
        f.decision_surface(build([3, 2], []), (0, 1), (0, 1))
    with pytest.raises(ValueError, match="needs a network with 1 or 2 inputs"):
        f.decision_surface(build([2, 2], []), (0, 1))  # two inputs need an x2 range
