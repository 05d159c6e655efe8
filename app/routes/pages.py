"""The page: ``/`` renders templates/index.html, ``/compare`` templates/compare.html (two networks
side by side), and Plotly.js is served from the installed plotly package (offline, no CDN).
The folders are found in a checkout and in an installed wheel (``page_folder``)."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import FileResponse, Response
from starlette.templating import Jinja2Templates

from app.security import PAGE_HEADERS
from app.static_files import page_folder

TEMPLATES_DIR = page_folder("templates")
STATIC_DIR = page_folder("static")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

router = APIRouter(include_in_schema=False)
_templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@router.get("/")
async def index(request: Request) -> Response:
    return _templates.TemplateResponse(request, "index.html", {"api_base": "/api/v1"}, headers=PAGE_HEADERS)


@router.get("/compare")
async def compare(request: Request) -> Response:
    """Two networks side by side that differ in one choice (templates/compare.html)."""
    return _templates.TemplateResponse(request, "compare.html", {"api_base": "/api/v1"}, headers=PAGE_HEADERS)


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
