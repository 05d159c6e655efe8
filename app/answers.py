"""Answers are bounded: one that would be larger than ``max_answer_bytes`` is refused up front,
before any work, with a 422 that names the limit, the estimate and what to send instead.

Each ``check_*`` is an upper bound of the JSON ``encoding.dumps`` writes for that answer, from
shapes known before computing: every number at ``NUMBER_BYTES`` (the longest float64 orjson
writes, ``-2.2250738585072014e-308``, with its separator; ``null`` and integers are shorter),
every innermost list at ``LIST_BYTES``, keyed items (a gradient-check entry, a path's factor, ...)
at a per-item bound, and ``FIXED_BYTES`` for an answer's own keys, ids, config and ``diverged``.
tests/api/test_bounds.py checks these bounds against real answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from app.errors import InvalidInputError
from app.settings import Settings
from ffnn_core import Network, NetworkConfig
from ffnn_core.numerics import Array

NUMBER_BYTES = 25
LIST_BYTES = 3  # "[", "]" and a separator
FIXED_BYTES = 2048  # keys, an id, a dataset spec, diverged, a formula or a message
# Keyed items: their keys and punctuation, short strings and their numbers, rounded up. A factor,
# {"symbol", "value", "quantity", "layer", "index": [i, j], "example"}: 69 of keys and punctuation, a
# symbol ("da_3[12]/dh_2[4]") and a quantity name (64 at most for indices below 10^6), a value and
# four integers (below 10^10).
FACTOR_BYTES = 69 + 64 + NUMBER_BYTES + 4 * 11
TERM_BYTES = 64 + 2 * NUMBER_BYTES  # a derivation term's keys, coefficient and value, besides its factors
PATH_BYTES = 96 + 3 * NUMBER_BYTES  # a path's keys, output, product and share, besides neurons and factors
GRADCHECK_ENTRY_BYTES = 64 + 5 * NUMBER_BYTES  # {"index": [i, j], "backprop", "numeric", "relative_error"}
GRADCHECK_TENSOR_BYTES = 96 + 2 * NUMBER_BYTES  # {"name", "layer", "max_relative_error", "entries"}
BLAME_TERM_BYTES = 48 + 4 * NUMBER_BYTES  # {"i", "weight", "grad_a", "term"}
LAYER_HEALTH_BYTES = 160 + 7 * NUMBER_BYTES  # a diagnostics layer: seven numbers and their keys
EPOCH_BYTES = 160 + 6 * NUMBER_BYTES  # an EpochRecord's keys and scalars, besides its two per-layer lists
CURVE_POINTS = 121  # a derivation's sampled g and g' (ffnn_core.derivation.CURVE_POINTS)


def array_bytes(rows: int, columns: int | None = None) -> int:
    """A vector of ``rows`` numbers, or a (rows, columns) matrix."""
    if columns is None:
        return rows * NUMBER_BYTES + LIST_BYTES
    return rows * (columns * NUMBER_BYTES + LIST_BYTES) + LIST_BYTES


def _layers_bytes(sizes: Sequence[int], N: int) -> int:
    """One (N, n_k) array per size: a list of per-example matrices (a_k, h_k, grad_a_k, ...)."""
    return sum(array_bytes(N, n) for n in sizes) + LIST_BYTES


def _parameters_bytes(config: NetworkConfig) -> int:
    """W_1..W_L and b_1..b_L (or anything of their shapes: gradients, updates, optimiser state)."""
    sizes = config.sizes
    W = sum(array_bytes(n_k, n_prev) for n_prev, n_k in pairwise(sizes))
    return W + sum(array_bytes(n_k) for n_k in sizes[1:]) + 2 * LIST_BYTES


def _check(estimate: int, settings: Settings, what: str, instead: str) -> int:
    """The estimate (for the tests), or InvalidInputError if it is more than max_answer_bytes."""
    estimate += FIXED_BYTES
    if estimate > settings.max_answer_bytes:
        raise InvalidInputError(
            f"{what} would take up to about {estimate / 1e6:.2f} MB of JSON ({estimate} bytes), more than "
            f"max_answer_bytes = {settings.max_answer_bytes}; {instead}"
        )
    return estimate


def _trace_bytes(network: Network, N: int, backward: bool) -> int:
    sizes = network.config.sizes
    estimate = 2 * _layers_bytes(sizes, N) + array_bytes(N, sizes[-1])  # a_k (fewer than h_k), h_k, y_hat
    if backward:  # y, grad_a_k and grad_h_k (fewer than h_k), losses and loss, grad_W_k and grad_b_k
        estimate += array_bytes(N, sizes[-1]) + 2 * _layers_bytes(sizes, N) + array_bytes(N + 1)
        estimate += _parameters_bytes(network.config)
    return estimate


def check_trace(network: Network, N: int, settings: Settings, *, backward: bool, step: bool = False) -> int:
    """A forward, backward or step answer for N examples."""
    estimate = _trace_bytes(network, N, backward)
    if step:  # parameters before and after; the update's gradients, steps and state before and after
        estimate += 10 * _parameters_bytes(network.config)
    return _check(estimate, settings, f"this answer for {N} example(s)", "send fewer rows (or examples in x)")


def check_contributions(network: Network, N: int, layer: int, settings: Settings) -> int:
    n_k, n_prev = network.config.sizes[layer], network.config.sizes[layer - 1]
    estimate = N * (array_bytes(n_k, n_prev) + array_bytes(n_k) + 2 * NUMBER_BYTES) + array_bytes(n_k, n_prev)
    return _check(estimate, settings, f"the per-example gradients of layer {layer} for {N} example(s)",
           "send fewer rows, or choose a smaller layer")  # fmt: skip


def surface_bytes(network: Network, resolution: int) -> int:
    """A Surface: the axes and y_hat, [x2 rows][x1 columns][n_L]."""
    n_0, n_L = network.config.sizes[0], network.config.sizes[-1]
    rows = resolution if n_0 == 2 else 1
    return 2 * array_bytes(resolution) + rows * array_bytes(resolution, n_L) + LIST_BYTES


def check_surface(network: Network, resolution: int, settings: Settings) -> int:
    return _check(surface_bytes(network, resolution), settings, f"a decision surface at resolution {resolution}",
           "ask for a smaller resolution")  # fmt: skip


def check_snapshot(network: Network, surface_resolution: int | None, trace_rows: int, settings: Settings) -> int:
    """One stream snapshot event: the parameters, the surface (as GET .../surface) and the traced rows."""
    estimate = _parameters_bytes(network.config) + (_trace_bytes(network, trace_rows, True) if trace_rows else 0)
    if surface_resolution is not None:
        estimate += surface_bytes(network, surface_resolution)
    return _check(estimate, settings, "each snapshot", "ask for a smaller surface_resolution or fewer traced rows")


def check_history(network: Network, epochs: int, settings: Settings, *, stream: bool = False) -> int:
    """A training's history (POST .../train), or one epoch event of a stream."""
    estimate = epochs * (EPOCH_BYTES + 2 * array_bytes(network.config.L))
    if stream:
        return _check(estimate, settings, "each epoch event", "use a network with fewer layers")
    return _check(estimate, settings, f"the history of {epochs} epochs", "ask for fewer epochs (or use train/stream)")


