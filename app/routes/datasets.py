"""Datasets: the list with metadata, and one dataset drawn as points."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from app import encoding, examples
from app.errors import InvalidInputError, core_errors
from app.routes import errors
from app.schemas import DatasetInfo, DatasetPoints, DatasetQuery
from app.store import DatasetSpec
from ffnn_core.datasets import DATASETS

router = APIRouter(tags=["datasets"])

_LIST = encoding.dumps([encoding.dataset_info(info) for info in DATASETS.values()])


@router.get(
    "/datasets",
    response_model=list[DatasetInfo],
    responses={200: examples.json_example(examples.datasets())},
    summary="List datasets",
)
async def list_datasets() -> Response:
    """Every dataset with its metadata (inputs, outputs, classes, default size and noise, ...)."""
    return encoding.json_response(_LIST)


DatasetNameParam = Annotated[
    str,
    Path(
        description="A dataset name (GET /datasets); an unknown name answers 404.",
        json_schema_extra={"enum": list(DATASETS)},
        examples=["xor"],
    ),
]


@router.get(
    "/datasets/{name}",
    response_model=DatasetPoints,
    responses={200: examples.json_example(examples.dataset_points()), **errors(404, 422)},
    summary="Draw a dataset",
)
async def get_dataset(name: DatasetNameParam, query: Annotated[DatasetQuery, Query()]) -> Response:
    """The dataset's points, split into train and test parts, exactly as a network attached to
    the same spec sees them."""
    if name not in DATASETS:
        raise InvalidInputError(f"unknown dataset {name!r}; allowed: {', '.join(DATASETS)}", status_code=404)
    spec = DatasetSpec(name=name, **query.model_dump())
    with core_errors():
        data = spec.load()
    return encoding.json_response(encoding.dataset_points(data, spec.as_dict()))
