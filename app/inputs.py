"""From validated request models to core inputs, checking what depends on the network and the
configured limits. Every check raises ``InvalidInputError`` (422) with a message naming the limit
or the allowed values; nothing here changes any state.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app import schemas
from app.errors import InvalidInputError, core_errors
from app.settings import Settings
from app.store import DatasetSpec, Entry
from ffnn_core import OPTIMIZERS, Network, NetworkConfig, Optimizer, Targets, encode_targets
from ffnn_core.datasets import Dataset
from ffnn_core.numerics import Array
from ffnn_core.optimizers import counter_key, state_keys
from ffnn_core.serialization import check_counter, is_counter_key

# --- networks ------------------------------------------------------------------------------


def check_sizes(sizes: Sequence[int], settings: Settings) -> None:
    L = len(sizes) - 1
    if settings.max_layers < L:
        raise InvalidInputError(f"sizes: L = {L} layers is more than max_layers = {settings.max_layers}")
    for k, n in enumerate(sizes):
        if n > settings.max_width:
            raise InvalidInputError(f"sizes[{k}]: width {n} is more than max_width = {settings.max_width}")
    n_parameters = sum(n_out * (n_in + 1) for n_in, n_out in itertools.pairwise(sizes))
    if n_parameters > settings.max_parameters:
        raise InvalidInputError(
            f"sizes: this network has {n_parameters} parameters, more than max_parameters = {settings.max_parameters}"
        )


def network_config(
    sizes: Sequence[int],
    activation: str | Sequence[str],
    *,
    output: str,
    loss: str,
    init: str,
    init_scale: float,
    seed: int,
    settings: Settings,
) -> NetworkConfig:
    check_sizes(sizes, settings)
    hidden = len(sizes) - 2
    if isinstance(activation, str):
        activations = (activation,) * hidden
    else:
        activations = tuple(activation)
        if len(activations) != hidden:
            raise InvalidInputError(
                f"activation: {hidden} hidden layer(s) need {hidden} activation name(s), or one name for all, "
                f"got a list of {len(activations)}"
            )
    with core_errors():
        return NetworkConfig(
            sizes=tuple(sizes),
            activations=activations,
            output=output,
            loss=loss,
            init=init,
            init_scale=init_scale,
            seed=seed,
        )


def dataset_spec(spec: schemas.DatasetSpec) -> DatasetSpec:
    """The store's spec, after checking that the dataset can be made from it."""
    result = DatasetSpec(**spec.model_dump())
    with core_errors():
        result.load()
    return result


def check_dataset_fits(config: NetworkConfig, data: Dataset) -> None:
    info = data.info
    n_0, n_L = config.sizes[0], config.sizes[-1]
    if n_0 != info.n_inputs:
        raise InvalidInputError(
            f"dataset: {info.name!r} has {info.n_inputs} input(s) (n_inputs), so sizes must start with "
            f"{info.n_inputs}, not {n_0}"
        )
    if info.task == "classification":
        allowed = [info.n_outputs] + ([1] if info.n_outputs == 2 else [])
        if n_L not in allowed:
            raise InvalidInputError(
                f"dataset: {info.name!r} has {info.n_outputs} classes, so the last size n_L must be "
                f"{' or '.join(map(str, allowed))}, not {n_L}"
            )
    else:
        if n_L != info.n_outputs:
            raise InvalidInputError(
                f"dataset: {info.name!r} has {info.n_outputs} target(s) per example, so n_L must be "
                f"{info.n_outputs}, not {n_L}"
            )
        if config.loss != "squared_error":
            raise InvalidInputError(f"dataset: {info.name!r} is a regression dataset; use loss 'squared_error'")


def matrix(rows: list[list[float]], shape: tuple[int, int], name: str) -> Array:
    n_rows, n_cols = shape
    if len(rows) != n_rows:
        raise InvalidInputError(f"{name} must have {n_rows} row(s), got {len(rows)}")
    for i, row in enumerate(rows):
        if len(row) != n_cols:
            raise InvalidInputError(f"{name} row {i} must have {n_cols} number(s), got {len(row)}")
    return np.array(rows, dtype=np.float64).reshape(shape)


def vector(values: list[float], size: int, name: str) -> Array:
    if len(values) != size:
        raise InvalidInputError(f"{name} must have {size} number(s), got {len(values)}")
    return np.array(values, dtype=np.float64)


def parameters(
    W: list[list[list[float]]], b: list[list[float]], sizes: Sequence[int]
) -> tuple[list[Array], list[Array]]:
    """W_k (n_k, n_{k-1}) and b_k (n_k,) from nested lists, every shape checked."""
    L = len(sizes) - 1
    if len(W) != L or len(b) != L:
        raise InvalidInputError(
            f"a network with L = {L} layer(s) needs {L} weight matrices and {L} bias vectors, got {len(W)} and {len(b)}"
        )
    W_arrays = [
        matrix(W[k - 1], (sizes[k], sizes[k - 1]), f"W_{k} (W[{k - 1}], n_{k} x n_{k - 1})") for k in range(1, L + 1)
    ]
    b_arrays = [vector(b[k - 1], sizes[k], f"b_{k} (b[{k - 1}], n_{k})") for k in range(1, L + 1)]
    return W_arrays, b_arrays


OPTIMIZER_STATE_KEYS = {key for name in OPTIMIZERS for key in (*state_keys(name), counter_key(name))}


