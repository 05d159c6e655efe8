"""``HotRoutes``: an ASGI middleware serving the hot computation routes before FastAPI's routing.

forward, backward and step of a small network take less time than FastAPI's routing and
per-request wrappers around them. This middleware matches ``POST .../{forward|backward|step}``
itself and calls the very handler those routes use (``LeanRoute.get_route_handler``), so the
answer is the same. Whatever is not a plain success (an unknown id, an invalid body, a request
that does not fit the network) is handed to the app with the same body, and the app answers
it the usual way; nothing has changed by then, because handlers validate before they change
anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import InvalidInputError
from app.middleware import BodyTooLarge, reject
from app.routes.lean import Handler, LeanRoute
from app.store import UnknownNetworkError

_HANDED_TO_APP = (UnknownNetworkError, RequestValidationError, InvalidInputError)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the whole body once, then whatever the connection says."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _read_body(receive: Receive) -> bytes | None:
    """The request body, or None if the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


class HotRoutes:
    def __init__(self, app: ASGIApp, prefix: str, routes: Iterable[BaseRoute]) -> None:
        self.app = app
        self.routes = [
            (compile_path(prefix + route.path)[0], route.get_route_handler())
            for route in routes
            if isinstance(route, LeanRoute) and route.methods == {"POST"}
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = scope["path"]
            for regex, handler in self.routes:
                match = regex.match(path)
                if match is not None:
                    await self._serve(handler, match.groupdict(), scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _serve(
        self, handler: Handler, params: dict[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        try:
            body = await _read_body(receive)
        except BodyTooLarge as exc:
            await reject(send, exc.status_code, exc.detail)
            return
        if body is None:
            return
        scope["path_params"] = params
        try:
            response = await handler(Request(scope, _replay(body, receive)))
        except _HANDED_TO_APP:
            await self.app(scope, _replay(body, receive), send)
            return
        await response(scope, receive, send)
