"""The page's static files, served from memory.

When a class opens the page at once, every student's browser asks for the page's two dozen
scripts, styles and its Plotly.js bundle. Starlette's ``StaticFiles`` opens, stats and reads each
file in worker threads on every request: about 1.5 ms of CPU per file here, so 100 students
opening the page cost seconds of CPU and slow everyone's steps meanwhile. This keeps each file's
bytes in memory (and a gzip-compressed copy of text files, made once: 1.5 MB of Plotly.js become
about 0.5 MB on the classroom's Wi-Fi), checks the file's size and mtime with one ``stat`` per
request so that an edited file is served fresh, and answers ``If-None-Match`` with 304.
``Cache-Control: no-cache`` lets browsers keep the files but ask again each time (a cheap 304).

The page's folders (``templates/``, ``static/``) sit at the top of a checkout and inside the app
package in an installed wheel (pyproject.toml maps them there): ``page_folder`` finds either.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import mimetypes
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

MAX_CACHED_BYTES = 16_000_000  # larger files are streamed from disk as StaticFiles does
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")

_APP_PACKAGE = Path(__file__).resolve().parent


def page_folder(name: str) -> Path:
    """``app/<name>`` in an installed wheel, else ``<checkout>/<name>`` (a checkout or an editable
    install). Raises naming both places when neither exists: a server without its page is broken."""
    candidates = (_APP_PACKAGE / name, _APP_PACKAGE.parent / name)
    for folder in candidates:
        if folder.is_dir():
            return folder
    raise RuntimeError(
        f"the page's {name}/ folder is missing: looked in {candidates[0]} (installed wheel) and {candidates[1]} "
        "(checkout); reinstall the package (pip install backprop-lab) or run from a full checkout"
    )


@dataclass(frozen=True)
class _Cached:
    mtime_ns: int
    size: int
    body: bytes
    gzipped: bytes | None  # None when compressing does not pay
    etag: str
    media_type: str


class CachedStaticFiles(StaticFiles):
    """``StaticFiles`` with each file's bytes kept in memory (see the module docstring)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._cache: dict[str, _Cached] = {}

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": "GET, HEAD"})
        try:
            full_path, stat_result = self.lookup_path(path)  # realpath and stat: microseconds, no thread
        except PermissionError:
            raise HTTPException(status_code=401) from None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise HTTPException(status_code=404) from None
            raise
        except ValueError:  # a null byte in the path
            raise HTTPException(status_code=404) from None
        if stat_result is None or not stat.S_ISREG(stat_result.st_mode) or stat_result.st_size > MAX_CACHED_BYTES:
            return await super().get_response(path, scope)
        cached = self._cache.get(full_path)
        if cached is None or (cached.mtime_ns, cached.size) != (stat_result.st_mtime_ns, stat_result.st_size):
            cached = self._load(full_path, stat_result)
        headers = {"ETag": cached.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        request_headers = Headers(scope=scope)
        if cached.etag in request_headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        body = cached.body
        if cached.gzipped is not None and "gzip" in request_headers.get("accept-encoding", ""):
            body = cached.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=cached.media_type, headers=headers)

    def _load(self, full_path: str, stat_result: os.stat_result) -> _Cached:
        with open(full_path, "rb") as f:
            body = f.read()
        media_type = mimetypes.guess_type(full_path)[0] or "application/octet-stream"
        gzipped = None
        if media_type.startswith(COMPRESSIBLE) and len(body) > 1024:
            packed = gzip.compress(body, compresslevel=6, mtime=0)
            gzipped = packed if len(packed) < 0.9 * len(body) else None
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        cached = _Cached(stat_result.st_mtime_ns, stat_result.st_size, body, gzipped, etag, media_type)
        self._cache[full_path] = cached
        return cached
