"""Dependencies: the settings, the store, and a network by id (unknown id -> 404), leased for the request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.convertors import Convertor, register_url_convertor

from app.settings import Settings
from app.store import Entry, Store, UnknownNetworkError

ID_PATTERN = "^[0-9a-f]{32}$"


class NetworkIdConvertor(Convertor[str]):
    """``{network_id:network_id}`` in a route path matches ids only (32 lowercase hex characters), so
    a concrete path such as ``/networks/import`` is never taken for a network id."""

    regex = "[0-9a-f]{32}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("network_id", NetworkIdConvertor())


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]


@dataclass(frozen=True)
class Session:
    """What a request on one network works with: the network (its lease held), the store, the settings."""

    entry: Entry
    store: Store
    settings: Settings


NetworkId = Annotated[
    str,
    Path(
        description="The network's id: 32 hex characters, as returned when it was created.",
        json_schema_extra={"pattern": ID_PATTERN},
        examples=["3f2a9c0d4b1e4e6f8a7b6c5d4e3f2a1b"],
    ),
]


async def use_network(request: Request, network_id: NetworkId) -> AsyncIterator[Session]:
    """The network with this id, its lease held until the endpoint returns; its changes (see
    ``Entry.mark_changed``) are saved then, unless the endpoint raised. UnknownNetworkError (404)
    for any other id, well formed or not."""
    store: Store = request.app.state.store
    async with store.use(network_id) as entry:
        yield Session(entry, store, request.app.state.settings)


async def known_network(request: Request, network_id: NetworkId) -> str:
    """The id of an existing network, not leased (deleting, stopping, streams that lease it themselves)."""
    store: Store = request.app.state.store
    if not await store.exists(network_id):
        raise UnknownNetworkError(network_id)
    return network_id


NetworkDep = Annotated[Session, Depends(use_network, scope="function")]
KnownNetworkId = Annotated[str, Depends(known_network)]
