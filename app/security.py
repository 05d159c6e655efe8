"""Defences against other web pages and other hosts: JSON-only state changes, the page's headers.

- A state-changing request (POST, PUT, PATCH) must say ``Content-Type: application/json``. A
  cross-site HTML form can only send form or plain-text bodies, and a cross-site ``fetch`` in
  no-cors mode cannot set that header, so neither can reset or stop a student's network by id.
- The page and its assets are sent with a Content-Security-Policy (scripts only from this server,
  no inline script, no framing by other sites) and ``X-Content-Type-Options: nosniff``.
- ``allowed_hosts`` (setting) turns on Starlette's TrustedHostMiddleware: other Host headers get 400.
"""

from __future__ import annotations

from email.message import Message
from typing import Any

from fastapi import Request

from app.errors import InvalidInputError

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH"})

# Plotly adds <style> elements and style attributes as it draws: styles may be inline, scripts not.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for older browsers
    "Referrer-Policy": "same-origin",
}

UNSUPPORTED_MEDIA_TYPE: dict[int | str, dict[str, Any]] = {
    415: {"description": "A POST, PUT or PATCH without Content-Type: application/json (even with no body)."}
}


def is_json(content_type: str | None) -> bool:
    """application/json or application/<anything>+json, parameters (charset) aside."""
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


async def require_json_content_type(request: Request) -> None:
    """Router dependency of the API: refuses a state change not marked as JSON, with 415."""
    if request.method in STATE_CHANGING_METHODS:
        content_type = request.headers.get("content-type")
        if not is_json(content_type):
            got = f"got {content_type!r}" if content_type else "none was sent"
            raise InvalidInputError(
                f"{request.method} requests must be sent with Content-Type: application/json, even without a "
                f"body ({got}); this keeps other web pages' forms from changing networks",
                415,
            )
