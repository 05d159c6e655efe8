"""Forward and backward propagation: documented shapes, no hidden state, and agreement with
the seed's pseudocode written out naively for one example.

Shapes (N examples, layer widths n_0..n_L), as documented in ``ffnn_core.propagation``:
    ForwardTrace   a[k-1] = a_k      (N, n_k)        k = 1..L
                   h[k]   = h_k      (N, n_k)        k = 0..L   (h_0 = x, h_L = y_hat)
    BackwardTrace  grad_a[k-1]       (N, n_k)        k = 1..L
                   grad_h[k]         (N, n_k)        k = 0..L-1
                   grad_W[k-1]       (n_k, n_{k-1})  k = 1..L
                   grad_b[k-1]       (n_k,)          k = 1..L
                   losses (N,), loss a float (their mean)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from core_support import build, random_targets, snapshot

import ffnn_core as f

# --- the seed's pseudocode for ONE example, with explicit loops (an independent reference) ------


def _g(name: str, z: float) -> float:
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z))
    if name == "tanh":
        return math.tanh(z)
    if name == "linear":
        return z
    if name == "relu":
        return z if z > 0 else 0.0
    assert name == "leaky_relu"
    return z if z > 0 else 0.01 * z


def _g_prime(name: str, z: float) -> float:
    if name == "sigmoid":
        s = _g("sigmoid", z)
        return s * (1 - s)
    if name == "tanh":
        return 1 - math.tanh(z) ** 2
    if name == "linear":
        return 1.0
    if name == "relu":
        return 1.0 if z > 0 else 0.0
    return 1.0 if z > 0 else 0.01


def _O(name: str, a: list[float]) -> list[float]:
    if name == "softmax":
        m = max(a)
        e = [math.exp(v - m) for v in a]
        s = sum(e)
        return [v / s for v in e]
    if name == "sigmoid":
        return [_g("sigmoid", v) for v in a]
    return list(a)


def naive_example(
    W: list[list[list[float]]],
    b: list[list[float]],
    activations: list[str],
    output: str,
    loss: str,
    x: list[float],
    y: list[float],
) -> dict[str, object]:
    """Forward, loss and backward for one example, unit by unit, as in the lecture notes."""
    L = len(W)
    # Forward propagation: for k = 1..L-1: a_k = b_k + W_k h_{k-1}; h_k = g(a_k). Then a_L, y_hat = O(a_L).
    h: list[list[float]] = [list(x)]
    a: list[list[float]] = []
    for k in range(1, L + 1):
        Wk, bk, prev = W[k - 1], b[k - 1], h[k - 1]
        a_k = [bk[i] + sum(Wk[i][j] * prev[j] for j in range(len(prev))) for i in range(len(bk))]
        a.append(a_k)
        h.append(_O(output, a_k) if k == L else [_g(activations[k - 1], v) for v in a_k])
    y_hat = h[L]
    K = len(y_hat)
    if loss == "squared_error":
        l = sum((y_hat[j] - y[j]) ** 2 for j in range(K))  # noqa: E741
    elif output == "softmax":
        l = -sum(y[j] * math.log(y_hat[j]) for j in range(K) if y[j] != 0)  # noqa: E741
    else:
        l = -sum(y[j] * math.log(y_hat[j]) + (1 - y[j]) * math.log(1 - y_hat[j]) for j in range(K))  # noqa: E741
    # Output gradient: the seed's grad_a_L = -(e(y) - y_hat) for cross-entropy, else the chain rule.
    if loss == "cross_entropy":
        grad_a_L = [-(y[j] - y_hat[j]) for j in range(K)]
    else:
        grad_y_hat = [2 * (y_hat[j] - y[j]) for j in range(K)]
        if output == "softmax":  # J[j][i] = y_hat_j (1[i = j] - y_hat_i)
            grad_a_L = [sum(grad_y_hat[j] * y_hat[j] * ((i == j) - y_hat[i]) for j in range(K)) for i in range(K)]
        elif output == "sigmoid":
            grad_a_L = [grad_y_hat[i] * y_hat[i] * (1 - y_hat[i]) for i in range(K)]
        else:
            grad_a_L = grad_y_hat
    grad_a: list[list[float]] = [[] for _ in range(L)]
    grad_h: list[list[float]] = [[] for _ in range(L)]
    grad_W: list[list[list[float]]] = [[] for _ in range(L)]
    grad_b: list[list[float]] = [[] for _ in range(L)]
    grad_a[L - 1] = grad_a_L
    for k in range(L, 0, -1):
        ga, Wk, prev = grad_a[k - 1], W[k - 1], h[k - 1]
        grad_W[k - 1] = [[ga[i] * prev[j] for j in range(len(prev))] for i in range(len(ga))]  # grad_a_k h_{k-1}^T
        grad_b[k - 1] = list(ga)  # grad_b_k = grad_a_k
        grad_h[k - 1] = [sum(Wk[i][j] * ga[i] for i in range(len(ga))) for j in range(len(prev))]  # W_k^T grad_a_k
        if k > 1:  # grad_a_{k-1} = grad_h_{k-1} (.) g'(a_{k-1})
            grad_a[k - 2] = [grad_h[k - 1][j] * _g_prime(activations[k - 2], a[k - 2][j]) for j in range(len(prev))]
    return {"a": a, "h": h, "loss": l, "grad_a": grad_a, "grad_h": grad_h, "grad_W": grad_W, "grad_b": grad_b}


CLOSE = {"rtol": 1e-11, "atol": 1e-14}


def _setup(activations: list[str], output: str, loss: str, sizes: list[int], N: int, seed: int = 0):
    net = build(sizes, activations, output, loss, seed=seed)
    rng = np.random.default_rng(seed + 100)
    net.set_parameters(net.W, [rng.normal(scale=0.5, size=b.shape) for b in net.b])
    X = rng.normal(size=(N, sizes[0]))
    y = random_targets(rng, output, loss, N, sizes[-1])
    return net, X, y


@pytest.mark.parametrize("activation", list(f.ACTIVATIONS))
@pytest.mark.parametrize(("output", "loss"), f.VALID_PAIRS)
def test_backprop_equals_the_naive_pseudocode_per_example(activation: str, output: str, loss: str) -> None:
    sizes = [3, 4, 3, 2]
    net, X, y = _setup([activation, "tanh"], output, loss, sizes, N=5)
    trace = f.backward(net, X, y)
    Y = trace.targets.Y
    Ws = [w.tolist() for w in net.W]
    bs = [v.tolist() for v in net.b]
    per_example = [
        naive_example(Ws, bs, [activation, "tanh"], output, loss, X[n].tolist(), Y[n].tolist()) for n in range(5)
    ]
    L = 3
    for n, ref in enumerate(per_example):
        for k in range(1, L + 1):
            np.testing.assert_allclose(trace.forward.a[k - 1][n], ref["a"][k - 1], **CLOSE)
            np.testing.assert_allclose(trace.grad_a[k - 1][n], ref["grad_a"][k - 1], **CLOSE)
        for k in range(L + 1):
            np.testing.assert_allclose(trace.forward.h[k][n], ref["h"][k], **CLOSE)
        for k in range(L):
            np.testing.assert_allclose(trace.grad_h[k][n], ref["grad_h"][k], **CLOSE)
        np.testing.assert_allclose(trace.losses[n], ref["loss"], **CLOSE)
        # one example on its own: its parameter gradients are exactly the pseudocode's
        single = f.backward(net, X[n], Y[n : n + 1])
        for k in range(L):
            np.testing.assert_allclose(single.grad_W[k], ref["grad_W"][k], **CLOSE)
            np.testing.assert_allclose(single.grad_b[k], ref["grad_b"][k], **CLOSE)
    # the batch: parameter gradients are the mean of the per-example ones, the loss the mean loss
    for k in range(L):
        np.testing.assert_allclose(trace.grad_W[k], np.mean([r["grad_W"][k] for r in per_example], axis=0), **CLOSE)
        np.testing.assert_allclose(trace.grad_b[k], np.mean([r["grad_b"][k] for r in per_example], axis=0), **CLOSE)
    assert trace.loss == pytest.approx(np.mean([r["loss"] for r in per_example]), rel=1e-12)


def test_deep_mixed_network_equals_the_naive_pseudocode() -> None:
    activations = ["sigmoid", "relu", "leaky_relu", "linear", "tanh"]
    sizes = [4, 6, 5, 5, 3, 4, 3]
    net, X, y = _setup(activations, "softmax", "cross_entropy", sizes, N=7, seed=3)
    trace = f.backward(net, X, y)
    refs = [
        naive_example([w.tolist() for w in net.W], [v.tolist() for v in net.b], activations, "softmax",
                      "cross_entropy", X[n].tolist(), trace.targets.Y[n].tolist())
        for n in range(7)
    ]  # fmt: skip
    for k in range(len(sizes) - 1):
        np.testing.assert_allclose(trace.grad_a[k], [r["grad_a"][k] for r in refs], **CLOSE)
        np.testing.assert_allclose(trace.grad_W[k], np.mean([r["grad_W"][k] for r in refs], axis=0), **CLOSE)
        np.testing.assert_allclose(trace.grad_b[k], np.mean([r["grad_b"][k] for r in refs], axis=0), **CLOSE)
    np.testing.assert_allclose(trace.grad_h[0], [r["grad_h"][0] for r in refs], **CLOSE)


def test_batch_gradient_is_the_mean_of_per_example_backward_passes() -> None:
    net, X, y = _setup(["tanh", "relu"], "sigmoid", "cross_entropy", [3, 5, 4, 2], N=6, seed=7)
    batch = f.backward(net, X, y)
    singles = [f.backward(net, X[n : n + 1], batch.targets.Y[n : n + 1]) for n in range(6)]
    for k in range(3):
        np.testing.assert_allclose(batch.grad_W[k], np.mean([s.grad_W[k] for s in singles], axis=0), rtol=1e-12)
        np.testing.assert_allclose(batch.grad_b[k], np.mean([s.grad_b[k] for s in singles], axis=0), rtol=1e-12)
        np.testing.assert_allclose(batch.grad_a[k], np.vstack([s.grad_a[k] for s in singles]), rtol=1e-12)
    np.testing.assert_allclose(batch.losses, [s.loss for s in singles], rtol=1e-14)
    assert batch.loss == pytest.approx(float(np.mean(batch.losses)), rel=1e-15)


def test_loss_is_the_mean_of_per_example_losses_bit_for_bit() -> None:
    net, X, y = _setup(["tanh"], "softmax", "cross_entropy", [2, 5, 3], N=9)
    trace = f.backward(net, X, y)
    assert trace.loss == float(trace.losses.mean())


# --- shapes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sizes", [(1, 1), (3, 2), (2, 1, 1), (4, 6, 3), (3, 5, 4, 2), (2, 3, 1, 4, 2), (6, 1, 6, 1, 6, 2)]
)
@pytest.mark.parametrize("N", [1, 4])
def test_every_trace_array_has_its_documented_shape(sizes: tuple[int, ...], N: int) -> None:
    output = "sigmoid" if sizes[-1] == 1 else "softmax"
    net, X, y = _setup(["tanh"] * (len(sizes) - 2), output, "cross_entropy", list(sizes), N=N)
    L = len(sizes) - 1
    trace = f.backward(net, X, y)
    fwd = trace.forward
    assert len(fwd.a) == L and len(fwd.h) == L + 1
    assert len(trace.grad_a) == len(trace.grad_W) == len(trace.grad_b) == L
    assert len(trace.grad_h) == L
    for k in range(1, L + 1):
        assert fwd.a[k - 1].shape == (N, sizes[k])
        assert trace.grad_a[k - 1].shape == (N, sizes[k])
        assert trace.grad_W[k - 1].shape == (sizes[k], sizes[k - 1]) == net.W[k - 1].shape
        assert trace.grad_b[k - 1].shape == (sizes[k],) == net.b[k - 1].shape
    for k in range(L + 1):
        assert fwd.h[k].shape == (N, sizes[k])
    for k in range(L):
        assert trace.grad_h[k].shape == (N, sizes[k])
    assert fwd.y_hat is fwd.h[L]
    assert trace.losses.shape == (N,)
    assert trace.targets.Y.shape == (N, sizes[-1])
    assert isinstance(trace.loss, float)
    arrays = [*fwd.a, *fwd.h, *trace.grad_a, *trace.grad_h, *trace.grad_W, *trace.grad_b, trace.losses]
    assert all(x.dtype == np.float64 for x in arrays)


def test_one_example_may_be_a_vector() -> None:
    net = build([3, 4, 2], "tanh", seed=0)
    x = np.array([0.5, -1.0, 2.0])
    one = f.forward(net, x)
    assert one.h[0].shape == (1, 3) and one.y_hat.shape == (1, 2)
    np.testing.assert_array_equal(one.y_hat, f.forward(net, x[None, :]).y_hat)
    assert f.backward(net, x, [1]).grad_h[0].shape == (1, 3)
    assert f.forward(net, [[1, 2, 3]]).h[0].dtype == np.float64  # lists and ints are accepted


def test_softmax_rows_are_distributions_and_sigmoid_outputs_probabilities() -> None:
    net = build([2, 4, 3], "relu", seed=1)
    y_hat = f.forward(net, np.random.default_rng(0).normal(size=(10, 2)) * 5).y_hat
    np.testing.assert_allclose(y_hat.sum(axis=1), 1.0, rtol=1e-15)
    assert np.all(y_hat > 0)
    net = build([2, 3], output="sigmoid", seed=1)
    y_hat = f.forward(net, np.random.default_rng(0).normal(size=(10, 2))).y_hat
    assert np.all((y_hat > 0) & (y_hat < 1))


# --- no hidden state ----------------------------------------------------------------------------


def test_backward_and_friends_leave_the_network_bit_identical() -> None:
    net, X, y = _setup(["tanh", "relu"], "softmax", "cross_entropy", [2, 5, 4, 3], N=6)
    f.train_step(net, X, y, f.Optimizer("adam", eta=0.01))  # some optimizer state and a step count
    before = snapshot(net)
    first = f.backward(net, X, y)
    f.forward(net, X)
    f.backward(net, X, y, drop_g_prime_layer=1)
    f.gradient_check(net, X, y)
    f.evaluate(net, X, f.encode_targets(y, 3, "cross_entropy"))
    f.decision_surface(net, (-1, 1), (-1, 1), resolution=5)
    net.copy()
    assert snapshot(net) == before
    again = f.backward(net, X, y)  # nothing was left behind to change a second pass
    for name in ("grad_a", "grad_h", "grad_W", "grad_b"):
        for u, v in zip(getattr(first, name), getattr(again, name), strict=True):
            assert u.tobytes() == v.tobytes()
    assert first.loss == again.loss


def test_traces_do_not_share_memory_with_the_parameters() -> None:
    net, X, y = _setup(["sigmoid"], "linear", "squared_error", [2, 3, 2], N=4)
    trace = f.backward(net, X, y)
    before = snapshot(net)
    for arr in (*trace.forward.a, *trace.forward.h[1:], *trace.grad_a, *trace.grad_h, *trace.grad_W, *trace.grad_b):
        assert not any(np.shares_memory(arr, p) for p in (*net.W, *net.b))
        arr[...] = np.nan
    assert snapshot(net) == before


def test_backward_accepts_a_given_forward_trace() -> None:
    net, X, y = _setup(["tanh"], "softmax", "cross_entropy", [2, 4, 2], N=3)
    trace = f.forward(net, X)
    with_trace = f.backward(net, None, y, trace=trace)  # x is not needed then
    plain = f.backward(net, X, y)
    assert with_trace.forward is trace
    for u, v in zip(with_trace.grad_W, plain.grad_W, strict=True):
        assert u.tobytes() == v.tobytes()


def test_train_step_applies_exactly_the_sgd_update_of_its_trace() -> None:
    net, X, y = _setup(["tanh"], "softmax", "cross_entropy", [2, 4, 2], N=5)
    W0 = [w.copy() for w in net.W]
    b0 = [v.copy() for v in net.b]
    expected = f.backward(net, X, y)
    trace = f.train_step(net, X, y, f.Optimizer("sgd", eta=0.5))
    assert net.step == 1
    for k in range(2):
        assert trace.grad_W[k].tobytes() == expected.grad_W[k].tobytes()
        np.testing.assert_array_equal(net.W[k], W0[k] - 0.5 * trace.grad_W[k])
        np.testing.assert_array_equal(net.b[k], b0[k] - 0.5 * trace.grad_b[k])


def test_train_step_computes_every_gradient_but_grad_h_0_bit_for_bit_as_backward() -> None:
    net, X, y = _setup(["tanh", "relu"], "softmax", "cross_entropy", [3, 5, 4, 2], N=6)
    full = f.backward(net, X, y)
    step = f.train_step(net.copy(), X, y, f.Optimizer("sgd", eta=0.5))
    assert sorted(step.grad_h) == [1, 2]  # grad_h_1, grad_h_2: no grad_h_0, the input's gradient
    for k in (1, 2):
        assert step.grad_h[k].tobytes() == full.grad_h[k].tobytes()
    for name in ("grad_a", "grad_W", "grad_b"):
        for u, v in zip(getattr(step, name), getattr(full, name), strict=True):
            assert u.tobytes() == v.tobytes()
    for u, v in zip(step.forward.a + step.forward.h, full.forward.a + full.forward.h, strict=True):
        assert u.tobytes() == v.tobytes()
    assert step.losses.tobytes() == full.losses.tobytes() and step.loss == full.loss


def test_train_never_computes_grad_h_0(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every minibatch of ``train`` goes through ``gradients``: none of its traces may hold the
    # input's gradient, which no update needs (it is a product as large as the first layer's).
    import ffnn_core.training as training

    traces: list[f.TrainingTrace] = []
    real = training.gradients

    def recording(*args: object) -> f.TrainingTrace:
        trace = real(*args)  # type: ignore[arg-type]
        traces.append(trace)
        return trace

    monkeypatch.setattr(training, "gradients", recording)
    net, X, y = _setup(["tanh", "relu"], "softmax", "cross_entropy", [3, 5, 4, 2], N=12)
    f.train(net, X, y, epochs=2, batch_size=5, optimizer=f.Optimizer("sgd", eta=0.1))
    assert len(traces) == 2 * 3  # 12 examples in minibatches of 5: 3 a epoch
    assert all(sorted(t.grad_h) == [1, 2] for t in traces)
