"""Drive Backprop Lab over its REST API: build a network, run backward, print grad_W_1.

Start the server first (`bash scripts/serve.sh`), then: `.venv/bin/python examples/api_client.py`.
"""

import sys

import httpx

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/api/v1"

with httpx.Client(base_url=BASE) as api:
    network = api.post(
        "/networks",
        json={"sizes": [2, 3, 2], "activation": "tanh", "output": "softmax", "loss": "cross_entropy", "seed": 0},
    ).raise_for_status().json()
    trace = api.post(
        f"/networks/{network['id']}/backward",
        json={"x": [[0.5, -1.0], [1.0, 0.25]], "y": [0, 1]},  # two examples (rows) and their class labels
    ).raise_for_status().json()
    print("loss:", trace["loss"])
    print("grad_W_1 (n_1 x n_0):", trace["grad_W"][0])  # index k-1 holds layer k
    api.delete(f"/networks/{network['id']}")
