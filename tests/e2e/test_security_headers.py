"""The page under its own Content-Security-Policy: it loads, draws and computes, and nothing it
does is refused (the other browser tests bypass the policy, see conftest.browser_context_args)."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Browser, expect

VIOLATIONS = """() => { window.__csp = []; document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI)); }"""


def test_page_works_under_its_content_security_policy(browser: Browser, base_url: str) -> None:
    for path in ("/", "/compare"):
        headers = httpx.get(base_url + path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp
        assert headers["x-content-type-options"] == "nosniff"
    context = browser.new_context(viewport={"width": 1280, "height": 720})  # bypass_csp off
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.add_init_script(script=f"({VIOLATIONS})()")
    try:
        page.goto(base_url + "/?ds=xor&sizes=2,3,2")
        expect(page.get_by_test_id("btn-forward")).to_be_enabled()
        page.keyboard.press("f")
        with page.expect_response(lambda r: r.url.endswith("/step") and r.status == 200):
            page.keyboard.press("s")
        with page.expect_response(lambda r: r.url.endswith("/reset") and r.status == 200):
            page.get_by_test_id("btn-reset").click()
        page.goto(base_url + "/compare")
        page.wait_for_timeout(1000)
        violations: Any = page.evaluate("window.__csp")
        assert violations == [] and errors == [], (violations, errors)
    finally:
        context.close()
