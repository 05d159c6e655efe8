"""Lessons: the list a teacher picks from, and one lesson with everything needed to open it.

Opening a lesson: POST its ``network`` to /networks, then (with a dataset) train with its
``training`` body, or trace its ``example`` with /forward, /backward or /step; ``compare``
holds the networks its explanation contrasts with.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from starlette.responses import Response

from app import encoding, examples
from app.errors import InvalidInputError
from app.lessons import LESSONS, Example, Lesson, Setup
from app.routes import errors
from app.schemas import DatasetSpec, Matrix, NetworkCreate, Split, TrainRequest

router = APIRouter(tags=["lessons"])


class LessonExample(BaseModel):
    """Examples to trace: ``x`` with ``y``, or ``rows`` of the attached dataset's ``split``
    (either way, the body of POST .../forward, .../backward or .../step)."""

    note: str
    x: Matrix | None = Field(None, description="N rows of n_0 numbers.")
    y: list[int] | Matrix | None = Field(None, description="N class labels, or N target rows.")
    rows: list[int] | None = Field(None, description="Row indices into the dataset split.")
    split: Split = "train"


class LessonSetup(BaseModel):
    """A network the lesson compares with, and how to train it."""

    id: str
    label: str
    note: str
    network: NetworkCreate = Field(description="The body of POST /networks.")
    training: TrainRequest | None = Field(description="The body of POST /networks/{id}/train; null: no dataset.")


class LessonSummary(BaseModel):
    id: str = Field(examples=["xor-hidden-layer"])
    title: str
    summary: str = Field(description="One sentence for the list.")
    link: str = Field(description="Where the page opens this lesson.", examples=["/?lesson=xor-hidden-layer"])


class LessonPublic(LessonSummary):
    explanation: str = Field(description="A few sentences: what happens and why.")
    look_at: list[str] = Field(description="What to look at, one point each.")
    label: str = Field(description="A short name for the lesson's own network.")
    seed: int = Field(description="The network's seed (the dataset has its own, in dataset.seed).")
    dataset: DatasetSpec | None
    network: NetworkCreate = Field(description="The body of POST /networks.")
    training: TrainRequest | None = Field(description="The body of POST /networks/{id}/train; null: no dataset.")
    compare: list[LessonSetup] = Field(description="Networks the explanation contrasts with (one change each).")
    example: LessonExample | None


def _setup(setup: Setup) -> dict[str, Any]:
    return {
        "id": setup.id,
        "label": setup.label,
        "note": setup.note,
        "network": setup.network,
        "training": setup.training,
    }


def _example(example: Example | None) -> dict[str, Any] | None:
    if example is None:
        return None
    return {"note": example.note, "x": example.x, "y": example.y, "rows": example.rows, "split": example.split}


def _public(lesson: Lesson) -> LessonPublic:
    """The lesson checked against the API's request schemas (as JSON, the way a client sends it)."""
    raw = {
        "id": lesson.id,
        "title": lesson.title,
        "summary": lesson.summary,
        "link": lesson.link,
        "explanation": lesson.explanation,
        "look_at": list(lesson.look_at),
        "label": lesson.setup.label,
        "seed": lesson.seed,
        "dataset": lesson.dataset,
        "network": lesson.setup.network,
        "training": lesson.setup.training,
        "compare": [_setup(s) for s in lesson.compare],
        "example": _example(lesson.example),
    }
    return LessonPublic.model_validate_json(orjson.dumps(raw))


_LESSONS = {lesson_id: _public(lesson) for lesson_id, lesson in LESSONS.items()}
_BODIES = {lesson_id: lesson.model_dump_json().encode() for lesson_id, lesson in _LESSONS.items()}
_LIST = encoding.dumps([lesson.model_dump(include=set(LessonSummary.model_fields)) for lesson in _LESSONS.values()])

LessonId = Annotated[
    str,
    Path(
        description="A lesson id (GET /lessons).",
        json_schema_extra={"enum": list(LESSONS)},
        examples=["xor-hidden-layer"],
    ),
]


@router.get(
    "/lessons",
    response_model=list[LessonSummary],
    responses={200: examples.json_example(orjson.loads(_LIST))},
    summary="List lessons",
)
async def list_lessons() -> Response:
    """Every lesson: id, title, one-sentence summary and the page link that opens it."""
    return encoding.json_response(_LIST)


@router.get(
    "/lessons/{lesson_id}",
    response_model=LessonPublic,
    responses={200: examples.json_example(orjson.loads(_BODIES["xor-hidden-layer"])), **errors(404)},
    summary="One lesson",
)
async def get_lesson(lesson_id: LessonId) -> Response:
    """The lesson's explanation, network, dataset, seed, suggested training and example, and
    the networks it compares with."""
    body = _BODIES.get(lesson_id)
    if body is None:
        raise InvalidInputError(f"unknown lesson {lesson_id!r}; lessons: {', '.join(LESSONS)}", status_code=404)
    return encoding.json_response(body)
