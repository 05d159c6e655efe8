"""Datasets: the list with metadata, one dataset drawn as points, and a network's view of its
dataset (2-D PCA projection of x or h_k; predictions and confusion matrix on a split)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from app import answers, encoding, examples, offload
from app.deps import NetworkDep, SettingsDep
from app.errors import InvalidInputError, core_errors
from app.routes import BODY_ERRORS, errors
from app.schemas import DatasetInfo, DatasetPoints, DatasetQuery
from app.store import DatasetSpec
from app.view_schemas import EvaluationResult, ProjectionRequest, ProjectionResult
from ffnn_core import first_non_finite_forward, forward
from ffnn_core.datasets import DATASETS, Dataset
from ffnn_core.pca import N_COMPONENTS, Pca, confusion_matrix, fit_pca, predicted_classes, project

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
async def get_dataset(
    name: DatasetNameParam, query: Annotated[DatasetQuery, Query()], settings: SettingsDep
) -> Response:
    """The dataset's points, split into train and test parts, exactly as a network attached to
    the same spec sees them."""
    if name not in DATASETS:
        raise InvalidInputError(f"unknown dataset {name!r}; allowed: {', '.join(DATASETS)}", status_code=404)
    info = DATASETS[name]
    n = min(info.default_n if query.n is None else query.n, info.max_n)  # a larger n is the core's 422
    answers.check_dataset(n, info.n_inputs, 1 if info.task == "classification" else info.n_outputs, settings)
    spec = DatasetSpec(name=name, **query.model_dump())
    with core_errors():
        data = spec.load()
    return encoding.json_response(encoding.dataset_points(data, spec.as_dict()))


# --- views of the data through a network: PCA projection, evaluation -------------------------


def _attached(entry: Any) -> Dataset:
    data = entry.dataset
    if data is None:
        raise InvalidInputError("this network has no dataset attached: create it with a dataset to see its data")
    return data  # type: ignore[no-any-return]


def _split_rows(data: Dataset, split: str) -> tuple[np.ndarray, np.ndarray]:
    return (data.X_train, data.y_train) if split == "train" else (data.X_test, data.y_test)


@router.post(
    "/networks/{network_id:network_id}/projection",
    response_model=ProjectionResult,
    responses={**errors(404, *BODY_ERRORS)},
    summary="2-D PCA projection of x or h_k",
)
async def projection(session: NetworkDep, body: ProjectionRequest) -> Response:
    """h_k of every train and test row of the attached dataset, projected on the two principal
    directions of h_k over the training inputs (fitted now, or the basis sent back from an
    earlier answer so that the axes stay fixed while the network trains)."""
    entry = session.entry
    network = entry.network
    data = _attached(entry)
    L = len(network.config.sizes) - 1
    k = body.layer
    if k > L:
        raise InvalidInputError(f"layer must be 0..{L} (h_0 = x up to h_L = y_hat), got {k}")
    width = network.config.sizes[k]
    answers.check_projection(network, k, data.X_train.shape[0] + data.X_test.shape[0], session.settings)
    basis = body.basis
    if basis is not None:
        if (
            len(basis.mean) != width
            or len(basis.components) != N_COMPONENTS
            or any(len(c) != width for c in basis.components)
        ):
            raise InvalidInputError(
                f"basis must have a mean of n_{k} = {width} numbers and {N_COMPONENTS} components "
                f"of {width} numbers each"
            )
        given = Pca(
            np.asarray(basis.mean, dtype=np.float64),
            np.asarray(basis.components, dtype=np.float64),
            np.full(N_COMPONENTS, np.nan),
        )

    def compute() -> bytes:
        X = np.concatenate([data.X_train, data.X_test])
        trace = forward(network, X)
        Z = trace.h[k]
        found = first_non_finite_forward(trace)
        n_train = data.X_train.shape[0]
        if found is not None:
            pca = (
                given
                if basis is not None
                else Pca(np.zeros(width), np.zeros((N_COMPONENTS, width)), np.zeros(N_COMPONENTS))
            )
            P = np.full((Z.shape[0], N_COMPONENTS), np.nan)
        else:
            with core_errors():
                pca = given if basis is not None else fit_pca(Z[:n_train])
                P = project(pca, Z)
        return encoding.dumps({
            "layer": k, "dim": width, "fitted": basis is None, "mean": pca.mean, "components": pca.components,
            "explained_variance_ratio": pca.explained_variance_ratio, "train": P[:n_train], "test": P[n_train:],
            "diverged": encoding.divergence(found),
        })  # fmt: skip

    work = network.config.n_parameters * (data.X_train.shape[0] + data.X_test.shape[0])
    content = await offload.run(compute, work=work, inline_limit=session.settings.inline_work_limit)
    return encoding.json_response(content)


@router.get(
    "/networks/{network_id:network_id}/evaluation",
    response_model=EvaluationResult,
    responses={**errors(404, 422)},
    summary="Predictions and confusion matrix on a split",
)
async def evaluation(
    session: NetworkDep,
    split: Annotated[Literal["train", "test"], Query(description="Which split of the attached dataset.")] = "test",
) -> Response:
    """Each row's predicted class on the split and the confusion matrix (rows: true class,
    columns: predicted class); classification datasets only."""
    entry = session.entry
    network = entry.network
    data = _attached(entry)
    if data.info.task != "classification" or data.info.n_classes is None:
        raise InvalidInputError(f"an evaluation needs a classification dataset; {data.info.name!r} is {data.info.task}")
    n_classes = data.info.n_classes
    X, y = _split_rows(data, split)
    answers.check_evaluation(X.shape[0], n_classes, session.settings)

    def compute() -> bytes:
        trace = forward(network, X)
        found = first_non_finite_forward(trace)
        labels = np.asarray(y, dtype=np.int64)
        predicted = predicted_classes(trace.y_hat) if found is None else np.zeros(0, dtype=np.int64)
        counts = (
            confusion_matrix(labels, predicted, n_classes)
            if found is None
            else np.zeros((n_classes, n_classes), dtype=np.int64)
        )
        right = float((predicted == labels).mean()) if found is None and labels.size else None
        return encoding.dumps({
            "split": split, "n": int(labels.size), "n_classes": n_classes, "accuracy": right,
            "predicted": predicted, "confusion": counts, "diverged": encoding.divergence(found),
        })  # fmt: skip

    work = network.config.n_parameters * X.shape[0]
    content = await offload.run(compute, work=work, inline_limit=session.settings.inline_work_limit)
    return encoding.json_response(content)
