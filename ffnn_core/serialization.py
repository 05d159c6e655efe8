"""A network to and from a JSON-able dict, bit-exact.

Floats are written as Python floats (JSON numbers); Python's float repr round-trips every
float64 exactly, so to_dict -> json -> from_dict gives identical parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ffnn_core.network import Network, NetworkConfig, check_parameter_shapes
from ffnn_core.optimizers import COUNTER_SLOT, MAX_COUNT, OPTIMIZERS

FORMAT = "backprop-lab/network"
VERSION = 1


def config_to_dict(config: NetworkConfig) -> dict[str, Any]:
    return {
        "sizes": list(config.sizes),
        "activations": list(config.activations),
        "output": config.output,
        "loss": config.loss,
        "init": config.init,
        "init_scale": config.init_scale,
        "seed": config.seed,
    }


def config_from_dict(cfg: dict[str, Any]) -> NetworkConfig:
    """The inverse of ``config_to_dict``; KeyError/TypeError/ValueError for a malformed one."""
    return NetworkConfig(
        sizes=tuple(int(n) for n in cfg["sizes"]),
        activations=tuple(str(a) for a in cfg["activations"]),
        output=str(cfg["output"]),
        loss=str(cfg["loss"]),
        init=str(cfg["init"]),
        init_scale=float(cfg["init_scale"]),
        seed=int(cfg["seed"]),
    )


def network_to_dict(network: Network) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "config": config_to_dict(network.config),
        "W": [w.tolist() for w in network.W],
        "b": [v.tolist() for v in network.b],
        "step": network.step,
        "epoch": network.epoch,
        "optimizer_state": {k: [x.tolist() for x in v] for k, v in network.optimizer_state.items()},
    }


def network_from_dict(data: dict[str, Any], *, allow_non_finite: bool = False) -> Network:
    """Rebuild a network; raises ValueError with what is wrong for a malformed document.

    Imported documents must hold finite parameters; ``allow_non_finite`` restores a saved
    network exactly as it was, diverged included, so a restart loses nothing.
    """
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ValueError(f"not a network document: expected format {FORMAT!r} version {VERSION}")
    try:
        config = config_from_dict(data["config"])
        W = [np.array(w, dtype=np.float64) for w in data["W"]]
        b = [np.array(v, dtype=np.float64) for v in data["b"]]
        state = {str(k): [np.array(x, dtype=np.float64) for x in v] for k, v in data.get("optimizer_state", {}).items()}
        step, epoch = int(data.get("step", 0)), int(data.get("epoch", 0))
    except (KeyError, TypeError, OverflowError) as exc:
        raise ValueError(f"malformed network document: {exc}") from None
    check_parameter_shapes(config.sizes, W, b)
    if not allow_non_finite and any(not np.isfinite(p).all() for p in (*W, *b)):
        raise ValueError("network parameters must be finite numbers")
    for name, value in (("step", step), ("epoch", epoch)):
        check_count(name, value)
    for key, arrays in state.items():  # one array per W_k (keys ending in _W) or per b_k (_b)
        if is_counter_key(key):
            check_counter(key, arrays)
            continue
        params = W if key.endswith("_W") else b if key.endswith("_b") else None
        if params is None or [x.shape for x in arrays] != [p.shape for p in params]:
            raise ValueError(f"optimizer state {key!r} does not fit the parameters: one array per W_k or b_k")
    return Network(config=config, W=W, b=b, step=step, epoch=epoch, optimizer_state=state)


def check_count(name: str, value: int) -> None:
    """Counters (step, epoch, an optimiser's t) are whole numbers 0..MAX_COUNT (2^53 - 1)."""
    if not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{name} must be a whole number from 0 to {MAX_COUNT} (2^53 - 1), got {value}")


def is_counter_key(key: str) -> bool:
    """"adam.t" and the like: an optimiser's own update count, stored as [[t]]."""
    name, _, slot = key.partition(".")
    return slot == COUNTER_SLOT and name in OPTIMIZERS


def check_counter(key: str, arrays: list[np.ndarray]) -> None:
    value = float(arrays[0][0]) if len(arrays) == 1 and arrays[0].shape == (1,) else None
    if value is None or not value.is_integer():
        raise ValueError(f"optimizer state {key!r} must be [[t]]: one whole number, the optimiser's update count")
    check_count(key, int(value))
