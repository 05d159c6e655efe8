"""``LeanRoute``: how the hot computation routes are served.

Their endpoints have the form ``async def endpoint(session: NetworkDep, body: Annotated[Model, Body(...)])``.
FastAPI builds their OpenAPI description from that signature as usual; serving them skips
FastAPI's general per-request machinery (dependency solving, ``json.loads`` then validation),
which costs more than the math of a small network. Instead the handler looks the network up
with the same ``get_network`` (unknown id -> 404 first, as with FastAPI) and parses and validates
the body in one strict pass with pydantic (``model_validate_json``). Errors are raised as
``RequestValidationError`` with ``body`` locations, so they are answered exactly like FastAPI's.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Coroutine
from email.message import Message
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from app.deps import Session, get_network

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Endpoint = Callable[..., Coroutine[Any, Any, Response]]


def _body_model(endpoint: Callable[..., Any]) -> type[BaseModel]:
    hint = typing.get_type_hints(endpoint, include_extras=True)["body"]
    model = typing.get_args(hint)[0] if typing.get_origin(hint) is typing.Annotated else hint
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{endpoint.__qualname__}: the body parameter must be a pydantic model")
    return model


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return False
    if content_type.startswith("application/json"):  # the usual case, without parsing
        return True
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


class LeanRoute(APIRoute):
    """An APIRoute for ``endpoint(session, body)`` served without FastAPI's dependency solving."""

    def get_route_handler(self) -> Handler:
        endpoint: Endpoint = self.endpoint
        model = _body_model(endpoint)

        async def handler(request: Request) -> Response:
            session: Session = await get_network(request, request.path_params["network_id"])
            raw = await request.body()
            if not raw:
                raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
            if not _is_json(request.headers.get("content-type")):
                raise RequestValidationError(
                    [{"type": "model_attributes_type", "loc": ("body",), "msg": "not JSON", "input": raw}]
                )
            try:
                body = model.model_validate_json(raw)
            except ValidationError as exc:
                raise RequestValidationError(
                    [{**err, "loc": ("body", *err["loc"])} for err in exc.errors(include_url=False)]
                ) from None
            return await endpoint(session=session, body=body)

        return handler
