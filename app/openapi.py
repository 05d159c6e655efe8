"""The OpenAPI document as clients and generators read it.

- operationIds are the routes' names (``create_network``, ``backward``, ``train_stream``, ...),
  not FastAPI's long defaults built from the path: they become the generated methods' names.
- FastAPI adds a 422 with its own list-shaped body to every operation that has parameters. The
  server never answers in that shape: its handler (app/errors.py) sends ``ErrorBody``, and the
  routes that can answer 422 declare it themselves. So those defaults are dropped, with the two
  schemas only they used.
- The stream's event payloads that no operation returns (``TrainDone``, the last event) are in the
  components too, so that generated clients have models for them.
- Error answers are JSON (``ErrorBody``) on every operation, also where the success is a stream
  (FastAPI files them under the route's own media type, text/event-stream for the training stream)
  and where a router declares a status without a model (the 415 of app/security.py). That 415 is
  declared on every operation of the API routers but sent only for POST, PUT and PATCH: it is
  dropped from the others.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.schemas import TrainDone
from app.security import STATE_CHANGING_METHODS

_FASTAPI_422 = "#/components/schemas/HTTPValidationError"
_FASTAPI_SCHEMAS = ("HTTPValidationError", "ValidationError")


def operation_id(route: APIRoute) -> str:
    return route.name


def _drop_default_422(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422", {})
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") == _FASTAPI_422:
                del operation["responses"]["422"]
    schemas = document.get("components", {}).get("schemas", {})
    text = repr(document.get("paths", {})) + repr({k: v for k, v in schemas.items() if k not in _FASTAPI_SCHEMAS})
    for name in _FASTAPI_SCHEMAS:
        if f"#/components/schemas/{name}'" not in text:
            schemas.pop(name, None)


def _drop_unsent_415(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method.upper() not in STATE_CHANGING_METHODS:
                operation.get("responses", {}).pop("415", None)


def _errors_as_json(document: dict[str, Any]) -> None:
    """Every declared 4xx/5xx answer is an ErrorBody in JSON (declared without a model, or filed
    under the route's own media type, it is made so)."""
    error_body = {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, answer in operation.get("responses", {}).items():
                if not status.startswith(("4", "5")):
                    continue
                content = answer.get("content", {})
                if "application/json" not in content:
                    answer["content"] = {"application/json": next(iter(content.values())) if content else error_body}


def _add_schemas(document: dict[str, Any], *models: type[BaseModel]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas.setdefault(model.__name__, schema)


def install(app: FastAPI) -> None:
    """``app.openapi()`` answers FastAPI's document with the changes above (made once, then cached)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            _drop_default_422(document)
            _drop_unsent_415(document)
            _errors_as_json(document)
            _add_schemas(document, TrainDone)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
