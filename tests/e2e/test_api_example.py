"""The README's API example runs against a live server and prints grad_W_1 of the right shape."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "api_client.py"


def test_readme_api_example_prints_grad_W_1(live_server: str) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), f"{live_server}/api/v1"], capture_output=True, text=True, timeout=60, check=True
    )
    lines = dict(line.split(": ", 1) for line in done.stdout.strip().splitlines())
    assert float(lines["loss"]) > 0
    grad_W_1 = ast.literal_eval(lines["grad_W_1 (n_1 x n_0)"])
    assert len(grad_W_1) == 3 and all(len(row) == 2 for row in grad_W_1)
