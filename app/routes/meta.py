"""What the page needs to build its forms: names, valid pairs, limits, formulas."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from app import encoding, examples
from app.deps import SettingsDep
from app.schemas import Meta
from app.settings import Settings

router = APIRouter(tags=["meta"])


@router.get(
    "/meta",
    response_model=Meta,
    responses={200: examples.json_example(examples.meta(Settings()))},
    summary="Names, limits and formulas",
    name="get_meta",
)
async def meta(settings: SettingsDep) -> Response:
    """Activations, output functions, losses and their valid pairs, initialisations, optimisers,
    dataset names, this server's limits, and each function's formula."""
    return encoding.json_response(examples.meta(settings))
