"""``?fields=`` for the trace answers (forward, backward, step): only the named fields are sent,
and ``diverged`` always is. A [64, 32, 10] backward on 256 rows is over 1 MB of numbers; a
client that wants only grad_W and grad_b asks for them and skips the encoding of the rest.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from app import suggest
from app.errors import InvalidInputError
from app.schemas import BackwardResult, ForwardResult, StepResult

ALWAYS = "diverged"
MAX_FIELDS_LENGTH = 1000

FieldsQuery = Annotated[
    str | None,
    Query(
        max_length=MAX_FIELDS_LENGTH,
        description="Comma-separated names of the answer's fields to send (e.g. `grad_W,grad_b`); the others "
        "are left out (`diverged` is always sent). Absent: every field. Unknown names are refused (422).",
        examples=["grad_W,grad_b", "y_hat,loss"],
    ),
]


def _names(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(model.model_fields)


FORWARD = _names(ForwardResult)
BACKWARD = _names(BackwardResult)
STEP = _names(StepResult)


def chosen(fields: str | None, allowed: tuple[str, ...]) -> frozenset[str] | None:
    """The names asked for (with ``diverged``), or None for every field; 422 for an unknown name."""
    if fields is None:
        return None
    names = [name.strip() for name in fields.split(",") if name.strip()]
    if not names:
        listed = ", ".join(allowed)
        raise InvalidInputError(f"fields: give at least one name (or leave fields out); allowed: {listed}")
    wrong = [name for name in names if name not in allowed]
    if wrong:
        raise InvalidInputError("fields: " + "; ".join(suggest.unknown(name, allowed) for name in wrong))
    return frozenset([*names, ALWAYS])


def select(content: dict[str, Any], names: frozenset[str] | None) -> dict[str, Any]:
    """``content`` with only the chosen fields (before it is encoded: the others cost nothing)."""
    return content if names is None else {key: value for key, value in content.items() if key in names}
