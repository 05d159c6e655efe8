"""Schemathesis, in-process, over every operation of the OpenAPI schema, with all its checks.

Three in four well-formed network ids it generates are swapped for the id of a freshly created
network (a [2, 3, 2] network on a small "xor" dataset), so the operations on networks run for real
and their answers are checked against the schema; the other ids stay random and must answer 404.

One tuning, the one Schemathesis documents for this case: where an operation has rules that a
JSON Schema cannot express (cross-field rules such as "activation lists one name per hidden
layer", "n applies to synthetic datasets only", x's width matching the network, and the
configurable limits), a schema-valid request may be refused with 422, so
``positive_data_acceptance`` accepts 422 there. A POST without a body (reset, train/stop) is sent
with ``Content-Type: application/json``, as the API requires of every state change (its 415): an
OpenAPI document cannot declare a Content-Type header. Every other check runs unchanged: no 5xx,
negative data rejected, status codes, content types, headers and response bodies conform.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import hypothesis
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.main import create_app
from app.store import DatasetSpec
from ffnn_core import Network, NetworkConfig
from tests.api.conftest import make_settings

ID = re.compile(r"[0-9a-f]{32}")
POSITIVE_WITH_422 = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx", "422"]
CROSS_FIELD_OPERATIONS = [
    "POST /api/v1/networks",
    "POST /api/v1/networks/import",
    "GET /api/v1/datasets/{name}",
    "PUT /api/v1/networks/{network_id}/parameters",
    "PUT /api/v1/networks/{network_id}/state",
    "PATCH /api/v1/networks/{network_id}/parameters",
    "POST /api/v1/networks/{network_id}/forward",
    "POST /api/v1/networks/{network_id}/backward",
    "POST /api/v1/networks/{network_id}/step",
    "POST /api/v1/networks/{network_id}/gradcheck",
    "GET /api/v1/networks/{network_id}/surface",
    "POST /api/v1/networks/{network_id}/train",
    "POST /api/v1/networks/{network_id}/train/stream",
    "POST /api/v1/networks/{network_id}/blame",
    "POST /api/v1/networks/{network_id}/contributions",
    "POST /api/v1/networks/{network_id}/diagnostics",
    "POST /api/v1/networks/{network_id}/what-if",
    "POST /api/v1/networks/{network_id}/derivation",
    "POST /api/v1/networks/{network_id}/paths",
    "POST /api/v1/networks/{network_id}/projection",
]

# evict_idle_seconds=0: the run adds networks faster than any would go idle (tests/api/test_hostile.py
# covers the idle rule and its 503)
app = create_app(make_settings(max_networks=500, max_train_seconds=2.0, evict_idle_seconds=0))
store = app.state.store
config = SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": 25},
        "operations": [
            {"include-name": name, "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_WITH_422}}}
            for name in CROSS_FIELD_OPERATIONS
        ],
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
_calls = itertools.count()


def fresh_network_id() -> str:
    network = Network.create(NetworkConfig.build([2, 3, 2], "tanh", seed=1))
    return store.add(network, DatasetSpec(name="xor", n=20))


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_api(case: Any) -> None:
    network_id = (case.path_parameters or {}).get("network_id")
    if isinstance(network_id, str) and ID.fullmatch(network_id) and next(_calls) % 4:
        case.path_parameters["network_id"] = fresh_network_id()  # three in four: a real network
    if case.method.upper() in {"POST", "PUT", "PATCH"} and case.body is NOT_SET:
        case.headers = {**(case.headers or {}), "Content-Type": "application/json"}
    # Schemathesis reads a text/event-stream `schema` as one event's (OpenAPI 3.2's itemSchema); in 3.1 it
    # describes the whole body, a string. The events are checked against their own models by
    # tests/client/test_generated_client.py.
    stream = case.operation.label == "POST /api/v1/networks/{network_id}/train/stream"
    case.call_and_validate(excluded_checks=[response_schema_conformance] if stream else None)
