"""Errors as JSON: every 4xx body is ``{"detail": "<what is wrong and what is allowed>"}``.

Request validation errors (422) also keep pydantic's list under ``errors``. Core ValueErrors
are turned into ``InvalidInputError`` (422) where the routes call the core.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import compile_path

from app.admission import StoreFullError, TooManyCreationsError
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


_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class RouteMethods:
    """Every method declared for each path of some routers, for complete ``Allow`` headers: a
    405 from Starlette lists only the methods of the first route whose path matched."""

    def __init__(self, prefix: str, routers: Iterable[APIRouter]) -> None:
        self._routes = [
            (compile_path(prefix + route.path)[0], frozenset(route.methods or ()))
            for router in routers
            for route in router.routes
            if isinstance(route, APIRoute)
        ]

    def allowed(self, path: str) -> str | None:
        methods: set[str] = set()
        for regex, route_methods in self._routes:
            if regex.match(path):
                methods |= route_methods
        return ", ".join(m for m in _METHOD_ORDER if m in methods) or None


def _not_found(request: Request) -> str:
    parts = request.url.path.split("/")
    settings = request.app.state.settings
    if request.url.path.startswith("/api/v1/networks/") and len(parts) > 4:
        return (
            f"no network with id {parts[4]!r}: it never existed, was deleted, or expired after "
            f"{settings.ttl_seconds:g} s without use (ids are 32 hex characters)"
        )
    return f"no such path: {request.url.path} (the API is under /api/v1; see /docs)"


FASTAPI_PARSE_ERROR = "There was an error parsing the body"
INT_DIGITS_LIMIT = sys.get_int_max_str_digits()


def unparseable_body(cause: BaseException | None) -> str:
    """What is wrong with a body json.loads could not read, beyond a JSONDecodeError (FastAPI
    answers those itself, with the position): too deep, not UTF-8, or a number too long."""
    if isinstance(cause, RecursionError):
        return (
            "the request body is not valid JSON here: it is nested too deeply for the parser "
            f"(Python's recursion limit, {sys.getrecursionlimit()} levels; request bodies here nest at most 6 levels)"
        )
    if isinstance(cause, UnicodeDecodeError):
        return (
            f"the request body is not valid JSON: it is not UTF-8 text (byte {cause.object[cause.start]:#04x} "
            f"at position {cause.start} cannot be decoded); send UTF-8 JSON with Content-Type: application/json"
        )
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return (
            "the request body is not valid JSON here: it holds an integer of more than "
            f"{INT_DIGITS_LIMIT} digits (the parser's limit; no field accepts a number that large)"
        )
    return f"the request body is not valid JSON: {cause}" if cause is not None else "the request body is not valid JSON"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 400 and detail == FASTAPI_PARSE_ERROR:
        # as a JSONDecodeError is answered: 422 json_invalid, with the reason
        message = unparseable_body(exc.__cause__)
        item = {"type": "json_invalid", "loc": ["body"], "msg": message}
        return json_response({"detail": f"invalid request: {message}", "errors": [item]}, 422)
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = _not_found(request)
    if exc.status_code == 405:
        table: RouteMethods | None = getattr(request.app.state, "route_methods", None)
        allowed = (table.allowed(request.url.path) if table is not None else None) or headers.get("Allow", "")
        headers["Allow"] = allowed
        detail = f"method {request.method} is not allowed here; allowed: {allowed}"
    return json_response({"detail": detail}, exc.status_code, headers=headers)


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


async def _too_many_creations(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TooManyCreationsError)
    return json_response({"detail": str(exc)}, 429, headers={"Retry-After": str(exc.retry_after)})


async def _store_full(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoreFullError)
    return json_response({"detail": str(exc)}, 503, headers={"Retry-After": str(exc.retry_after)})


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return json_response({"detail": "internal server error"}, 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(UnknownNetworkError, _unknown_network)
    app.add_exception_handler(TooManyCreationsError, _too_many_creations)
    app.add_exception_handler(StoreFullError, _store_full)
    app.add_exception_handler(Exception, _server_error)
