"""Command line: `backprop-lab serve --host --port --data-dir --workers --store`; every other setting is an
environment variable (``BACKPROP_...``, see ``app/settings.py``)."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from app import cpu_claims, listeners
from app.server import uvicorn_options
from app.settings import Settings
from app.startup import StartupError, check_data_dir

logger = logging.getLogger("uvicorn.error")

GRACEFUL_SHUTDOWN_SECONDS = 1  # trainings stop at their next minibatch and save well within this


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="backprop-lab", description="Backprop Lab: see every number of backprop.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the page and the REST API")
    serve.add_argument("--host", default=os.environ.get("BACKPROP_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("BACKPROP_PORT", "8000")))
    serve.add_argument(
        "--data-dir", help="folder of the networks' SQLite file (default: $BACKPROP_DATA_DIR, else ./data)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("BACKPROP_WORKERS", "0")) or os.cpu_count() or 1,
        help="worker processes, all serving every network from one shared store (default: the number of CPUs)",
    )
    serve.add_argument(
        "--store", help="where networks live: sqlite:///file, redis://host:6379/0 (default: $BACKPROP_STORE)"
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.data_dir is not None:
        os.environ["BACKPROP_DATA_DIR"] = args.data_dir  # read by the app's Settings
    if args.store is not None:
        os.environ["BACKPROP_STORE"] = args.store
    scratch: str | None = None
    scratch_cpus: str | None = None  # the workers' CPU claims (app/cpu_claims.py)
    if args.workers > 1 and _in_memory_only():
        # Workers share networks through a store; without persistence it is a file deleted at exit.
        scratch = tempfile.mkdtemp(prefix="backprop-lab-")
        os.environ["BACKPROP_STORE"] = f"sqlite://{scratch}/networks.sqlite3"
    # Header size, header and body read timeouts and the connection limit come from the settings
    # (app/server.py).
    settings = Settings()
    if settings.persist and not settings.store:
        try:  # before the server starts: one line with the fix, not a traceback
            check_data_dir(Path(settings.data_dir))
        except StartupError as exc:
            sys.exit(f"backprop-lab: {exc}")
    limits = uvicorn_options(settings)
    limits["http"] = "app.server:EnvironmentH11Protocol"  # by name: every worker process imports it
    options: dict[str, Any] = dict(
        host=args.host, port=args.port, workers=args.workers, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS
    )
    try:
        if args.workers > 1 and listeners.SUPPORTED:
            # uvicorn's supervisor, but each worker listens on a socket of its own (app/listeners.py)
            listeners.check_free(args.host, args.port)
            config = uvicorn.Config("app.main:app", **options, **limits)
            logger.info("Uvicorn running on http://%s:%d, one listening socket per worker", args.host, args.port)
            if settings.pin_workers and cpu_claims.SUPPORTED:
                scratch_cpus = tempfile.mkdtemp(prefix="backprop-lab-cpus-")
            sockets = listeners.WorkerSockets(args.host, args.port, scratch_cpus)
            Multiprocess(config, sockets=sockets).run()
        else:
            uvicorn.run("app.main:app", **options, **limits)
    finally:
        for folder in (scratch, scratch_cpus):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)


def _in_memory_only() -> bool:
    store = os.environ.get("BACKPROP_STORE", "")
    persist = os.environ.get("BACKPROP_PERSIST", "1").strip().lower() not in ("0", "false", "no", "off")
    return store == "memory" or (store == "" and not persist)


if __name__ == "__main__":
    main()
