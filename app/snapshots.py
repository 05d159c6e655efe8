"""The training stream's `snapshot` event: the network as an epoch left it, with (as asked) its
decision surface and the trace of some examples; checked against the limits before the stream starts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from app import answers, encoding, inputs
from app.deps import Session
from app.routes.compute import _range as surface_range
from app.routes.compute import check_surface
from app.schemas import TrainStreamRequest
from app.store import Entry
from ffnn_core import Network, backward, decision_surface, first_non_finite_parameters


def snapshotter(entry: Entry, body: TrainStreamRequest, session: Session) -> Callable[[Network], bytes] | None:
    """The `snapshot` event's data for the network as an epoch left it (validated here, before the stream)."""
    spec = body.snapshot
    if spec is None:
        return None
    network = entry.network
    settings = session.settings
    surface_args: tuple[tuple[float, float], tuple[float, float] | None, int] | None = None
    if spec.surface_resolution is not None:
        n_0 = check_surface(network, spec.surface_resolution, settings, "snapshot.surface_resolution")
        data = entry.dataset
        assert data is not None  # training needs one (checked first)
        X = np.concatenate([data.X_train, data.X_test])
        x1 = surface_range(None, None, X[:, 0], "x1")
        x2 = surface_range(None, None, X[:, 1], "x2") if n_0 == 2 else None
        surface_args = (x1, x2, spec.surface_resolution)
    trace_args = None
    if spec.trace is not None:
        batch = inputs.examples(spec.trace, entry, settings, need_targets=True)
        assert batch.targets is not None
        trace_args = (batch.X, batch.targets, inputs.drop_g_prime_layer(spec.trace.drop_g_prime_layer, network))
    trace_rows = 0 if trace_args is None else trace_args[0].shape[0]
    answers.check_snapshot(network, spec.surface_resolution, trace_rows, settings)

    def snapshot(net: Network) -> bytes:
        parameters_found = first_non_finite_parameters(net)  # one scan for both the snapshot and its surface
        fields: dict[str, Any] = {
            "epoch": net.epoch,
            "step": net.step,
            "W": net.W,
            "b": net.b,
            "diverged": encoding.divergence(parameters_found),
            "surface": None,
            "trace": None,
        }
        if surface_args is not None:
            fields["surface"] = encoding.surface(decision_surface(net, *surface_args), net, parameters_found)
        if trace_args is not None:
            X_t, targets, drop = trace_args
            fields["trace"] = encoding.backward_trace(backward(net, X_t, targets, drop_g_prime_layer=drop))
        return encoding.dumps(fields)

    return snapshot
