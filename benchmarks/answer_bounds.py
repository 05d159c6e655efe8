"""The largest answer of each route at the default limits (max_width 256, max_parameters 100 000,
max_batch 1000, max_surface_resolution 200, max_layers 10, max_epochs 1000, ...), as app/answers.py
estimates it before any work, and whether the default max_answer_bytes (32 MB) refuses it.

For each route: the request that makes its answer largest, the estimate (an upper bound), and
with --measure the real size of that answer (the request run on an in-process app whose
max_answer_bytes is raised out of the way; answers whose estimate is above --measure-limit-mb are
not run, as a 200 x 200 surface of 256 outputs is 214 MB of JSON).

    .venv/bin/python benchmarks/answer_bounds.py             # estimates only, a second
    .venv/bin/python benchmarks/answer_bounds.py --measure   # and the real sizes, about a minute
"""

from __future__ import annotations

import argparse
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("BACKPROP_PERSIST", "0")

from app import answers
from app.main import create_app
from app.settings import Settings
from ffnn_core import Network, network_from_dict

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
DEFAULTS = Settings(persist=False)
MB = 1e6

# The widest networks the default limits allow for each kind of answer (max_parameters 100 000).
WIDE_OUT = {"sizes": [2, 256, 256], "output": "linear", "loss": "squared_error"}  # 66 304 parameters
DIGITS = {"sizes": [64, 256, 256, 10], "dataset": {"name": "digits"}}  # 85 002
WIDE_MID = {"sizes": [2, 256, 256, 2], "dataset": {"name": "moons", "n": 5000}}  # 67 074
DEEP = {"sizes": [2] + [8] * 9 + [2], "dataset": {"name": "moons", "n": 5000}}  # L = 10
BIG = {"sizes": [256, 256, 128, 10], "output": "linear", "loss": "squared_error"}  # 99 978


def _rows(n: int) -> dict[str, Any]:
    return {"rows": list(range(n))}


def _x(n_0: int, N: int) -> list[list[float]]:
    return [[((0.37 * n + 0.11 * j) % 2) - 1 for j in range(n_0)] for n in range(N)]


Case = tuple[str, str, dict[str, Any], Callable[[Network, Settings], int], Callable[[TestClient, str], Any]]


