"""Helpers for the browser tests: the page under test next to the API it talks to."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
# Tests write pictures and timings here only (git-ignored); scripts/screenshots.sh copies the
# chosen ones to docs/screenshots/.
SCREENSHOTS = ROOT / "test-results" / "screenshots"
_ANY = re.compile(".+")  # any attribute value


class Lab:
    """The page under test, with the API next to it (same server) to compare numbers."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, query: str = "") -> None:
        self.page.goto(f"/{query}")
        self.page.wait_for_function("document.body.dataset.ready === '1'", timeout=20_000)
        self.wait_trace()

    def wait_trace(self) -> None:
        """Until the traced example's x (h_0) is shown: the network and its trace are loaded."""
        expect(self.page.get_by_test_id("h-0-0")).to_have_attribute("data-value", _ANY)

    @property
    def network_id(self) -> str:
        return str(self.page.evaluate("document.body.dataset.networkId"))

    @property
    def stage(self) -> int:
        return int(self.page.evaluate("document.body.dataset.stage"))

    def wait_stage(self, stage: int) -> None:
        self.page.wait_for_function(f"document.body.dataset.stage === '{stage}'")

    def value(self, testid: str) -> float:
        raw = self.page.get_by_test_id(testid).get_attribute("data-value")
        assert raw is not None, f"{testid} shows no value"
        return float(raw)

    def values(self, prefix: str) -> dict[str, float]:
        """Every displayed value whose data-testid starts with prefix (e.g. "W-")."""
        pairs = self.page.evaluate(
            """(prefix) => [...document.querySelectorAll(`#layers [data-testid^="${prefix}"]`)]
                 .filter((n) => n.dataset.value !== undefined).map((n) => [n.dataset.testid, n.dataset.value])""",
            prefix,
        )
        return {k: float(v) for k, v in pairs}

    def wait_value(self, testid: str, value: float, *, equal: bool = True) -> None:
        """Until the element shows exactly `value` (or, with equal=False, anything else)."""
        op = "===" if equal else "!=="
        self.page.wait_for_function(
            f"(v) => {{ const n = document.querySelector('[data-testid=\"{testid}\"]');"
            f" return !!n && n.dataset.value !== undefined && Number(n.dataset.value) {op} v; }}",
            arg=value,
        )

    def has_value(self, testid: str) -> bool:
        return self.page.get_by_test_id(testid).get_attribute("data-value") is not None

    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = self.page.request.fetch(
            f"/api/v1{path}",
            method=method,
            data=json.dumps(body) if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        assert response.ok, f"{method} {path}: {response.status} {response.text()}"
        return response.json()

    def example(self) -> dict[str, Any]:
        node = self.page.get_by_test_id("example-current")
        return {"rows": [int(node.get_attribute("data-row") or 0)], "split": node.get_attribute("data-split")}

    def trace(self) -> Any:
        """The API's own backward trace for the traced example, on the current parameters."""
        return self.api("POST", f"/networks/{self.network_id}/backward", self.example())

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(150)
        self.page.screenshot(path=str(SCREENSHOTS / name))
