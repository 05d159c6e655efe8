"""Sizes of large JSON answers before and after gzip, and the CPU time of compressing them at a
few levels (the app uses app.main.GZIP_LEVEL), on an in-process app: the digits dataset, and a
[64, 32, 10] backward pass on 256 rows, in full and with ?fields=grad_W,grad_b.

    .venv/bin/python benchmarks/bench_gzip.py
"""

from __future__ import annotations

import gzip
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("BACKPROP_PERSIST", "0")

from app.main import GZIP_LEVEL, create_app
from app.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

REPEATS = 5


def _compress_ms(body: bytes, level: int) -> tuple[int, float]:
    start = time.perf_counter()
    for _ in range(REPEATS):
        packed = gzip.compress(body, compresslevel=level)
    return len(packed), (time.perf_counter() - start) / REPEATS * 1000


def main() -> None:
    client = TestClient(create_app(Settings(persist=False, max_batch=256)))
    api = "/api/v1"
    net = client.post(f"{api}/networks", json={"sizes": [64, 32, 10], "dataset": {"name": "digits"}}).json()
    rows = {"rows": list(range(256))}
    answers = {
        "GET /datasets/digits": client.get(f"{api}/datasets/digits", headers={"Accept-Encoding": "identity"}),
        "backward [64,32,10], 256 rows": client.post(
            f"{api}/networks/{net['id']}/backward", json=rows, headers={"Accept-Encoding": "identity"}
        ),
        "backward ?fields=grad_W,grad_b": client.post(
            f"{api}/networks/{net['id']}/backward?fields=grad_W,grad_b", json=rows,
            headers={"Accept-Encoding": "identity"},
        ),
    }  # fmt: skip
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}; app level = {GZIP_LEVEL}")
    print(f"{'answer':34s} {'JSON':>11s} {'level':>5s} {'gzipped':>10s} {'ratio':>6s} {'ms':>7s}")
    for name, response in answers.items():
        body = response.content
        assert response.status_code == 200 and "content-encoding" not in response.headers, name
        for level in sorted({1, GZIP_LEVEL, 6, 9}):
            size, ms = _compress_ms(body, level)
            print(f"{name:34s} {len(body):>11,d} {level:>5d} {size:>10,d} {size / len(body):>6.1%} {ms:>7.1f}")
    served = client.post(f"{api}/networks/{net['id']}/backward", json=rows, headers={"Accept-Encoding": "gzip"})
    assert served.headers["content-encoding"] == "gzip"  # the app compresses it itself


if __name__ == "__main__":
    main()
