"""Command line: `backprop-lab serve --host --port --data-dir`; every other setting is an environment
variable (``BACKPROP_...``, see ``app/settings.py``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import uvicorn

from app.server import uvicorn_options
from app.settings import Settings
from app.startup import StartupError, check_data_dir


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="backprop-lab", description="Backprop Lab: see every number of backprop.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the page and the REST API")
    serve.add_argument("--host", default=os.environ.get("BACKPROP_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("BACKPROP_PORT", "8000")))
    serve.add_argument(
        "--data-dir", help="folder of the networks' SQLite file (default: $BACKPROP_DATA_DIR, else ./data)"
    )
    args = parser.parse_args(argv)
    if args.data_dir is not None:
        os.environ["BACKPROP_DATA_DIR"] = args.data_dir  # read by the app's Settings
    # One worker: networks live in this process's store (see README). Header size, header and body
    # read timeouts and the connection limit come from the settings (app/server.py).
    settings = Settings()
    if settings.persist:
        try:  # before the server starts: one line with the fix, not a traceback
            check_data_dir(Path(settings.data_dir))
        except StartupError as exc:
            sys.exit(f"backprop-lab: {exc}")
    limits = uvicorn_options(settings)
    uvicorn.run("app.main:app", host=args.host, port=args.port, workers=1, **limits)


if __name__ == "__main__":
    main()
