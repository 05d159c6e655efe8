"""A network's whole state as one binary record: what every store backend keeps per network.

Layout: a 4-byte little-endian length, that many bytes of JSON (the config, the dataset spec,
the counters and the optimiser state's keys with their arrays' shapes), then every array as raw
little-endian float64 in a fixed order: W_1..W_L, b_1..b_L (shapes from the config), then each
optimiser-state key's arrays, keys sorted. Numbers round-trip bit-exactly, NaN and infinity
included (a diverged network is kept as it was).
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson

from ffnn_core import Network
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


def decode(record: bytes) -> tuple[Network, dict[str, Any] | None]:
    """The network and dataset spec of a record; ValueError for bytes that are not one."""
    try:
        (n_head,) = _HEADER.unpack_from(record)
        meta = orjson.loads(record[_HEADER.size : _HEADER.size + n_head])
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise ValueError(f"not a network record (expected {FORMAT} version {VERSION})")
        config = config_from_dict(meta["config"])
        sizes = config.sizes
        W_shapes = [(sizes[k], sizes[k - 1]) for k in range(1, len(sizes))]
        b_shapes = [(sizes[k],) for k in range(1, len(sizes))]
        state_shapes: dict[str, list[list[int]]] = meta["state"]
        shapes: list[tuple[int, ...]] = [*W_shapes, *b_shapes]
        for key in sorted(state_shapes):
            shapes += [tuple(int(n) for n in shape) for shape in state_shapes[key]]
        numbers = np.frombuffer(record, dtype=_FLOAT, offset=_HEADER.size + n_head)
        arrays: list[Array] = []
        offset = 0
        for shape in shapes:
            count = int(np.prod(shape))
            arrays.append(numbers[offset : offset + count].reshape(shape).copy())
            offset += count
        if offset != numbers.size:
            raise ValueError("the record's numbers do not fit its config")
    except (struct.error, orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed network record: {exc}") from None
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
