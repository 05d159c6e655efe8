"""Answers are bounded: one that would be larger than ``max_answer_bytes`` is refused up front,
before any work, with a 422 that names the limit and what to send instead.

Sizes are estimated from the number of numbers an answer holds (shapes are known before computing)
at ``BYTES_PER_NUMBER``, about what a float64 takes in JSON (``-0.12345678901234567,``).
"""

from __future__ import annotations

from app.errors import InvalidInputError
from app.settings import Settings
from ffnn_core import Network

BYTES_PER_NUMBER = 21


def _check(numbers: int, settings: Settings, what: str, instead: str) -> None:
    estimate = numbers * BYTES_PER_NUMBER
    if estimate > settings.max_answer_bytes:
        raise InvalidInputError(
            f"{what} would hold about {numbers} numbers (about {estimate / 1e6:.0f} MB of JSON), more than "
            f"max_answer_bytes = {settings.max_answer_bytes}; {instead}"
        )


def _trace_numbers(network: Network, N: int, backward: bool) -> int:
    sizes = network.config.sizes
    units = sum(sizes[1:])
    numbers = N * (units + sum(sizes) + sizes[-1])  # a_k, h_k (h_0 = x included), y_hat
    if backward:
        numbers += N * (sizes[-1] + units + sum(sizes[:-1]) + 1) + network.config.n_parameters + 1
    return numbers


def check_trace(network: Network, N: int, settings: Settings, *, backward: bool, step: bool = False) -> None:
    """A forward, backward or step answer for N examples."""
    numbers = _trace_numbers(network, N, backward)
    if step:
        numbers += 8 * network.config.n_parameters  # parameters before and after, the optimiser's update
    _check(numbers, settings, f"this answer for {N} example(s)", "send fewer rows (or examples in x)")


def check_contributions(network: Network, N: int, layer: int, settings: Settings) -> None:
    n_k, n_prev = network.config.sizes[layer], network.config.sizes[layer - 1]
    numbers = N * (n_k * n_prev + n_k + 2) + n_k * n_prev + _trace_numbers(network, 0, True)
    _check(numbers, settings, f"the per-example gradients of layer {layer} for {N} example(s)",
           "send fewer rows, or choose a smaller layer")  # fmt: skip


def check_snapshot(network: Network, surface_points: int, trace_rows: int, settings: Settings) -> None:
    """One stream snapshot event: the parameters, the surface and the traced rows."""
    numbers = 2 * network.config.n_parameters + surface_points * (network.config.sizes[-1] + 1)
    numbers += _trace_numbers(network, trace_rows, True)
    _check(numbers, settings, "each snapshot", "ask for a smaller surface_resolution or fewer traced rows")
