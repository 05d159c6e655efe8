"""Request and answer models of the page's data views: the 2-D PCA projection of x or h_k, and
the evaluation (predictions, confusion matrix) of a classifier on a split."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.schemas import Divergence, Matrix, NMatrix, NVector, StrictModel, Vector


class PcaBasis(StrictModel):
    """A fitted basis, as an earlier answer gave it: keep it to see the points move, not the axes."""

    mean: Vector = Field(description="n_k numbers: the mean of h_k over the training inputs when it was fitted.")
    components: Matrix = Field(description="2 rows of n_k numbers: the two principal directions.")


class ProjectionRequest(StrictModel):
    layer: int = Field(default=0, ge=0, description="k of h_k (0: the inputs x; L: y_hat).")
    basis: PcaBasis | None = Field(
        default=None,
        description="Project with this basis (fitted earlier) instead of fitting one on h_k of the training inputs.",
    )


class ProjectionResult(BaseModel):
    """h_k of every train and test row, projected on two principal directions of h_k(X_train)."""

    layer: int
    dim: int = Field(description="n_k, the width of h_k.")
    fitted: bool = Field(description="true when the basis was fitted by this request (no basis was sent).")
    mean: NVector
    components: NMatrix
    explained_variance_ratio: NVector = Field(description="Share of the variance of h_k(X_train) along each direction.")
    train: NMatrix = Field(description="N_train rows [p1, p2], in the order of the dataset's train split.")
    test: NMatrix = Field(description="N_test rows [p1, p2].")
    diverged: Divergence | None


class EvaluationResult(BaseModel):
    """The classifier on one split: each row's predicted class and the confusion matrix."""

    split: Literal["train", "test"]
    n: int
    n_classes: int
    accuracy: float | None = Field(description="Share of rows predicted right; null for an empty split.")
    predicted: list[int] = Field(
        description="The predicted class of each row (argmax, or y_hat >= 0.5 for one output)."
    )
    confusion: list[list[int]] = Field(description="confusion[i][j]: rows of true class i predicted as class j.")
    diverged: Divergence | None
