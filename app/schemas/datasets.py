"""Datasets: which one to draw and how, and what GET /datasets answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import MAX_NOISE, DatasetName, Matrix, Seed, StrictModel
from ffnn_core.datasets import MAX_BLOB_CLASSES, MAX_N, MAX_TEST_FRACTION, MIN_BLOB_CLASSES, MIN_N


class DatasetSpec(StrictModel):
    """A dataset and how to draw it (arguments of the core's make_dataset)."""

    name: DatasetName
    seed: Seed = 0
    n: int | None = Field(
        default=None, ge=MIN_N, le=MAX_N, description="Number of points (synthetic datasets only); null = default."
    )
    noise: float | None = Field(
        default=None, ge=0, le=MAX_NOISE, description="Noise std (synthetic datasets only); null = default."
    )
    test_fraction: float = Field(
        default=0.25, ge=0, le=MAX_TEST_FRACTION, description="Share of points in the test split."
    )
    standardize: bool = Field(default=False, description="Scale X with the train split's mean and std.")
    n_classes: int | None = Field(
        default=None, ge=MIN_BLOB_CLASSES, le=MAX_BLOB_CLASSES, description='Number of blobs ("blobs" only); null = 3.'
    )


class DatasetQuery(BaseModel):
    """Query parameters of GET /datasets/{name} (the DatasetSpec fields but the name)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    seed: Seed = 0
    n: int | None = Field(
        default=None, ge=MIN_N, le=MAX_N, description="Number of points (synthetic only); default if absent."
    )
    noise: float | None = Field(
        default=None, ge=0, le=MAX_NOISE, description="Noise std (synthetic only); default if absent."
    )
    test_fraction: float = Field(default=0.25, ge=0, le=MAX_TEST_FRACTION)
    standardize: bool = False
    n_classes: int | None = Field(default=None, ge=MIN_BLOB_CLASSES, le=MAX_BLOB_CLASSES, description='"blobs" only.')


class DatasetInfo(BaseModel):
    name: str
    title: str
    description: str
    task: Literal["classification", "regression"]
    n_inputs: int
    n_outputs: int = Field(description="Classes (classification) or target width (regression).")
    n_classes: int | None
    default_n: int
    default_noise: float
    synthetic: bool = Field(description="n and noise apply only when true.")
    max_n: int
    class_names: list[str] | None
    feature_names: list[str]
    image_shape: list[int] | None = Field(
        default=None, description="[rows, columns] when each input is an image (pixels row by row), else null."
    )


class DatasetPoints(BaseModel):
    info: DatasetInfo
    spec: DatasetSpec
    X_train: Matrix = Field(description="N_train rows of n_inputs numbers.")
    y_train: list[int] | Matrix = Field(description="Integer labels (classification) or target rows (regression).")
    X_test: Matrix
    y_test: list[int] | Matrix
