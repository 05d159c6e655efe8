"""Networks: create, read, delete, edit parameters, reset, export and import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from starlette.responses import Response

from app import answers, encoding, examples, inputs
from app.admission import CREATION_RESPONSES, admit_creation
from app.deps import NetworkDep, NetworkId, SettingsDep, StoreDep
from app.errors import InvalidInputError
from app.routes import BODY_ERRORS, errors
from app.schemas import NetworkCreate, NetworkDocument, NetworkPublic, ParameterPatch, ParametersPut
from app.store import DatasetSpec, Entry, UnknownNetworkError
from ffnn_core import Network

router = APIRouter(tags=["networks"])

_NETWORK_EXAMPLE = examples.network()
_NETWORK_201: dict[int | str, dict[str, Any]] = {
    201: examples.json_example(_NETWORK_EXAMPLE, "Created: the network with its first parameters")
}
_NETWORK_200: dict[int | str, dict[str, Any]] = {200: examples.json_example(_NETWORK_EXAMPLE, "The network")}


def _network_response(
    network_id: str, network: Network, dataset_spec: DatasetSpec | None, status_code: int = 200
) -> Response:
    spec = dataset_spec.as_dict() if dataset_spec is not None else None
    headers = {"Location": f"/api/v1/networks/{network_id}"} if status_code == 201 else None
    return encoding.json_response(encoding.network(network_id, network, spec), status_code, headers)


def _entry_response(entry: Entry) -> Response:
    return _network_response(entry.id, entry.network, entry.dataset_spec)


def _attach(network: Network, spec: DatasetSpec | None) -> None:
    if spec is not None:
        inputs.check_dataset_fits(network.config, spec.load())


@router.post(
    "/networks",
    status_code=201,
    response_model=NetworkPublic,
    responses={**_NETWORK_201, **errors(*BODY_ERRORS), **CREATION_RESPONSES},
    dependencies=[Depends(admit_creation)],
    summary="Create a network",
)
async def create_network(
    body: Annotated[
        NetworkCreate,
        Body(
            openapi_examples={
                "xor": {"summary": "2-2-2 tanh network on XOR", "value": examples.CREATE},
                "bare": {
                    "summary": "Only sizes (defaults for the rest)",
                    "value": {
                        "sizes": [3, 4, 4, 1],
                        "activation": ["relu", "tanh"],
                        "output": "linear",
                        "loss": "squared_error",
                    },
                },
            }
        ),
    ],
    store: StoreDep,
    settings: SettingsDep,
) -> Response:
    """A new network from a config, initialised from its seed; answers its id, config and parameters."""
    config = inputs.network_config(
        body.sizes,
        body.activation,
        output=body.output,
        loss=body.loss,
        init=body.init,
        init_scale=body.init_scale,
        seed=body.seed,
        settings=settings,
    )
    answers.check_network(config, settings)
    spec = inputs.dataset_spec(body.dataset) if body.dataset is not None else None
    network = Network.create(config)
    _attach(network, spec)
    return _network_response(await store.add_async(network, spec), network, spec, 201)


def _finite(arrays: list[Any], name: str) -> Any:
    """The document's parameters (W_k matrices or b_k vectors), refused where they hold null (the
    export of a diverged network), naming the first such number."""
    for k, array in enumerate(arrays):
        for i, row in enumerate(array if name == "W" else [array]):
            if None in row:
                where = f"{name}[{k}][{i}][{row.index(None)}]" if name == "W" else f"{name}[{k}][{row.index(None)}]"
                raise InvalidInputError(
                    f"{where} is null (a non-finite number, as in the export of a diverged network): import needs "
                    "finite numbers; reset the network or set its parameters, then export again"
                )
    return arrays


@router.post(
    "/networks/import",
    status_code=201,
    response_model=NetworkPublic,
    responses={**_NETWORK_201, **errors(*BODY_ERRORS), **CREATION_RESPONSES},
    dependencies=[Depends(admit_creation)],
    summary="Import a network document",
)
async def import_network(
    body: Annotated[NetworkDocument, Body(openapi_examples={"exported": {"value": examples.export()}})],
    store: StoreDep,
    settings: SettingsDep,
) -> Response:
    """A new network (new id) with exactly the numbers of an exported document."""
    cfg = body.config
    config = inputs.network_config(
        cfg.sizes,
        cfg.activations,
        output=cfg.output,
        loss=cfg.loss,
        init=cfg.init,
        init_scale=cfg.init_scale,
        seed=cfg.seed,
        settings=settings,
    )
    answers.check_network(config, settings)
    W, b = inputs.parameters(_finite(body.W, "W"), _finite(body.b, "b"), config.sizes)
    state = inputs.optimizer_state(body.optimizer_state.model_dump(by_alias=True, exclude_none=True), W, b)
    spec = inputs.dataset_spec(body.dataset) if body.dataset is not None else None
    network = Network(config=config, W=W, b=b, step=body.step, epoch=body.epoch, optimizer_state=state)
    _attach(network, spec)
    return _network_response(await store.add_async(network, spec), network, spec, 201)


@router.get(
    "/networks/{network_id:network_id}",
    response_model=NetworkPublic,
    responses={**_NETWORK_200, **errors(404, 422)},
    summary="Read a network",
)
async def read_network(session: NetworkDep) -> Response:
    """Config, parameters W_1..W_L and b_1..b_L, step and epoch counters."""
    entry = session.entry
    answers.check_network(entry.network.config, session.settings)
    return _entry_response(entry)


@router.delete(
    "/networks/{network_id:network_id}",
    status_code=204,
    responses={204: {"description": "Deleted"}, **errors(404)},
    summary="Delete a network",
)
async def delete_network(network_id: NetworkId, store: StoreDep) -> Response:
    """Delete at once; a training of this network stops after its current minibatch."""
    if not await store.remove(network_id):
        raise UnknownNetworkError(network_id)
    return Response(status_code=204)


@router.put(
    "/networks/{network_id:network_id}/parameters",
    response_model=NetworkPublic,
    responses={**_NETWORK_200, **errors(404, *BODY_ERRORS)},
    summary="Set all parameters",
)
async def put_parameters(
    session: NetworkDep,
    body: Annotated[
        ParametersPut,
        Body(
            openapi_examples={
                "2-2-2": {
                    "summary": "All parameters of a [2, 2, 2] network",
                    "value": {
                        "W": [[[0.5, -0.5], [0.25, 1.0]], [[1.0, -1.0], [-0.5, 0.5]]],
                        "b": [[0.0, 0.1], [0.0, 0.0]],
                    },
                }
            }
        ),
    ],
) -> Response:
    """Replace W_1..W_L and b_1..b_L; every shape is checked and nothing changes on error."""
    entry = session.entry
    answers.check_network(entry.network.config, session.settings)
    W, b = inputs.parameters(body.W, body.b, entry.network.config.sizes)
    entry.network.set_parameters(W, b)
    entry.mark_changed()
    return _entry_response(entry)


@router.patch(
    "/networks/{network_id:network_id}/parameters",
    response_model=NetworkPublic,
    responses={**_NETWORK_200, **errors(404, *BODY_ERRORS)},
    summary="Set one weight or bias",
)
async def patch_parameter(
    session: NetworkDep,
    body: Annotated[
        ParameterPatch,
        Body(
            openapi_examples={
                "weight": {
                    "summary": "W_1[0, 1] = 0.5",
                    "value": {"name": "W", "layer": 1, "i": 0, "j": 1, "value": 0.5},
                },
                "bias": {
                    "summary": "b_2[1] = -0.25",
                    "value": {"name": "b", "layer": 2, "i": 1, "j": None, "value": -0.25},
                },
            }
        ),
    ],
) -> Response:
    """W_k[i, j] or b_k[i] (0-based i, j) to ``value``."""
    entry = session.entry
    network = entry.network
    answers.check_network(network.config, session.settings)
    sizes, L, k = network.config.sizes, network.config.L, body.layer
    if not 1 <= k <= L:
        raise InvalidInputError(f"layer: this network has layers 1..{L}, got {k}")
    if body.i >= sizes[k]:
        raise InvalidInputError(f"i: layer {k} has {sizes[k]} unit(s) (i = 0..{sizes[k] - 1}), got {body.i}")
    if body.name == "W":
        if body.j is None:
            raise InvalidInputError("j: a weight W_k[i, j] needs a column j")
        if body.j >= sizes[k - 1]:
            raise InvalidInputError(f"j: W_{k} has {sizes[k - 1]} column(s) (j = 0..{sizes[k - 1] - 1}), got {body.j}")
        network.W[k - 1][body.i, body.j] = body.value
    else:
        if body.j is not None:
            raise InvalidInputError("j: a bias b_k[i] has no column; leave j out or null")
        network.b[k - 1][body.i] = body.value
    entry.mark_changed()
    return _entry_response(entry)


@router.post(
    "/networks/{network_id:network_id}/reset",
    response_model=NetworkPublic,
    responses={**_NETWORK_200, **errors(404, 422)},
    summary="Re-initialise from the seed",
)
async def reset_network(session: NetworkDep) -> Response:
    """Exactly the first parameters again (same seed); step, epoch and optimiser state start over."""
    entry = session.entry
    answers.check_network(entry.network.config, session.settings)
    entry.network.reset()
    entry.mark_changed()
    return _entry_response(entry)


@router.get(
    "/networks/{network_id:network_id}/export",
    response_model=NetworkDocument,
    responses={200: examples.json_example(examples.export(), "The network document"), **errors(404, 422)},
    summary="Export a network document",
)
async def export_network(session: NetworkDep) -> Response:
    """The whole network as one JSON document; POST it to /networks/import for an identical copy."""
    entry = session.entry
    answers.check_network(entry.network.config, session.settings, entry.network.optimizer_state)
    document: dict[str, Any] = entry.document()
    return encoding.json_response(encoding.export_document(document, entry.network))
