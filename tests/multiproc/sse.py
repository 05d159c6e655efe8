"""A small server-sent-events reader over httpx, for streams read in a background thread."""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

import httpx


class StreamReader:
    """POSTs a training stream and puts each (event, data) on ``events`` as it arrives."""

    def __init__(self, url: str, body: dict[str, Any]) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.status: int | None = None
        self._thread = threading.Thread(target=self._run, args=(url, body), daemon=True)
        self._thread.start()

    def _run(self, url: str, body: dict[str, Any]) -> None:
        try:
            with httpx.Client(timeout=60) as client, client.stream("POST", url, json=body) as response:
                self.status = response.status_code
                kind = None
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: ") and kind is not None:
                        self.events.put((kind, json.loads(line[6:])))
                        kind = None
        except httpx.HTTPError as exc:  # the server went away mid-stream
            self.events.put(("closed", str(exc)))
        self.events.put(("closed", None))

    def next(self, kind: str | None = None, timeout: float = 30.0) -> tuple[str, Any]:
        """The next event (of ``kind``, skipping others)."""
        while True:
            event = self.events.get(timeout=timeout)
            if kind is None or event[0] in (kind, "closed"):
                return event

    def join(self, timeout: float = 30.0) -> None:
        self._thread.join(timeout)
