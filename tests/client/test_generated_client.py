"""The OpenAPI document as a generator reads it: openapi-spec-validator finds nothing, the
operationIds are short names of what each operation does, and a client generated from the live
schema by openapi-python-client makes the issue's list of calls (generated_client_calls.py, every
answer through its model both ways), a script that passes mypy --strict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

BIN = Path(sys.executable).parent
CALLS = Path(__file__).with_name("generated_client_calls.py")
OPERATIONS = {
    "create_network", "import_network", "read_network", "delete_network", "put_parameters", "patch_parameter",
    "reset_network", "export_network", "forward", "backward", "step", "gradcheck", "surface", "train",
    "train_stream", "stop_training", "list_datasets", "get_dataset", "get_meta", "list_lessons", "get_lesson",
    "blame", "contributions", "diagnostics", "what_if",
}  # fmt: skip


@pytest.fixture(scope="module")
def document(live_server: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{live_server}/openapi.json", timeout=30).json()
    return answer


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for path in document["paths"].values() for op in path.values()}


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    problems = [str(error).splitlines()[0] for error in OpenAPIV31SpecValidator(document).iter_errors()]
    assert problems == []


def test_operation_ids_say_what_each_operation_does(document: dict[str, Any]) -> None:
    names = set(_operations(document))
    assert names >= OPERATIONS, sorted(OPERATIONS - names)
    assert all(len(name) <= 20 and name.isidentifier() for name in names), sorted(names)


def test_stream_is_documented_as_server_sent_events_only(document: dict[str, Any]) -> None:
    ok = _operations(document)["train_stream"]["responses"]["200"]
    assert list(ok["content"]) == ["text/event-stream"]
    description = ok["content"]["text/event-stream"]["schema"]["description"]
    for event in ("`epoch`", "`snapshot`", "`done`", "`error`"):
        assert event in description
    assert "TrainDone" in document["components"]["schemas"]


ANSWER_BOUNDED = {"read_network", "reset_network", "export_network"}


def test_error_answers_are_declared_as_sent(document: dict[str, Any], live_server: str) -> None:
    """Every declared error is an ErrorBody in JSON (FastAPI's list-shaped 422 is never sent), and an
    operation without a body or query declares no 422, but those whose answer can pass max_answer_bytes."""
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    for name, operation in _operations(document).items():
        for status, answer in operation["responses"].items():
            if status.startswith("4"):
                assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
        if "requestBody" not in operation and not any(p["in"] == "query" for p in operation.get("parameters", [])):
            if name in ANSWER_BOUNDED:  # a network's answer is bounded by max_answer_bytes (app/answers.py)
                assert "max_answer_bytes" in operation["responses"]["422"]["description"], name
            else:
                assert "422" not in operation["responses"], name
    # What the server really sends for a network id of the wrong form: 404 with an ErrorBody.
    answer = httpx.get(f"{live_server}/api/v1/networks/not-an-id", timeout=10)
    assert answer.status_code == 404 and isinstance(answer.json()["detail"], str)


def test_generated_client_makes_the_calls(live_server: str, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # the generator runs ruff
    subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--url", f"{live_server}/openapi.json",
         "--output-path", str(tmp_path / "client")],
        check=True, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    package_root = tmp_path / "client"
    typed = subprocess.run(
        [str(BIN / "mypy"), "--strict", "--no-incremental", "--cache-dir", str(tmp_path / "mypy"), str(CALLS)],
        capture_output=True, text=True, timeout=300, env={**env, "MYPYPATH": str(package_root)},
    )  # fmt: skip
    assert typed.returncode == 0, typed.stdout + typed.stderr
    ran = subprocess.run(
        [sys.executable, str(CALLS), live_server],
        capture_output=True, text=True, timeout=300, env={**env, "PYTHONPATH": str(package_root)},
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    done = [line.split(":")[0] for line in ran.stdout.splitlines()]
    assert done == [
        "create_network", "forward", "backward", "patch_parameter", "step (adam)", "train", "export_network",
        "import_network", "gradcheck", "train_stream", "reset_network",
    ]  # fmt: skip
