"""examples/api_tour.ipynb runs top to bottom (nbclient, a real IPython kernel) against a live
server, and its two figures are drawn from the API's numbers: a falling loss curve with one point
per epoch and a decision surface on the grid the server computed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
from nbclient import NotebookClient

from .support import ROOT

NOTEBOOK = ROOT / "examples" / "api_tour.ipynb"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
CELL_TIMEOUT_S = 120


def _figures(notebook: Any) -> list[dict[str, Any]]:
    return [
        output["data"][PLOTLY_MIME]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if PLOTLY_MIME in output.get("data", {})
    ]


def test_notebook_runs_against_a_live_server(live_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        "commit the notebook without outputs"
    )
    monkeypatch.setenv("BACKPROP_URL", live_server)
    monkeypatch.setenv("PLOTLY_RENDERER", "plotly_mimetype")  # the figures' JSON, not a 4.8 MB HTML bundle
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on any error

    text = "".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )
    assert f"server: {live_server}" in text
    assert "W_1: 8 x 2" in text and "grad_W_1 is 8 x 2" in text and "Adam's step number t = 1" in text
    assert "60 epochs" in text and "deleted" in text

    loss_figure, surface_figure = _figures(notebook)
    train, test = loss_figure["data"]
    assert train["name"] == "train loss" and len(train["x"]) == len(train["y"]) == 60
    assert train["y"][-1] < 0.5 * train["y"][0], "training did not lower the loss"
    assert len(test["y"]) == 60 and all(v is not None for v in test["y"])

    contour = surface_figure["data"][0]
    assert contour["type"] == "contour"
    assert len(contour["x"]) == len(contour["y"]) == 60
    z = contour["z"]
    assert len(z) == 60 and all(len(row) == 60 for row in z)
    assert all(0.0 <= p <= 1.0 for row in z for p in row)
    assert min(min(row) for row in z) < 0.1 and max(max(row) for row in z) > 0.9, "no boundary between the classes"
    points = surface_figure["data"][1:]
    assert [trace["name"] for trace in points] == ["class 0", "class 1"]
    assert sum(len(trace["x"]) for trace in points) == 225  # 300 points, 25% held out

    # The notebook deleted its network: nothing left behind on the server.
    network_ids = [line.split()[1] for line in text.splitlines() if line.startswith("network ")]
    assert len(network_ids) == 1
    assert httpx.get(f"{live_server}/api/v1/networks/{network_ids[0]}").status_code == 404
