#!/usr/bin/env bash
# Install what the app needs (into .venv) and serve it on http://127.0.0.1:8000.
# Extra arguments go to `backprop-lab serve` (e.g. --host 0.0.0.0 --port 9000).
source "$(dirname "$0")/_env.sh"
exec .venv/bin/backprop-lab serve "$@"
