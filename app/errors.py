"""Errors as JSON: every 4xx body is ``{"detail": "<what is wrong and what is allowed>"}``.

Request validation errors (422) also keep pydantic's list under ``errors``. Core ValueErrors
are turned into ``InvalidInputError`` (422) where the routes call the core.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from app.encoding import json_response
from app.store import UnknownNetworkError

logger = logging.getLogger("backprop_lab.errors")

MAX_LISTED_ERRORS = 5
_LOC_ROOTS = {"body", "query", "path", "header", "cookie"}
_TYPE_TAGS = {"int", "float", "str", "bool", "list", "dict", "none", "nullable"}


class InvalidInputError(Exception):
    """A request that is well formed but cannot be used (422); the message says why."""

    def __init__(self, message: str, status_code: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@contextmanager
def core_errors() -> Iterator[None]:
    """Turn the core's ValueErrors (bad shapes, labels out of range, ...) into 422s."""
    try:
        yield
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and (any(c in part for c in "[]()'") or part in _TYPE_TAGS)


def _path(loc: Sequence[Any]) -> str:
    """("body", "x", "list[...]", 0, 1) -> "x[0][1]"."""
    out = ""
    for i, part in enumerate(loc):
        if i == 0 and part in _LOC_ROOTS:
            continue
        if _is_union_tag(part):
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _collapse_unions(errors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of the alternatives of a union, keep the errors of the branch that fits best.

    ``[[1e400]]`` against ``x: Matrix | Vector`` fails in both branches; the Matrix branch got
    deeper, so only "x[0][0]: Input should be a finite number" is reported.
    """
    groups: dict[tuple[Any, ...], dict[Any, list[dict[str, Any]]]] = {}
    order: list[tuple[str, Any]] = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        tag_at = next((i for i, part in enumerate(loc) if _is_union_tag(part)), None)
        if tag_at is None:
            order.append(("plain", err))
            continue
        prefix, tag = loc[:tag_at], loc[tag_at]
        if prefix not in groups:
            groups[prefix] = {}
            order.append(("group", prefix))
        groups[prefix].setdefault(tag, []).append(err)
    kept: list[dict[str, Any]] = []
    for kind, item in order:
        if kind == "plain":
            kept.append(item)
            continue
        branches = groups[item]
        # deepest first; on a tie, the branch with fewer errors (it fits the input better)
        best = max(branches.values(), key=lambda errs: (max(len(e.get("loc", ())) for e in errs), -len(errs)))
        kept.extend(best)
    return kept


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid"))
    loc = tuple(err.get("loc", ()))
    path = _path(loc)
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "json_invalid":
        ctx = err.get("ctx") or {}
        where = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        return f"the request body is not valid JSON{where}: {ctx.get('error', msg)}"
    if path == "" and loc[:1] == ("body",):
        if kind == "missing":
            return "a JSON request body is required"
        if isinstance(err.get("input"), bytes | bytearray):
            return "the request body must be JSON, sent with Content-Type: application/json"
        if kind in {"model_attributes_type", "dict_type", "model_type"}:
            return "the request body must be a JSON object"
        return msg
    if kind == "extra_forbidden":
        return f"{path}: unknown field (not allowed here)"
    return f"{path}: {msg}" if path else msg


def describe(errors: Sequence[dict[str, Any]]) -> str:
    """One human sentence for a list of pydantic errors."""
    messages: list[str] = []
    for err in _collapse_unions(errors):
        text = _message(err)
        if text not in messages:
            messages.append(text)
    shown = "; ".join(messages[:MAX_LISTED_ERRORS])
    more = len(messages) - MAX_LISTED_ERRORS
    return f"invalid request: {shown}" + (f" (and {more} more)" if more > 0 else "")


def _error_items(errors: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "type": str(err.get("type", "")),
            "loc": [p if isinstance(p, int) else str(p) for p in err.get("loc", ())],
            "msg": str(err.get("msg", "")),
        }
        for err in errors
    ]


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    return json_response({"detail": describe(errors), "errors": _error_items(errors)}, 422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 405:
        detail = f"method {request.method} is not allowed here; allowed: {(exc.headers or {}).get('Allow', '')}"
    return json_response({"detail": detail}, exc.status_code, headers=dict(exc.headers or {}))


async def _invalid_input(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidInputError)
    return json_response({"detail": exc.message}, exc.status_code)


async def _unknown_network(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UnknownNetworkError)
    ttl = request.app.state.settings.ttl_seconds
    return json_response(
        {
            "detail": f"no network with id {exc.network_id!r}: it never existed, was deleted, "
            f"or expired after {ttl:g} s without use"
        },
        404,
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return json_response({"detail": "internal server error"}, 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(UnknownNetworkError, _unknown_network)
    app.add_exception_handler(Exception, _server_error)
