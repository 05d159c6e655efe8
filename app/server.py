"""The HTTP server's own limits, below the app: header size, header and body read time, connections.

uvicorn (with httptools) accepts headers of any size and waits for ever for a request's headers or
body, so a few hundred half-open connections hold a server. ``GuardedH11Protocol`` is uvicorn's
h11 protocol with three checks, each answered with a JSON 4xx that names its setting, then closed:
- the request line and headers may take at most ``header_max_bytes`` (431),
- they must arrive within ``header_timeout_seconds`` of the connection (or of the previous
  response) (408),
- the body must arrive within ``body_timeout_seconds`` of the headers (408).
``max_connections`` is uvicorn's ``limit_concurrency``: beyond it new requests get 503.
``backprop-lab serve`` (and so the Docker image) runs with these; see app/settings.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.settings import Settings


def _raw_response(status: int, reason: str, detail: str) -> bytes:
    body = json.dumps({"detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header size limit and header/body read timeouts."""

    header_max_bytes = 65_536
    header_timeout_seconds = 10.0
    body_timeout_seconds = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timer: asyncio.TimerHandle | None = None
        self._reading: str | None = None  # "headers" or "body" while a timer runs
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # still reading a request line and headers
            self._header_bytes += len(data)
            if self._header_bytes > self.header_max_bytes:
                self._refuse(
                    431,
                    "Request Header Fields Too Large",
                    f"the request line and headers are larger than {self.header_max_bytes} bytes (header_max_bytes)",
                )
                return
            if self._reading is None:
                self._arm("headers")
        super().data_received(data)
        self._follow_state()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._header_bytes = 0  # the next request on this connection starts afresh (keep-alive timer runs)
        self._follow_state()

    def _follow_state(self) -> None:
        state = self.conn.their_state
        if state is h11.SEND_BODY and self._reading != "body":
            self._header_bytes = 0
            self._arm("body")
        elif state is not h11.IDLE and state is not h11.SEND_BODY:
            self._disarm()  # the request is in: no read timer while the app works and answers

    def _arm(self, what: str) -> None:
        self._disarm()
        seconds = self.header_timeout_seconds if what == "headers" else self.body_timeout_seconds
        self._reading = what
        self._read_timer = self.loop.call_later(seconds, self._timed_out, what, seconds)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
        self._read_timer = None
        self._reading = None

    def _timed_out(self, what: str, seconds: float) -> None:
        self._read_timer = None
        if what == "headers" and self.conn.their_state is h11.IDLE and self._header_bytes == 0:
            self._close()  # an idle connection that never started a request: nothing to answer
            return
        setting = "header_timeout_seconds" if what == "headers" else "body_timeout_seconds"
        self._refuse(408, "Request Timeout", f"the request {what} did not arrive within {seconds:g} s ({setting})")

    def _refuse(self, status: int, reason: str, detail: str) -> None:
        self._disarm()
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_raw_response(status, reason, detail))
        self._close()

    def _close(self) -> None:
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the app's receive() answers http.disconnect
            self.cycle.message_event.set()
        self.transport.close()


def protocol_class(settings: Settings) -> type[GuardedH11Protocol]:
    """The protocol with this server's limits."""
    return type(
        "ConfiguredH11Protocol",
        (GuardedH11Protocol,),
        {
            "header_max_bytes": settings.header_max_bytes,
            "header_timeout_seconds": settings.header_timeout_seconds,
            "body_timeout_seconds": settings.body_timeout_seconds,
        },
    )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of uvicorn.run / uvicorn.Config for these limits."""
    return {
        "http": protocol_class(settings),
        "h11_max_incomplete_event_size": settings.header_max_bytes + 1024,  # h11's own cap, behind ours
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": 5,
    }


def __getattr__(name: str) -> Any:
    """``app.server:EnvironmentH11Protocol``: the protocol with the limits of this process's settings
    (BACKPROP_... variables), found by name, so that each worker process of `serve --workers N` builds
    its own (a class made at run time cannot be sent to another process)."""
    if name == "EnvironmentH11Protocol":
        protocol = protocol_class(Settings())
        globals()[name] = protocol
        return protocol
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
