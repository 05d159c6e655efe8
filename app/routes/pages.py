"""The page: ``/`` renders templates/index.html (a small fallback until it exists), ``/compare``
templates/compare.html (two networks side by side), and
Plotly.js is served from the installed plotly package (offline, no CDN)."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.templating import Jinja2Templates

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

router = APIRouter(include_in_schema=False)
_templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

_FALLBACK = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backprop Lab</title></head>
<body><h1>Backprop Lab</h1><p>The page is not built yet. The REST API is at
<a href="/docs">/docs</a> (base path <code>/api/v1</code>).</p></body></html>
"""


@router.get("/")
async def index(request: Request) -> Response:
    if (TEMPLATES_DIR / "index.html").is_file():
        return _templates.TemplateResponse(request, "index.html", {"api_base": "/api/v1"})
    return HTMLResponse(_FALLBACK)


@router.get("/compare")
async def compare(request: Request) -> Response:
    """Two networks side by side that differ in one choice (templates/compare.html)."""
    return _templates.TemplateResponse(request, "compare.html", {"api_base": "/api/v1"})


@router.get("/static/vendor/plotly.min.js")
async def plotly_js() -> Response:
    return FileResponse(PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


SWAGGER_UI = "/static/vendor/swagger-ui"


@router.get("/docs")
async def docs() -> Response:
    """OpenAPI docs (Swagger UI 5, vendored under static/vendor/swagger-ui: works with no internet)."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Backprop Lab API",
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
    )
