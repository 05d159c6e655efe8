"""Assembles the app: settings, store, error handlers, middleware, routers, static files, page.

``app`` (used by ``backprop-lab serve`` / uvicorn ``app.main:app``) reads its settings from the
environment; tests build their own with ``create_app(Settings(...), clock=...)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from app import encoding, errors, gcmonitor, openapi, security, startup
from app.admission import CreationLimiter
from app.middleware import BodySizeLimit
from app.persistence import from_settings as persistence_from_settings
from app.routes import compute, datasets, derivation, insight, lessons, meta, networks, pages, timeline, training
from app.settings import Settings
from app.static_files import CachedStaticFiles
from app.store import Persistence, Store

API_PREFIX = "/api/v1"
GZIP_MINIMUM_BYTES = 1024
GZIP_LEVEL = 1  # JSON numbers: near level 9's size for a small part of its CPU (benchmarks/bench_gzip.py)

DESCRIPTION = """Build a feed-forward network, push examples through it layer by layer, send gradients
back, and see every number. Notation: layer k = 1..L, a_k = b_k + W_k h_(k-1), h_k = g(a_k),
h_0 = x, y_hat = h_L = O(a_L). Non-finite numbers are `null` and `diverged` says where they
started. See docs/api.md."""


async def _sweep_forever(store: Store, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        store.sweep()


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], float] = time.time,
    persistence: Persistence | None = None,
) -> FastAPI:
    settings = settings if settings is not None else Settings()
    store = Store(
        ttl_seconds=settings.ttl_seconds,
        max_networks=settings.max_networks,
        clock=clock,
        persistence=persistence,
        evict_idle_seconds=settings.evict_idle_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        startup.configure_logging()
        restored = store.load()
        where = getattr(persistence, "path", None)
        if where is not None:
            startup.logger.info("networks are kept in %s: %d restored", where, restored)
        else:
            startup.logger.info("networks are kept in memory only (BACKPROP_PERSIST=0 or no persistence)")
        sweeper = asyncio.create_task(_sweep_forever(store, min(settings.ttl_seconds / 2, 60.0)))
        if settings.gc_freeze:
            gcmonitor.freeze_startup_heap()
        gc_callback = gcmonitor.install_pause_logger(settings.gc_log_ms) if settings.gc_log else None
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            if gc_callback is not None:
                gcmonitor.remove(gc_callback)

    telemetry = (
        {} if settings.telemetry else {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
    )
    app = FastAPI(
        title="Backprop Lab",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        telemetry=telemetry,  # type: ignore[arg-type]
        docs_url=None,  # served by pages.docs with Swagger UI from our own static files (offline)
        redoc_url=None,
        default_response_class=encoding.OrjsonResponse,
        generate_unique_id_function=openapi.operation_id,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.creations = CreationLimiter(settings.max_creations_per_client, settings.creation_window_seconds, clock)
    errors.install(app)
    openapi.install(app)
    # JSON answers above ~1 KB are gzipped for clients that accept it (a backward pass's digits are
    # 2-3x smaller); the training stream (text/event-stream) and the static files (compressed once,
    # Content-Encoding already set) pass through untouched.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.allowed_hosts:  # added last: outermost, so another Host is refused before anything runs
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts))
    # Routers are matched in order on every request: the hot computation routes come first.
    routers = (
        compute.router, networks.router, timeline.router, training.router,
        datasets.router, meta.router, derivation.router,
    )  # fmt: skip
    json_only = [Depends(security.require_json_content_type)]  # state changes: JSON only (app.security)
    for router in (*routers, lessons.router, insight.router):
        app.include_router(
            router, prefix=API_PREFIX, dependencies=json_only, responses=security.UNSUPPORTED_MEDIA_TYPE
        )
    app.state.route_methods = errors.RouteMethods(API_PREFIX, (*routers, lessons.router, insight.router))
    app.include_router(pages.router)  # before the /static mount: it serves /static/vendor/plotly.min.js
    app.mount("/static", CachedStaticFiles(directory=pages.STATIC_DIR, check_dir=False), name="static")
    return app


_settings = Settings()
app = create_app(_settings, persistence=persistence_from_settings(_settings))
