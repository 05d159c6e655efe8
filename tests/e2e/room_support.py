"""Helpers for the classroom tests (projector, phones, live training, keyboard): the viewports a
room uses, screenshots under test-results/room/, and layout measurements taken in the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from .support import ROOT

RESULTS = ROOT / "test-results" / "room"
DESKTOPS = [(1280, 720), (1366, 768), (1920, 1080)]
PHONE = (390, 844)
ALL_SIZES = [*DESKTOPS, PHONE]


def shot(page: Page, name: str) -> None:
    """A screenshot under test-results/room/ (git-ignored), after the next frames are drawn."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(150)
    page.screenshot(path=str(RESULTS / name))


def sized(page: Page, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})


def overflow_x(page: Page) -> int:
    """How far the document scrolls sideways (0: it does not)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def smallest_text(page: Page, selector: str) -> dict[str, Any]:
    """The smallest rendered font size (px, CSS zoom and SVG scaling included) among the visible
    text in `selector`: HTML text nodes and SVG <text>, with the element that has it."""
    return dict(
        page.evaluate(
            """(sel) => {
              let best = { px: Infinity, what: "" };
              const zoom = (n) => {
                let z = 1;
                for (let e = n; e; e = e.parentElement) z *= parseFloat(getComputedStyle(e).zoom) || 1;
                return z;
              };
              for (const root of document.querySelectorAll(sel)) {
                const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
                for (let t = walker.nextNode(); t; t = walker.nextNode()) {
                  if (!t.textContent.trim()) continue;
                  const n = t.parentElement;
                  const r = n.getBoundingClientRect();
                  if (!r.width || !r.height) continue;
                  const cs = getComputedStyle(n);
                  if (cs.visibility === "hidden" || cs.display === "none") continue;
                  let px = parseFloat(cs.fontSize) * zoom(n);
                  if (n instanceof SVGElement && n.ownerSVGElement) {
                    const m = n.getScreenCTM();
                    const svgZoom = zoom(n.ownerSVGElement);
                    if (m) px = parseFloat(cs.fontSize) * Math.hypot(m.a, m.b) * (svgZoom || 1);
                  }
                  const cls = n.getAttribute("class") || "";
                  if (px < best.px) best = { px, what: `${n.tagName}.${cls}: ${t.textContent.trim().slice(0, 30)}` };
                }
              }
              return best;
            }""",
            selector,
        )
    )


# The box measurements run in the page (tests/e2e/room_boxes.js): one function of (kind, argument).
_BOXES = (Path(__file__).parent / "room_boxes.js").read_text()


def diagram_overlaps(page: Page) -> dict[str, list[str]]:
    """In the network diagram: pairs of texts whose boxes overlap; texts that overlap a bias square
    or a neuron other than their own; texts that reach outside the drawing."""
    return dict(page.evaluate(_BOXES, ["diagram", None]))


def text_overlaps(page: Page, selector: str) -> list[str]:
    """Pairs of text boxes (HTML and MathML text, line by line) inside `selector` that overlap."""
    return list(page.evaluate(_BOXES, ["texts", selector]))


def boxes_overlap(page: Page, selectors: list[str]) -> list[str]:
    """Which of these elements' boxes overlap one another (visible ones only)."""
    return list(page.evaluate(_BOXES, ["elements", selectors]))
