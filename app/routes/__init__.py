"""Routers, one per resource; ``errors`` declares the error answers of an operation for the docs."""

from __future__ import annotations

from typing import Any

from app.schemas import ErrorBody

_ERRORS = {
    400: "The body could not be read (e.g. not UTF-8, or a bad Content-Length).",
    404: "No network with this id (never created, deleted, or expired).",
    413: "The request body is larger than max_body_bytes.",
    422: "Invalid input: malformed JSON, wrong types, values out of range, a request that does not fit "
    "this network, or an answer that would be larger than max_answer_bytes (refused before any work); "
    "`detail` says what is wrong and what is allowed.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody, "description": _ERRORS[code]} for code in codes}


BODY_ERRORS = (400, 413, 422)
