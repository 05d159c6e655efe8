"""Dependencies: the settings, the store, and a network by id (unknown id -> 404)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.convertors import Convertor, register_url_convertor

from app.settings import Settings
from app.store import Entry, Store

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
    """What a request on one network works with: its store entry, the store and the settings."""

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


async def get_network(request: Request, network_id: NetworkId) -> Session:
    """The stored network with this id; UnknownNetworkError (404) for any other id, well formed or not."""
    store: Store = request.app.state.store
    return Session(store.get(network_id), store, request.app.state.settings)


NetworkDep = Annotated[Session, Depends(get_network)]
