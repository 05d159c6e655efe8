"""Start-up that explains itself: the data folder is checked before the server starts (one line
naming the folder, the user id and the fix when it cannot be written), a database file that is
not a readable SQLite database is moved aside (``networks.sqlite3.corrupt-<time>``) with one log
line so that the server starts empty, and the log says where networks are kept.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

logger = logging.getLogger("backprop_lab.startup")

IMAGE_UID = 10001  # the Docker image's user (Dockerfile)


class StartupError(RuntimeError):
    """The server cannot start as configured; the message is one line that says how to fix it."""


def configure_logging() -> None:
    """The app's own log lines (``backprop_lab.*``) on stderr beside uvicorn's, once."""
    root = logging.getLogger("backprop_lab")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


def check_data_dir(folder: Path) -> None:
    """Creates ``folder`` if needed and checks that this process can write a file in it."""
    uid = os.getuid()
    fix = (
        f"fix: `chown {uid} {folder}` (for the Docker image, `chown {IMAGE_UID}` the folder mounted at /data), "
        "or set BACKPROP_DATA_DIR to a writable folder, or BACKPROP_PERSIST=0 to keep networks in memory only"
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StartupError(f"cannot keep networks in {folder}: {reason} for uid {uid}; {fix}") from exc


def _readable(path: Path) -> str | None:
    """None when ``path`` is a readable SQLite database, else why not."""
    try:
        # as_uri() percent-encodes the path: a folder named "a#b" or "?" is a path, not URI syntax
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError:
        raise  # the file could not be opened (permissions, a locked folder): not corrupt, never moved aside
    except sqlite3.DatabaseError as exc:
        return str(exc)
    if result is None or result[0] != "ok":
        first = str(result[0]).splitlines()[-1] if result else "no answer"
        return f"its integrity check fails: {first.strip()}"
    return None


def set_aside_if_corrupt(path: Path) -> Path | None:
    """Moves a database file that SQLite cannot read (with its -wal and -shm files) aside, as
    ``<name>.corrupt-<UTC time>``, and returns where it went; None when there is nothing to do."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    reason = _readable(path)
    if reason is None:
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            part.rename(Path(f"{target}{suffix}"))
    logger.warning("%s is not a readable database (%s): moved aside to %s; starting empty", path, reason, target)
    return target
