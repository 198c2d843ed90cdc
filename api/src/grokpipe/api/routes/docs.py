"""``/docs`` (Swagger UI) and ``/redoc`` with their JavaScript and CSS served by the api itself.

FastAPI's own pages load Swagger UI and ReDoc from a CDN (and ReDoc's fonts from Google), so on a
machine without internet they stay blank. The same pages here point at ``/docs/assets/<file>``,
files shipped by the ``fastapi-offline`` package (Swagger UI 5 and ReDoc 2 builds), read from the
installed package and nowhere else. The app is created with ``docs_url=None, redoc_url=None`` and
includes this router instead.

Like ``/openapi.json``, these pages need no API key: they describe the API, and the "Authorize"
button takes the ``X-API-Key`` that Swagger UI then sends with every "Try it out" request.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

from grokpipe.api.kernel.openapi import DeclaredRoute

router = APIRouter(include_in_schema=False, route_class=DeclaredRoute)

ASSETS_URL = "/docs/assets"
#: The files a page may ask for, and their media types: nothing else of the package is served.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
#: No online validator badge (Swagger UI would fetch it from validator.swagger.io); keep the key on reload.
SWAGGER_UI_PARAMETERS: dict[str, Any] = {"validatorUrl": None, "persistAuthorization": True}


def assets_dir() -> Path:
    return Path(str(files("fastapi_offline").joinpath("static")))


def _urls(request: Request) -> tuple[FastAPI, str, str]:
    app: FastAPI = request.app
    root = str(request.scope.get("root_path") or "")
    return app, root, f"{root}{app.openapi_url or '/openapi.json'}"


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    app, root, openapi = _urls(request)
    return get_swagger_ui_html(
        openapi_url=openapi,
        title=f"{app.title} - Swagger UI",
        swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS | (app.swagger_ui_parameters or {}),
    )


@router.get(OAUTH2_REDIRECT_URL)
def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    app, root, openapi = _urls(request)
    return get_redoc_html(
        openapi_url=openapi,
        title=f"{app.title} - ReDoc",
        redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )


@router.get(ASSETS_URL + "/{name}")
def asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404, f"no such docs asset: {name}")
    # the files change only with the package version: let browsers keep them for a day
    return FileResponse(assets_dir() / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
