"""The one encoder: an array gives the same bytes in any memory order (the core keeps some arrays by
column), and a float64 array the bytes of its nested lists, non-finite numbers as null."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from app import encoding


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_])
def test_an_array_encodes_the_same_in_any_memory_order(dtype: type) -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(6, 5)) * 10.0 ** rng.integers(-300, 300, size=(6, 5))
    values[0, 0], values[1, 1], values[2, 2], values[3, 3] = np.nan, np.inf, -np.inf, -0.0
    with np.errstate(all="ignore"):
        array = values.astype(dtype)
    for view in (array, np.asfortranarray(array), array[::2, 1:], array.T, array.T[np.newaxis]):
        encoded = encoding.dumps({"x": view})
        assert encoded == encoding.dumps({"x": np.ascontiguousarray(view)})
        if dtype is np.float64:
            assert encoded == orjson.dumps({"x": view.tolist()})  # NaN and +-inf: null
            assert b"null" in encoded or view.size < 30
