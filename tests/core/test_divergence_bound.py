"""The bound that lets ``train`` skip summing a_k, W_k and b_k while plain SGD keeps them small.

Skipping those sums is only right if the bound really bounds: checked here step by step, on every
activation, with L2 and with steps large enough for the parameters to grow by orders of magnitude.
"""

from __future__ import annotations

import numpy as np
import pytest

import ffnn_core as f
from ffnn_core.divergence import FINITE_LIMIT, SgdBound, max_abs
from ffnn_core.propagation import gradients
from ffnn_core.training import _norm


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "linear"])
@pytest.mark.parametrize(("eta", "l2"), [(0.1, 0.0), (30.0, 0.0), (3.0, 0.5)])
def test_the_bound_holds_at_every_step(activation: str, eta: float, l2: float) -> None:
    config = f.NetworkConfig.build([3, 6, 5, 4], activation, output="softmax", loss="cross_entropy", seed=4)
    net = f.Network.create(config)
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3)) * 5
    Y = f.encode_targets(rng.integers(0, 4, size=40), 4, "cross_entropy").Y
    opt = f.Optimizer("sgd", eta=eta, l2=l2)
    bound = SgdBound.start(net, X)
    start = bound.p_max
    assert bound.p_max == max_abs([*net.W, *net.b]) and bound.x_max == float(np.abs(X).max())
    grew = False
    with np.errstate(all="ignore"):
        for step in range(60):
            idx = rng.permutation(40)[:8]
            trace = gradients(net, X[idx], Y[idx])
            f.training.update_parameters(net, trace.grad_W, trace.grad_b, opt)
            W_norms = [_norm(g) for g in trace.grad_W]
            a_norms = [_norm(g) / np.sqrt(8) for g in trace.grad_a]
            a_before = bound.a_bound(net)  # computed with the parameters the step's forward pass used
            if not bound.after_step(net, opt, W_norms, a_norms):
                assert not bound.a_bound(net) < FINITE_LIMIT
                break  # the bound claims nothing more: ``train`` sums the arrays again
            assert bound.a_bound(net) < FINITE_LIMIT  # the answer of a_bound itself, not only of the cached P
            assert max_abs(trace.forward.a) <= a_before, step
            assert max_abs([*net.W, *net.b]) <= bound.p_max, step
            grew = grew or bound.p_max > 100 * start
    assert grew or eta == 0.1  # the large steps did move the parameters far


def test_a_non_finite_start_is_never_bounded() -> None:
    net = f.Network.create(f.NetworkConfig.build([2, 3, 2], "relu", seed=0))
    X = np.array([[0.0, np.nan], [1.0, 2.0]])
    bound = SgdBound.start(net, X)
    assert bound.x_max == np.inf
    assert not bound.after_step(net, f.Optimizer("sgd", eta=0.1), [1.0, 1.0], [1.0, 1.0])
    net.W[0][0, 0] = np.inf
    assert SgdBound.start(net, np.zeros((1, 2))).p_max == np.inf


def test_max_abs_is_the_largest_magnitude_over_all_the_arrays() -> None:
    W = [np.array([[0.5, -7.25], [3.0, 1.0]]), np.array([[2.0]])]
    b = [np.array([-1.0, 6.5]), np.zeros(0)]
    assert max_abs([*W, *b]) == 7.25  # a negative entry's magnitude, in the first array of several
    assert max_abs([b[1]]) == 0.0  # nothing to bound
    assert max_abs([*W, np.array([1.0, np.nan])]) == np.inf  # a NaN is never bounded
    assert max_abs([np.array([-np.inf])]) == np.inf
