"""A network's whole state as one binary record: what every store backend keeps per network.

Layout: a 4-byte little-endian length, that many bytes of JSON (the config, the dataset spec,
the counters and the optimiser state's keys with their arrays' shapes), then every array as raw
little-endian float64 in a fixed order: W_1..W_L, b_1..b_L (shapes from the config), then each
optimiser-state key's arrays, keys sorted. Numbers round-trip bit-exactly, NaN and infinity
included (a diverged network is kept as it was).
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np
import orjson

from ffnn_core import Network, NetworkConfig
from ffnn_core.numerics import Array
from ffnn_core.serialization import config_from_dict, config_to_dict

FORMAT = "backprop-lab/record"
VERSION = 1
_HEADER = struct.Struct("<I")
_FLOAT = np.dtype("<f8")


def encode(network: Network, dataset: dict[str, Any] | None) -> bytes:
    """The record of a network and its dataset spec (``DatasetSpec.as_dict()`` or None)."""
    state_keys = sorted(network.optimizer_state)
    state_shapes = {key: [list(a.shape) for a in network.optimizer_state[key]] for key in state_keys}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "config": config_to_dict(network.config),
        "dataset": dataset,
        "step": network.step,
        "epoch": network.epoch,
        "state": state_shapes,
    }
    head = orjson.dumps(meta)
    arrays = [*network.W, *network.b, *(a for key in state_keys for a in network.optimizer_state[key])]
    return b"".join([_HEADER.pack(len(head)), head, *(np.ascontiguousarray(a, dtype=_FLOAT).tobytes() for a in arrays)])


def header_size(record_head: bytes) -> int:
    """How many bytes at the start of a record hold its header (the length and the JSON)."""
    try:
        (n_head,) = _HEADER.unpack_from(record_head)
    except struct.error as exc:
        raise ValueError(f"malformed network record: {exc}") from None
    return int(_HEADER.size + n_head)


def check(record_head: bytes, size: int) -> None:
    """ValueError unless a record of ``size`` bytes that starts with ``record_head`` (at least its
    ``header_size``) decodes: the header alone says what its numbers must be, so the arrays need
    not be read (a start-up audit of many large networks stays fast)."""
    _meta, _config, shapes, n_head = _layout(record_head)
    expected = _HEADER.size + n_head + _FLOAT.itemsize * sum(math.prod(shape) for shape in shapes)
    if size != expected:
        raise ValueError("the record's numbers do not fit its config")


def _layout(record: bytes) -> tuple[dict[str, Any], NetworkConfig, list[tuple[int, ...]], int]:
    """The header's fields, the config, every array's shape in order, and the JSON's length."""
    try:
        (n_head,) = _HEADER.unpack_from(record)
        meta = orjson.loads(record[_HEADER.size : _HEADER.size + n_head])
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise ValueError(f"not a network record (expected {FORMAT} version {VERSION})")
        config = config_from_dict(meta["config"])
        sizes = config.sizes
        shapes: list[tuple[int, ...]] = [(sizes[k], sizes[k - 1]) for k in range(1, len(sizes))]
        shapes += [(sizes[k],) for k in range(1, len(sizes))]
        for key in sorted(meta["state"]):
            shapes += [tuple(int(n) for n in shape) for shape in meta["state"][key]]
        meta["step"], meta["epoch"] = int(meta["step"]), int(meta["epoch"])
    except (struct.error, orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed network record: {exc}") from None
    return meta, config, shapes, int(n_head)


def decode(record: bytes) -> tuple[Network, dict[str, Any] | None]:
    """The network and dataset spec of a record; ValueError for bytes that are not one."""
    meta, config, shapes, n_head = _layout(record)
    sizes = config.sizes
    state_shapes: dict[str, list[list[int]]] = meta["state"]
    numbers = np.frombuffer(record, dtype=_FLOAT, offset=_HEADER.size + n_head)
    arrays: list[Array] = []
    offset = 0
    for shape in shapes:
        count = int(np.prod(shape))
        arrays.append(numbers[offset : offset + count].reshape(shape).copy())
        offset += count
    if offset != numbers.size:
        raise ValueError("the record's numbers do not fit its config")
    L = len(sizes) - 1
    state: dict[str, list[Array]] = {}
    at = 2 * L
    for key in sorted(state_shapes):
        state[key] = arrays[at : at + len(state_shapes[key])]
        at += len(state_shapes[key])
    network = Network(
        config=config, W=arrays[:L], b=arrays[L : 2 * L], step=int(meta["step"]), epoch=int(meta["epoch"]),
        optimizer_state=state,
    )  # fmt: skip
    dataset = meta["dataset"]
    return network, dataset if isinstance(dataset, dict) else None
