"""/docs and /redoc work without internet: every script, style sheet and icon comes from the api itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from support.api import READ_KEY, FakeClock, api_settings, serve

from grokpipe.api.app import create_app
from grokpipe.api.routes.docs import ASSETS, assets_dir
from grokpipe.embedded import EmbeddedStack


class _Links(HTMLParser):
    """Every URL a page makes the browser load: <script src>, <link href>, <img src>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (tag, name) in {("script", "src"), ("link", "href"), ("img", "src")}:
                self.urls.append(value)


def loaded_urls(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


@pytest.fixture(scope="module")
def client(stack: EmbeddedStack) -> Iterator[httpx.Client]:
    app = create_app(api_settings(stack), clock=FakeClock(), scheduler=False)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


@pytest.mark.parametrize(("page", "assets"), [("/docs", 3), ("/redoc", 2)])
def test_docs_pages_load_everything_from_the_api(client: httpx.Client, page: str, assets: int) -> None:
    response = client.get(page)  # no key needed, as before
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    # no absolute URL to another host anywhere in the page: no CDN, no Google fonts, no validator
    assert re.findall(r"https?://[^\s\"'<>]+", html) == []
    assert "fonts.googleapis" not in html
    urls = loaded_urls(html)
    assert len(urls) == assets
    for url in urls:
        assert url.startswith("/docs/assets/")
        asset = client.get(url)
        assert asset.status_code == 200, url
        name = url.rsplit("/", 1)[1]
        assert asset.headers["content-type"].startswith(ASSETS[name])
        assert asset.content == (assets_dir() / name).read_bytes()
        assert len(asset.content) > 1000
    assert "/openapi.json" in html


def test_swagger_ui_is_a_real_bundle_and_unknown_assets_are_404(client: httpx.Client) -> None:
    js = client.get("/docs/assets/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in js
    assert "Redoc" in client.get("/docs/assets/redoc.standalone.js").text
    assert client.get("/docs/assets/core.py").status_code == 404
    assert client.get("/docs/assets/..%2Fcore.py").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 200


def test_openapi_json_is_readable_with_a_key_and_offers_it_to_swagger_ui(client: httpx.Client) -> None:
    for headers in ({"X-API-Key": READ_KEY}, {}):
        schema = client.get("/openapi.json", headers=headers).json()
        assert schema["info"]["title"] == "grokpipe API"
        assert "/rules" in schema["paths"]
    assert schema["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "read-only or admin API key",
    }
    # the pages themselves are not API operations
    assert not {"/docs", "/redoc", "/docs/assets/{name}"} & set(schema["paths"])


def test_assets_come_from_the_installed_package() -> None:
    assert {path.name for path in assets_dir().iterdir()} >= set(ASSETS)
    assert Path(assets_dir()).parent.name == "fastapi_offline"


#: What answers without a key: health for load balancers, the API's description (/openapi.json and the pages
#: that show it: Swagger UI must read the document before its "Authorize" button can take a key), and the
#: dev demo target of the example check (dev_sink only). Everything else, a new route included, needs a key.
PUBLIC = {
    "/healthz",
    "/openapi.json",
    "/docs",
    "/redoc",
    "/docs/oauth2-redirect",
    "/docs/assets/{name}",
    "/demo/login",
    "/demo/usage",
    "/demo/{service}",
}


def test_only_health_and_the_api_description_answer_without_a_key(stack: EmbeddedStack) -> None:
    from fastapi.routing import APIRoute
    from starlette.routing import Route

    app = create_app(api_settings(stack, dev_sink=True), clock=FakeClock(), scheduler=False)
    listed = [getattr(getattr(r, "original_router", None), "routes", None) or [r] for r in app.routes]
    routes = [(r.path, sorted(r.methods or ())) for rs in listed for r in rs if isinstance(r, APIRoute | Route)]
    assert {path for path, _ in routes} >= PUBLIC
    unkeyed = []
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        for path, methods in routes:
            concrete = re.sub(r"{(\w+)(:\w+)?}", "x", path)
            for method in set(methods) - {"HEAD"}:
                status = http.request(method, concrete).status_code
                if status != 401:
                    unkeyed.append(path)
    assert set(unkeyed) == PUBLIC
