"""Decision surface: the network evaluated on a grid, in one forward pass.

For a 2-input network, the grid is the outer product of ``resolution`` points on each axis;
y_hat comes back as (resolution, resolution, n_L), row i for x2 = x2s[i], column j for x1 = x1s[j]
(the layout Plotly's heatmap and contour expect). A 1-input network gives a curve (resolution, n_L).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ffnn_core.network import Network
from ffnn_core.numerics import Array
from ffnn_core.propagation import forward


@dataclass(frozen=True)
class Surface:
    x1: Array  # (resolution,)
    x2: Array | None  # (resolution,), None for a 1-input curve
    y_hat: Array  # (resolution, resolution, n_L) or (resolution, n_L)


def decision_surface(
    network: Network,
    x1_range: tuple[float, float],
    x2_range: tuple[float, float] | None = None,
    resolution: int = 50,
) -> Surface:
    n_0 = network.config.sizes[0]
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    x1 = np.linspace(x1_range[0], x1_range[1], resolution)
    if n_0 == 1:
        return Surface(x1, None, forward(network, x1[:, None]).y_hat)
    if n_0 != 2 or x2_range is None:
        raise ValueError(f"a decision surface needs a network with 1 or 2 inputs, this one has {n_0}")
    x2 = np.linspace(x2_range[0], x2_range[1], resolution)
    g1, g2 = np.meshgrid(x1, x2)
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    y_hat = forward(network, grid).y_hat
    return Surface(x1, x2, y_hat.reshape(resolution, resolution, -1))
