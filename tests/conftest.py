"""Shared by every test: servers and apps the tests start keep networks in memory only, unless a
test asks for persistence itself (tests/test_persistence.py, tests/test_docker.py)."""

from __future__ import annotations

import os

os.environ.setdefault("BACKPROP_PERSIST", "0")
