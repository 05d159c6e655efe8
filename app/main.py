"""Assembles the app: settings, store, error handlers, middleware, routers, static files, page.

``app`` (used by ``backprop-lab serve`` / uvicorn ``app.main:app``) reads its settings from the
environment; tests build their own with ``create_app(Settings(...), clock=...)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import FrameType

from fastapi import Depends, FastAPI, Request
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import Response

from app import audit, encoding, errors, gcmonitor, offload, openapi, security, startup
from app.admission import CreationLimiter
from app.backends import Backend, MemoryBackend
from app.middleware import BodySizeLimit
from app.persistence import FILENAME, SqliteBackend
from app.routes import compute, datasets, derivation, insight, lessons, meta, networks, pages, timeline, training
from app.settings import Settings
from app.static_files import CachedStaticFiles
from app.store import LeaseLostError, NetworkBusyError, Store

API_PREFIX = "/api/v1"
GZIP_MINIMUM_BYTES = 1024
GZIP_LEVEL = 1  # JSON numbers: near level 9's size for a small part of its CPU (benchmarks/bench_gzip.py)
BUSY_RETRY_AFTER_SECONDS = 5
logger = logging.getLogger("backprop_lab.main")

DESCRIPTION = """Build a feed-forward network, push examples through it layer by layer, send gradients
back, and see every number. Notation: layer k = 1..L, a_k = b_k + W_k h_(k-1), h_k = g(a_k),
h_0 = x, y_hat = h_L = O(a_L). Non-finite numbers are `null` and `diverged` says where they
started. See docs/api.md."""


async def _sweep_forever(store: Store, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await store.sweep_async()
        except Exception:  # the store briefly unreachable: next time
            logger.exception("could not sweep the store")


def sqlite_path(where: str) -> Path:
    """The file of ``sqlite:///abs/file``, ``sqlite:////abs/file`` (SQLAlchemy's absolute form) or
    ``sqlite:relative/file``: a run of leading slashes is one (POSIX keeps a leading "//" apart)."""
    path = where.removeprefix("sqlite:").removeprefix("//")
    return Path("/" + path.lstrip("/")) if path.startswith("/") else Path(path)


def open_backend(settings: Settings) -> Backend:
    """The backend the settings name (see Settings.store)."""
    where = settings.store
    if where.startswith(("redis://", "rediss://", "unix://")):
        from app.redis_store import RedisBackend

        return RedisBackend(where)
    if where.startswith("sqlite:"):
        return SqliteBackend(sqlite_path(where))
    if where == "memory" or (where == "" and not settings.persist):
        return MemoryBackend()
    if where == "":
        return SqliteBackend(Path(settings.data_dir) / FILENAME)
    raise ValueError(f"BACKPROP_STORE={where!r}: use memory, sqlite:///path/file.sqlite3 or redis://host:6379/0")


def _stop_trainings_on_sigterm(store: Store) -> Callable[[], None]:
    """Chain a SIGTERM handler that stops this worker's trainings at their next minibatch (they then
    save and end) before the server's own handler starts the shutdown; returns its undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signals reach the main thread only (e.g. tests run the app in a thread)
    previous = signal.getsignal(signal.SIGTERM)

    def handler(signum: int, frame: FrameType | None) -> None:
        store.stop_all()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, handler)

    def undo() -> None:
        if signal.getsignal(signal.SIGTERM) is handler:
            signal.signal(signal.SIGTERM, previous)

    return undo


async def _busy(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NetworkBusyError)
    detail = (
        f"network {exc.network_id} stayed busy for {exc.waited:.0f} s (lock_wait_seconds): another request, "
        "probably a training, holds it; stop that training or try again later"
    )
    return encoding.json_response({"detail": detail}, 503, headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})


async def _lease_lost(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LeaseLostError)
    return encoding.json_response({"detail": str(exc)}, 503, headers={"Retry-After": str(exc.retry_after)})


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], float] = time.time,
    backend: Backend | None = None,
) -> FastAPI:
    settings = settings if settings is not None else Settings()
    store = Store(
        ttl_seconds=settings.ttl_seconds,
        max_networks=settings.max_networks,
        clock=clock,
        backend=backend if backend is not None else open_backend(settings),
        lease_seconds=settings.lease_seconds,
        lock_wait_seconds=settings.lock_wait_seconds,
        evict_idle_seconds=settings.evict_idle_seconds,
    )
    offload.configure(settings.compute_threads, settings.blas_threads)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        startup.configure_logging()
        await store.sweep_async()
        where = getattr(store.backend, "path", None) or ("Redis" if hasattr(store.backend, "url") else "memory")
        audited = await asyncio.to_thread(audit.audit, store.backend)  # store I/O: off the event loop
        startup.logger.info("networks are kept in %s: %s", where, audited.summary())
        tasks = [
            asyncio.create_task(_sweep_forever(store, min(settings.ttl_seconds / 2, 60.0))),
            asyncio.create_task(store.run_heartbeat()),
        ]
        undo_signal = _stop_trainings_on_sigterm(store)
        if settings.gc_freeze:
            gcmonitor.freeze_startup_heap()
        gc_callback = gcmonitor.install_pause_logger(settings.gc_log_ms) if settings.gc_log else None
        try:
            yield
        finally:
            store.stop_all()
            undo_signal()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if gc_callback is not None:
                gcmonitor.remove(gc_callback)
            store.close()

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
    app.state.creations = CreationLimiter(settings.max_creations_per_client, settings.creation_window_seconds)
    app.state.streams = training.StreamCount()
    errors.install(app)
    openapi.install(app)
    app.add_exception_handler(NetworkBusyError, _busy)
    app.add_exception_handler(LeaseLostError, _lease_lost)
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
        app.include_router(router, prefix=API_PREFIX, dependencies=json_only, responses=security.UNSUPPORTED_MEDIA_TYPE)
    app.state.route_methods = errors.RouteMethods(API_PREFIX, (*routers, lessons.router, insight.router))
    app.include_router(pages.router)  # before the /static mount: it serves /static/vendor/plotly.min.js
    app.mount("/static", CachedStaticFiles(directory=pages.STATIC_DIR, check_dir=False), name="static")
    return app


app = create_app()
