"""Static files from memory: the same bytes as on disk, gzip when asked, 304 for a known ETag,
an edited file served fresh, nothing outside the folder."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.routes.pages import STATIC_DIR
from app.settings import Settings
from app.static_files import CachedStaticFiles

SCRIPT = "const x = 1;\n" * 200


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text(SCRIPT)
    (tmp_path / "tiny.css").write_text("b{}")
    (tmp_path.parent / "secret.txt").write_text("not to be served")
    return tmp_path


@pytest.fixture
def client(folder: Path) -> Iterator[TestClient]:
    app = FastAPI()
    app.mount("/static", CachedStaticFiles(directory=folder), name="static")
    with TestClient(app) as test_client:
        yield test_client


def test_serves_the_file_with_an_etag(client: TestClient) -> None:
    response = client.get("/static/js/a.js", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.content == SCRIPT.encode()
    assert response.headers["content-type"].startswith("text/javascript")
    assert "content-encoding" not in response.headers
    assert response.headers["cache-control"] == "no-cache" and response.headers["etag"]


def test_gzip_when_asked(client: TestClient) -> None:
    response = client.get("/static/js/a.js", headers={"Accept-Encoding": "gzip, deflate"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == SCRIPT.encode()  # httpx decompresses
    assert int(response.headers["content-length"]) == len(gzip.compress(SCRIPT.encode(), 6, mtime=0))
    tiny = client.get("/static/tiny.css", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in tiny.headers and tiny.content == b"b{}"  # too small to pay


def test_known_etag_answers_304(client: TestClient) -> None:
    etag = client.get("/static/js/a.js").headers["etag"]
    response = client.get("/static/js/a.js", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""


def test_an_edited_file_is_served_fresh(client: TestClient, folder: Path) -> None:
    first = client.get("/static/js/a.js")
    path = folder / "js" / "a.js"
    path.write_text("let y = 2;\n")
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000))
    second = client.get("/static/js/a.js", headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200 and second.content == b"let y = 2;\n"
    assert second.headers["etag"] != first.headers["etag"]


def test_refuses_what_is_not_a_file_inside_the_folder(client: TestClient) -> None:
    assert client.get("/static/missing.js").status_code == 404
    assert client.get("/static/js").status_code == 404
    assert client.get("/static/../secret.txt").status_code == 404
    assert client.get("/static/%2e%2e/secret.txt").status_code == 404
    assert client.post("/static/js/a.js").status_code == 405


def test_the_app_serves_the_page_files_this_way() -> None:
    with TestClient(create_app(Settings())) as app_client:
        response = app_client.get("/static/css/app.css")
        assert response.status_code == 200
        assert response.content == (STATIC_DIR / "css" / "app.css").read_bytes()
        assert response.headers["cache-control"] == "no-cache"