def check_network(config: NetworkConfig, settings: Settings, state: Mapping[str, list[Array]] | None = None) -> int:
    """A network's answer (config, W_k and b_k), or its export document with its optimiser ``state``."""
    estimate = _parameters_bytes(config) + config.L * (NUMBER_BYTES + 24)  # sizes and activation names
    if state is not None:  # each array written flat or nested: its numbers and a list per row at most
        estimate += sum(x.size * (NUMBER_BYTES + LIST_BYTES) + LIST_BYTES for arrays in state.values() for x in arrays)
        estimate += len(state) * LIST_BYTES
    return _check(estimate, settings, f"this network's answer ({config.n_parameters} parameters)",
           "create a network with fewer parameters (narrower or fewer layers)")  # fmt: skip


def check_gradcheck(network: Network, entries: int, settings: Settings) -> int:
    estimate = entries * GRADCHECK_ENTRY_BYTES + 2 * network.config.L * GRADCHECK_TENSOR_BYTES
    return _check(estimate, settings, f"a gradient check of {entries} entries",
           "set max_entries (per tensor) or choose layers")  # fmt: skip


def check_paths(network: Network, layer: int, max_paths: int, settings: Settings) -> int:
    """The paths from W_k[i, j]: each lists a neuron of every layer k..L and 2 (L - k) + 3 factors."""
    L = network.config.L
    depth = L - min(max(layer, 1), L) + 1
    path = PATH_BYTES + array_bytes(depth) + (2 * depth + 1) * FACTOR_BYTES + LIST_BYTES
    return _check(max_paths * path, settings, f"{max_paths} paths of W_{layer}", "ask for fewer paths (max_paths)")