def _cases() -> list[Case]:
    """(route, request, network, estimate, run): run answers the request on a network of that config."""
    x = _x(64, 1000)
    y = [n % 10 for n in range(1000)]
    trace = {"x": x, "y": y}
    # fmt: off
    return [
        ("GET /surface", "resolution 200, n_L = 256", WIDE_OUT,
         lambda net, s: answers.check_surface(net, 200, s),
         lambda c, u: c.get(f"{u}/surface", params={"resolution": 200})),
        ("POST /forward", "1000 rows", DIGITS,
         lambda net, s: answers.check_trace(net, 1000, s, backward=False),
         lambda c, u: c.post(f"{u}/forward", json={"x": x})),
        ("POST /backward", "1000 rows", DIGITS,
         lambda net, s: answers.check_trace(net, 1000, s, backward=True),
         lambda c, u: c.post(f"{u}/backward", json=trace)),
        ("POST /step", "1000 rows, adam", DIGITS,
         lambda net, s: answers.check_trace(net, 1000, s, backward=True, step=True),
         lambda c, u: c.post(f"{u}/step", json={**trace, "optimizer": {"name": "adam", "eta": 0.01}})),
        ("POST /contributions", "1000 rows, layer 2", WIDE_MID,
         lambda net, s: answers.check_contributions(net, 1000, 2, s),
         lambda c, u: c.post(f"{u}/contributions", json={**_rows(1000), "layer": 2})),
        ("POST /gradcheck", "2000 entries (max_gradcheck_entries)", WIDE_MID,
         lambda net, s: answers.check_gradcheck(net, 2000, s),
         lambda c, u: c.post(f"{u}/gradcheck", json={**_rows(1), "max_entries": 400})),
        ("POST /paths", "1000 paths of W_1, L = 10", DEEP,
         lambda net, s: answers.check_paths(net, 1, 1000, s),
         lambda c, u: c.post(f"{u}/paths", json={**_rows(1000), "layer": 1, "i": 0, "j": 0, "max_paths": 1000})),
        ("POST /derivation", "grad_W over 1000 rows", WIDE_MID,
         lambda net, s: answers.check_derivation(net, "grad_W", 2, 1000, s),
         lambda c, u: c.post(f"{u}/derivation", json={**_rows(1000), "quantity": "grad_W", "layer": 2,
                                                      "index": [0, 0]})),
        ("POST /blame", "256 terms", WIDE_MID,
         lambda net, s: answers.check_blame(net, s),
         lambda c, u: c.post(f"{u}/blame", json={**_rows(1), "layer": 1, "j": 0})),
        ("POST /diagnostics", "L = 10", DEEP,
         lambda net, s: answers.check_diagnostics(net, s),
         lambda c, u: c.post(f"{u}/diagnostics", json=_rows(1000))),
        ("POST /what-if", "200 etas", DEEP,
         lambda net, s: answers.check_what_if(200, s),
         lambda c, u: c.post(f"{u}/what-if", json={**_rows(1000), "etas": [i * 0.0123456789 for i in range(200)]})),
        ("POST /projection", "5000 rows, h_1 of 256", WIDE_MID,
         lambda net, s: answers.check_projection(net, 1, 5000, s),
         lambda c, u: c.post(f"{u}/projection", json={"layer": 1})),
        ("GET /evaluation", "3750 train rows", WIDE_MID,
         lambda net, s: answers.check_evaluation(3750, 2, s),
         lambda c, u: c.get(f"{u}/evaluation", params={"split": "train"})),
        ("POST /train", "1000 epochs, L = 10", DEEP,
         lambda net, s: answers.check_history(net, 1000, s),
         lambda c, u: c.post(f"{u}/train", json={"epochs": 1000, "batch_size": 5000})),
        ("train/stream snapshot", "surface 200, 1000 traced rows", WIDE_MID,
         lambda net, s: answers.check_snapshot(net, 200, 1000, s), None),
        ("GET /datasets/digits", "1797 points of 64", DIGITS,
         lambda net, s: answers.check_dataset(1797, 64, 1, s),
         lambda c, u: c.get(f"{API}/datasets/digits", params={"standardize": True})),
        ("GET /networks/{id}", "99 978 parameters", BIG,
         lambda net, s: answers.check_network(net.config, s),
         lambda c, u: c.get(u)),
        ("GET /export", "99 978 parameters, adam state", BIG,
         lambda net, s: answers.check_network(net.config, s, {f"adam.{k}": [*net.W, *net.b] for k in "mv"}),
         lambda c, u: (c.post(f"{u}/step", json={"x": _x(256, 2), "y": [[0.0] * 10] * 2,
                                                "optimizer": {"name": "adam", "eta": 0.01}}), c.get(f"{u}/export"))[1]),
    ]
    # fmt: on


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measure", action="store_true", help="also run each request and measure its answer")
    parser.add_argument("--measure-limit-mb", type=float, default=100.0, help="run only answers estimated below this")
    args = parser.parse_args()
    unbounded = Settings(persist=False, max_answer_bytes=10**12, max_gradcheck_work=10**13, max_body_bytes=10**8,
                         gc_freeze=False)  # fmt: skip
    limit = DEFAULTS.max_answer_bytes
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"default max_answer_bytes = {limit} ({limit / MB:.0f} MB); load average {load}")
    print(f"{'route':<24}{'largest request at the default limits':<40}{'estimate MB':>12}{'real MB':>10}  at defaults")
    with TestClient(create_app(unbounded)) as client:
        urls: dict[str, str] = {}
        for route, request, config, estimate, run in _cases():
            key = repr(config)
            if key not in urls:
                created = client.post(f"{API}/networks", json={"activation": "tanh", **config})
                assert created.status_code == 201, created.text
                urls[key] = f"{API}/networks/{created.json()['id']}"
            url = urls[key]
            network = network_from_dict(client.get(f"{url}/export").json(), allow_non_finite=True)
            bound = estimate(network, unbounded)
            real = "-"
            if args.measure and run is not None and bound <= args.measure_limit_mb * MB:
                response = run(client, url)
                assert response.status_code == 200, response.text[:200]
                real = f"{len(response.content) / MB:.3f}"
            verdict = "refused (422)" if bound > limit else "answered"
            print(f"{route:<24}{request:<40}{bound / MB:>12.3f}{real:>10}  {verdict}")


if __name__ == "__main__":
    main()