def optimizer_state(
    state: dict[str, list[list[list[float]] | list[float]]], W: list[Array], b: list[Array]
) -> dict[str, list[Array]]:
    result: dict[str, list[Array]] = {}
    for key, arrays in state.items():
        if key not in OPTIMIZER_STATE_KEYS:
            raise InvalidInputError(
                f"optimizer_state: unknown key {key!r}; allowed: {', '.join(sorted(OPTIMIZER_STATE_KEYS))}"
            )
        if is_counter_key(key):
            with core_errors():
                counter = [np.array(a, dtype=np.float64) for a in arrays]
                check_counter(key, counter)
            result[key] = counter
            continue
        like = W if key.endswith("W") else b
        if len(arrays) != len(like):
            raise InvalidInputError(f"optimizer_state[{key!r}] must hold {len(like)} arrays, one per layer")
        converted = []
        for k, (array, param) in enumerate(zip(arrays, like, strict=True), start=1):
            name = f"optimizer_state[{key!r}][{k - 1}]"
            if param.ndim == 2:
                if not all(isinstance(row, list) for row in array):
                    raise InvalidInputError(f"{name} must be a matrix shaped like W_{k}")
                converted.append(matrix(array, param.shape, name))  # type: ignore[arg-type]
            else:
                if not all(isinstance(v, float) for v in array):
                    raise InvalidInputError(f"{name} must be a vector shaped like b_{k}")
                converted.append(vector(array, param.shape[0], name))  # type: ignore[arg-type]
        result[key] = converted
    return result


def optimizer(spec: schemas.OptimizerSpec) -> Optimizer:
    with core_errors():
        return Optimizer(**spec.model_dump())


# --- examples ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Examples:
    """A batch ready for the core: X (N, n_0) and, where needed, the targets."""

    X: Array
    targets: Targets | None


def _batch(x: list[list[float]] | list[float], n_0: int, settings: Settings) -> Array:
    rows: list[Any] = [x] if x and not isinstance(x[0], list) else x  # a flat list is one example
    if len(rows) == 0:
        raise InvalidInputError("x must hold at least one example")
    if len(rows) > settings.max_batch:
        raise InvalidInputError(f"x has {len(rows)} examples, more than max_batch = {settings.max_batch}")
    try:
        X = np.array(rows, dtype=np.float64)
    except ValueError:  # ragged rows; the loop below names the first bad one
        X = np.empty((0, 0))
    if X.shape != (len(rows), n_0):
        for i, row in enumerate(rows):
            if len(row) != n_0:
                raise InvalidInputError(
                    f"x[{i}] has {len(row)} number(s) but the network takes n_0 = {n_0} input(s) per example"
                )
    return X


def _targets(y: list[int] | list[list[float]], network: Network, N: int) -> Targets:
    n_L = network.config.sizes[-1]
    if len(y) != N:
        raise InvalidInputError(f"y has {len(y)} target(s) but x has {N} example(s)")
    arr: npt.NDArray[Any]
    if y and isinstance(y[0], list):
        try:
            arr = np.array(y, dtype=np.float64)
        except ValueError:  # ragged rows
            arr = np.empty((0, 0))
        if arr.shape != (N, n_L):
            for i, row in enumerate(y):
                assert isinstance(row, list)
                if len(row) != n_L:
                    raise InvalidInputError(
                        f"y[{i}] has {len(row)} number(s) but the network has n_L = {n_L} output(s)"
                    )
    else:
        try:
            arr = np.array(y, dtype=np.int64)
        except OverflowError:  # beyond int64 (2^63 and up): the core names the label and the range
            arr = np.array(y, dtype=object)
    with core_errors():
        return encode_targets(arr, n_L, network.config.loss, output=network.config.output)


def examples(request: schemas.ForwardRequest, entry: Entry, settings: Settings, *, need_targets: bool) -> Examples:
    network = entry.network
    if request.rows is not None:
        data = entry.dataset
        if data is None:
            raise InvalidInputError("rows: this network has no dataset attached; send x (and y) instead")
        X_split, y_split = (data.X_train, data.y_train) if request.split == "train" else (data.X_test, data.y_test)
        count = X_split.shape[0]
        if len(request.rows) > settings.max_batch:
            raise InvalidInputError(f"rows has {len(request.rows)} indices, more than max_batch = {settings.max_batch}")
        for i, r in enumerate(request.rows):
            if r >= count:
                raise InvalidInputError(
                    f"rows[{i}] = {r} is out of range: the {request.split} split has {count} row(s)"
                    + (f" (0..{count - 1})" if count else "")
                )
        idx = np.array(request.rows, dtype=np.intp)
        targets = None
        if need_targets:
            with core_errors():
                targets = encode_targets(
                    y_split[idx], network.config.sizes[-1], network.config.loss, output=network.config.output
                )
        return Examples(X_split[idx], targets)
    assert request.x is not None
    X = _batch(request.x, network.config.sizes[0], settings)
    if not need_targets:
        return Examples(X, None)
    assert isinstance(request, schemas.TargetsRequest) and request.y is not None
    return Examples(X, _targets(request.y, network, X.shape[0]))


def drop_g_prime_layer(layer: int | None, network: Network) -> int | None:
    if layer is None:
        return None
    L = network.config.L
    if L < 2:
        raise InvalidInputError("drop_g_prime_layer: this network has no hidden layer (L = 1)")
    if not 1 <= layer <= L - 1:
        raise InvalidInputError(f"drop_g_prime_layer must be a hidden layer 1..{L - 1}, got {layer}")
    return layer


def layers(requested: list[int] | None, network: Network) -> list[int]:
    L = network.config.L
    if requested is None:
        return list(range(1, L + 1))
    for k in requested:
        if not 1 <= k <= L:
            raise InvalidInputError(f"layers: layer {k} does not exist; this network has layers 1..{L}")
    return requested
