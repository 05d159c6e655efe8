"""Client tests drive a live server as another tool would (a notebook, a generated client)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .support import checkout_server


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    with checkout_server() as url:
        yield url
