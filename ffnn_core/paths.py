"""Every path from one weight w = W_k[i,j] to the loss, with its factors, as in the notes' chain rule.

A path runs w -> a_k[i] -> h_k[i] -> a_{k+1}[m_{k+1}] -> ... -> a_L[m_L] -> y_hat[p] -> loss, one
neuron per layer above k. Its product is the notes' list of factors, from the loss down:

    dl/dy_hat[p] . dy_hat[p]/da_L[m_L] . da_L[m_L]/dh_{L-1}[m_{L-1}] . dh_{L-1}[m_{L-1}]/da_{L-1}[m_{L-1}]
        . ... . da_{k+1}[m_{k+1}]/dh_k[i] . dh_k[i]/da_k[i] . da_k[i]/dW_k[i,j]

with da_r[m]/dh_{r-1}[u] = W_r[m,u], dh_r[u]/da_r[u] = g'(a_r[u]), da_k[i]/dW_k[i,j] = h_{k-1}[j].
An element-wise O (sigmoid, linear) has dy_hat[p]/da_L[m] = 0 for p != m, so its paths end in
y_hat[m_L]; softmax couples every output, so each a_L[m] reaches the loss through every y_hat[p].
For a deep thin network ([1,1,1,1]) there is one path: the notes' product for dL/dw_111.

The sum over all paths of one example's products is that example's dl/dW_k[i,j]; the mean over the
batch of each path's product is its share of grad_W_k[i,j]. The total is computed layer by layer
(sum-product, never enumerating), so it holds for any number of paths. The paths themselves are
enumerated (vectorised) while count x N is at most ENUMERATE_LIMIT, ranked by |share of the
batch mean|; above that the largest ones of the chosen example are found by a best-first search
with an exact bound (the best completion of each partial path), without touching the rest.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ffnn_core.derivation import Factor, factor, grad_y_hat
from ffnn_core.network import Network
from ffnn_core.numerics import Array
from ffnn_core.propagation import BackwardTrace

MAX_PATHS = 1000  # most paths listed one by one
ENUMERATE_LIMIT = 1_000_000  # paths x examples held in memory at once when enumerating
Index = npt.NDArray[np.intp]  # neuron indices


@dataclass(frozen=True)
class Path:
    """neurons = (i, m_{k+1}, ..., m_L): the a-neuron of each layer k..L; output = p of y_hat[p].

    factors: the chosen example's factors in the notes' order; product: their product;
    share: the mean over the batch of this path's product (its part of grad_W_k[i,j]).
    """

    neurons: tuple[int, ...]
    output: int
    factors: tuple[Factor, ...]
    product: float
    share: float


@dataclass(frozen=True)
class Paths:
    """The paths of W_k[i,j]: the largest listed, the rest summed.

    count: all paths (an exact integer, however large). total: sum over all paths of the shares,
    = grad_W_k[i,j]; total_example: the chosen example's sum, = its dl/dW_k[i,j]. ranked_by is
    "share" (enumerated) or "example" (searched: the chosen example's |product|). remainder_sum is
    the unlisted paths' share, summed one by one ("summed") or total - listed ("total_minus_listed").
    """

    layer: int
    i: int
    j: int
    example: int
    N: int
    count: int
    paths: tuple[Path, ...]
    ranked_by: str
    total: float
    total_example: float
    listed_sum: float
    remainder_count: int
    remainder_sum: float
    remainder_method: str
    grad_W: float


@dataclass(frozen=True)
class _Graph:
    """The path graph's factors for the whole batch: g'(a_r) for r = k..L-1, dl/dy_hat, y_hat."""

    network: Network
    k: int
    h_j: Array  # (N,) h_{k-1}[j]
    g_prime: dict[int, Array]  # r -> (N, n_r)
    grad_y_hat: Array  # (N, n_L)
    y_hat: Array  # (N, n_L)
    softmax: bool

    def top(self, m: Index, p: Index, n: int | None = None) -> Array:
        """dy_hat[p]/da_L[m] for index arrays m, p (broadcast to shape S), as (N, *S); (1, *S) for row n."""
        y = self.y_hat if n is None else self.y_hat[n : n + 1]
        if self.softmax:
            jacobian: Array = y[:, p] * ((p == m).astype(np.float64) - y[:, m])
            return jacobian
        diag = y * (1.0 - y) if self.network.config.output == "sigmoid" else np.ones_like(y)
        return np.where(p == m, diag[:, m], 0.0).astype(np.float64)


def paths(
    network: Network, trace: BackwardTrace, k: int, i: int, j: int, *, max_paths: int = 100, example: int = 0
) -> Paths:
    """The paths from W_k[i,j] to the loss (see the module docstring); ValueError for bad input."""
    cfg = network.config
    L, sizes = cfg.L, cfg.sizes
    N = trace.forward.h[0].shape[0]
    if not 1 <= k <= L:
        raise ValueError(f"layer k must be 1..{L} for this network, got {k}")
    if not (0 <= i < sizes[k] and 0 <= j < sizes[k - 1]):
        raise ValueError(
            f"W_{k} has shape ({sizes[k]}, {sizes[k - 1]}): "
            f"need 0 <= i < {sizes[k]} and 0 <= j < {sizes[k - 1]}, got i = {i}, j = {j}"
        )
    if not 1 <= max_paths <= MAX_PATHS:
        raise ValueError(f"max_paths must be 1..{MAX_PATHS}, got {max_paths}")
    if not 0 <= example < N:
        raise ValueError(f"example must be a row of the batch, 0..{N - 1}, got {example}")
    fwd = trace.forward
    graph = _Graph(
        network, k, fwd.h[k - 1][:, j],
        {r: cfg.hidden_activations[r - 1].g_prime_given(fwd.a[r - 1], fwd.h[r]) for r in range(k, L)},
        grad_y_hat(network, fwd.y_hat, trace.targets.Y), fwd.y_hat, cfg.output == "softmax",
    )  # fmt: skip
    count = math.prod(sizes[k + 1 :]) * (sizes[L] if graph.softmax else 1)
    per_example = _sum_product(graph, i)
    total, total_example = float(per_example.mean()), float(per_example[example])
    if count * N <= ENUMERATE_LIMIT:
        neurons, outputs, products = _enumerate(graph, i)
        shares = products.mean(axis=0)
        order = _largest(np.abs(shares), max_paths)
        rest = np.ones(count, dtype=bool)
        rest[order] = False
        remainder, method, ranked_by = math.fsum(shares[rest]), "summed", "share"
        neurons, outputs = neurons[order], outputs[order]
    else:
        neurons, outputs = _search(graph, i, example, max_paths)
        remainder, method, ranked_by = math.nan, "total_minus_listed", "example"
    shares_listed = _products(graph, neurons, outputs).mean(axis=0)  # (K,)
    listed_sum = math.fsum(shares_listed)
    if method == "total_minus_listed":
        remainder = total - listed_sum
    found = []
    for t in range(neurons.shape[0]):
        factors = _factors(graph, j, neurons[t], int(outputs[t]), example)
        product = math.prod(fac.value for fac in factors)  # in the order shown
        found.append(
            Path(tuple(int(m) for m in neurons[t]), int(outputs[t]), factors, product, float(shares_listed[t]))
        )
    grad_W = float(trace.grad_W[k - 1][i, j])
    return Paths(
        k, i, j, example, N, count, tuple(found), ranked_by, total, total_example, listed_sum,
        count - len(found), remainder, method, grad_W,
    )  # fmt: skip


def _largest(magnitude: Array, K: int) -> Index:
    """Indices of the K largest entries, largest first (stable among ties)."""
    if magnitude.shape[0] > K:
        top = np.argpartition(-magnitude, K - 1)[:K]
        return top[np.argsort(-magnitude[top], kind="stable")]
    return np.argsort(-magnitude, kind="stable")


def _sum_product(graph: _Graph, i: int) -> Array:
    """Each example's sum over all paths, (N,): the chain rule carried up layer by layer."""
    net, k = graph.network, graph.k
    s = np.zeros((graph.h_j.shape[0], net.config.sizes[k]))
    s[:, i] = graph.h_j
    for r in range(k, net.config.L):
        s = (s * graph.g_prime[r]) @ net.W[r].T  # through g'(a_r) and W_{r+1}
    y = graph.y_hat
    if graph.softmax:  # J s with J = diag(y_hat) - y_hat y_hat^T, symmetric
        Js = y * (s - (y * s).sum(axis=1, keepdims=True))
    else:
        Js = graph.top(np.arange(y.shape[1]), np.arange(y.shape[1])) * s
    result: Array = (graph.grad_y_hat * Js).sum(axis=1)
    return result


def _enumerate(graph: _Graph, i: int) -> tuple[Index, Index, Array]:
    """All paths: neurons (P, L-k+1), outputs (P,), products (N, P), vectorised layer by layer."""
    net, k, L = graph.network, graph.k, graph.network.config.L
    products = graph.h_j[:, None]  # (N, 1): the path so far ends at a_k[i]
    neurons: Index = np.array([[i]], dtype=np.intp)
    for r in range(k, L):
        last = neurons[:, -1]
        n_next = net.config.sizes[r + 1]
        edge = graph.g_prime[r][:, last][:, :, None] * net.W[r][:, last].T[None, :, :]  # (N, P, n_next)
        products = (products[:, :, None] * edge).reshape(products.shape[0], -1)
        neurons = np.concatenate(
            [np.repeat(neurons, n_next, axis=0), np.tile(np.arange(n_next), neurons.shape[0])[:, None]], axis=1
        )
    last = neurons[:, -1]
    if graph.softmax:
        n_L = net.config.sizes[L]
        p = np.arange(n_L)[None, :]
        top = graph.top(last[:, None], p) * graph.grad_y_hat[:, None, :]  # (N, P, n_L)
        products = (products[:, :, None] * top).reshape(products.shape[0], -1)
        outputs = np.tile(np.arange(n_L), neurons.shape[0])
        neurons = np.repeat(neurons, n_L, axis=0)
    else:
        products = products * graph.top(last, last) * graph.grad_y_hat[:, last]
        outputs = last.copy()
    return neurons, outputs, products


def _products(graph: _Graph, neurons: Index, outputs: Index) -> Array:
    """Every example's product along the given paths, (N, K)."""
    net, k = graph.network, graph.k
    product = np.repeat(graph.h_j[:, None], neurons.shape[0], axis=1)
    for step, r in enumerate(range(k, net.config.L)):
        u, v = neurons[:, step], neurons[:, step + 1]
        product = product * graph.g_prime[r][:, u] * net.W[r][v, u][None, :]
    last = neurons[:, -1]
    result: Array = product * graph.top(last, outputs) * graph.grad_y_hat[:, outputs]
    return result


def _factors(graph: _Graph, j: int, neurons: Index, p: int, n: int) -> tuple[Factor, ...]:
    """One path's factors for example n, from the loss down, each with where it lives."""
    net, k, L = graph.network, graph.k, graph.network.config.L
    m_L = int(neurons[-1])
    top = float(graph.top(np.array(m_L), np.array(p), n)[0])
    out = [
        factor(f"dl/dy_hat[{p}]", graph.grad_y_hat[n, p], "grad_y_hat", L, (p,), n),
        factor(f"dy_hat[{p}]/da_{L}[{m_L}]", top, "jacobian", L, (p, m_L), n),
    ]
    for r in range(L, k, -1):
        m, u = int(neurons[r - k]), int(neurons[r - k - 1])
        out.append(factor(f"da_{r}[{m}]/dh_{r - 1}[{u}]", net.W[r - 1][m, u], "W", r, (m, u), None))
        out.append(factor(f"dh_{r - 1}[{u}]/da_{r - 1}[{u}]", graph.g_prime[r - 1][n, u], "g_prime", r - 1, (u,), n))
    i = int(neurons[0])
    out.append(factor(f"da_{k}[{i}]/dW_{k}[{i},{j}]", graph.h_j[n], "h", k - 1, (j,), n))
    return tuple(out)


def _search(graph: _Graph, i: int, n: int, K: int) -> tuple[Index, Index]:
    """The K paths with the largest |product| for example n, largest first, by best-first search.

    In log|.| each path is a sum of edge weights. S[r][u] is the best completion from a_r[u] to the
    loss (exact, computed top down), so a partial path's priority prefix + S is the value of its
    best completion; children are tried in order of that value, one at a time (a popped path
    pushes its next sibling and its first child), so about 2 K (L - k + 2) paths are ever queued.
    """
    net, k, L = graph.network, graph.k, graph.network.config.L
    n_L = net.config.sizes[L]
    with np.errstate(divide="ignore"):
        log_top = np.log(np.abs(graph.top(np.arange(n_L)[:, None], np.arange(n_L)[None, :], n)[0]))  # [m, p]
        log_top = log_top + np.log(np.abs(graph.grad_y_hat[n]))[None, :]
        log_edge = {
            r: np.log(np.abs(net.W[r])) + np.log(np.abs(graph.g_prime[r][n]))[None, :] for r in range(k, L)
        }  # [v, u]
        start = float(np.log(abs(graph.h_j[n])))
    best = {L: log_top.max(axis=1)}
    for r in range(L - 1, k - 1, -1):
        best[r] = (log_edge[r] + best[r + 1][:, None]).max(axis=0)
    children: dict[tuple[int, int], tuple[Index, Array]] = {}

    def ranked(r: int, u: int) -> tuple[Index, Array]:
        """Children of a_r[u] (a-neurons of layer r+1, or outputs p when r = L), best first."""
        if (r, u) not in children and r == L and not graph.softmax:
            children[(r, u)] = (np.array([u]), log_top[u, u : u + 1])  # element-wise O: y_hat[u] only
        if (r, u) not in children:
            edge = log_top[u] if r == L else log_edge[r][:, u]
            score = edge if r == L else edge + best[r + 1]
            order = np.argsort(-score, kind="stable")
            children[(r, u)] = (order, edge[order])
        return children[(r, u)]

    depth = L - k + 2  # a-neurons of layers k..L, then the output
    counter = 0
    queue: list[tuple[float, int, tuple[int, ...], float, float, int]] = [
        (-(start + best[k][i]), 0, (i,), start, 0.0, 0)
    ]
    found: list[tuple[int, ...]] = []
    while queue and len(found) < K:
        _, _, path, prefix, parent_prefix, rank = heapq.heappop(queue)
        if len(path) > 1:  # the next sibling: same parent, next-best child
            r_parent = k + len(path) - 2
            order, edge = ranked(r_parent, path[-2])
            if rank + 1 < order.shape[0]:
                sib = int(order[rank + 1])
                sib_prefix = parent_prefix + float(edge[rank + 1])
                bound = sib_prefix + (float(best[r_parent + 1][sib]) if len(path) < depth else 0.0)
                counter += 1
                heapq.heappush(queue, (-bound, counter, (*path[:-1], sib), sib_prefix, parent_prefix, rank + 1))
        if len(path) == depth:
            found.append(path)
            continue
        r = k + len(path) - 1
        order, edge = ranked(r, path[-1])
        child = int(order[0])
        child_prefix = prefix + float(edge[0])
        bound = child_prefix + (float(best[r + 1][child]) if len(path) + 1 < depth else 0.0)
        counter += 1
        heapq.heappush(queue, (-bound, counter, (*path, child), child_prefix, prefix, 0))
    array = np.array(found, dtype=np.intp).reshape(len(found), depth)
    return array[:, :-1], array[:, -1]
