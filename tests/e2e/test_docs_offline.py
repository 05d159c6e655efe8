"""/docs renders every operation from our own server: no request leaves the machine."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import Page, Route, expect


def test_docs_render_offline(page: Page, live_server: str) -> None:
    host = urlparse(live_server).netloc
    outside: list[str] = []

    def block_outside(route: Route) -> None:
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", block_outside)
    page.goto(f"{live_server}/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
    assert page.locator(".opblock").count() >= 25
    expect(page.get_by_text("/api/v1/networks/{network_id}/backward", exact=True)).to_be_visible()
    assert outside == []