def check_derivation(network: Network, quantity: str, layer: int, N: int, settings: Settings) -> int:
    """One entry's formula: its terms (a_k[i]: a bias and one per input; grad_h_k[j]: one per unit of
    layer k+1; h_L and grad_a_L: one per output; a batch mean: one per example), the output's
    Jacobian (h_L, grad_a_L) and g's sampled curve."""
    sizes = network.config.sizes
    L = network.config.L
    k = min(max(layer, 0), L)  # else the core names the allowed layers
    terms, factors = {
        "a": (sizes[k - 1] + 1 if k >= 1 else 1, 2),
        "h": (sizes[-1] if k == L else 1, 1),
        "grad_h": (sizes[k + 1] if k < L else 1, 2),
        "grad_a": (sizes[-1] if k == L else 1, 3),
        "grad_W": (N, 2),
        "grad_b": (N, 2),
    }.get(quantity, (1, 1))  # else the core names the allowed quantities
    estimate = terms * (TERM_BYTES + factors * FACTOR_BYTES) + 3 * array_bytes(CURVE_POINTS)
    if k == L and quantity in ("h", "grad_a"):
        estimate += array_bytes(sizes[-1], sizes[-1])
    return _check(estimate, settings, f"this derivation of {quantity}_{layer} over {N} example(s)",
                  "send fewer rows (or examples in x)")  # fmt: skip


def check_blame(network: Network, settings: Settings) -> int:
    """grad_h_k[j]'s terms, one per unit of a layer above: at most the widest layer."""
    return _check(max(network.config.sizes) * BLAME_TERM_BYTES, settings, "this blame answer",
           "use a network with narrower layers")  # fmt: skip


def check_diagnostics(network: Network, settings: Settings) -> int:
    return _check(
        network.config.L * LAYER_HEALTH_BYTES, settings, "these diagnostics", "use a network with fewer layers"
    )


def check_what_if(etas: int, settings: Settings) -> int:
    return _check(2 * array_bytes(etas), settings, f"a what-if of {etas} learning rates", "send fewer etas")


def check_projection(network: Network, layer: int, rows: int, settings: Settings) -> int:
    """Each dataset row's two coordinates, and the basis: a mean and two components of n_k numbers."""
    width = network.config.sizes[layer]
    estimate = array_bytes(rows, 2) + 3 * array_bytes(width) + array_bytes(2) + LIST_BYTES
    return _check(estimate, settings, f"a projection of {rows} rows", "attach a dataset with fewer points (n)")


def check_evaluation(rows: int, n_classes: int, settings: Settings) -> int:
    """Each row's predicted class and the confusion matrix's counts (integers, at most ``rows``)."""
    label_bytes = len(str(n_classes - 1)) + 1
    estimate = rows * label_bytes + n_classes * (n_classes * (len(str(rows)) + 1) + LIST_BYTES) + 2 * LIST_BYTES
    return _check(estimate, settings, f"an evaluation of {rows} rows", "attach a dataset with fewer points (n)")


def check_dataset(n: int, n_inputs: int, n_targets: int, settings: Settings) -> int:
    """A dataset's points: n rows of n_inputs numbers and a label (a class) or n_targets targets each."""
    return _check(array_bytes(n, n_inputs) + array_bytes(n, n_targets) + 2 * LIST_BYTES, settings,
           f"a dataset of {n} points", "ask for fewer points (n)")  # fmt: skip
