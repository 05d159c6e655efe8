"""Helpers for the classroom tests (projector, phones, live training, keyboard): the viewports a
room uses, screenshots under test-results/room/, and layout measurements taken in the page."""

from __future__ import annotations

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


# Boxes that must not touch in a room. Text boxes are SVG <text> boxes in the diagram and, in HTML and
# MathML, one box per line of each text node (Range.getClientRects); boxes are shrunk by `slack` px
# on every side first, so glyphs that merely abut do not count.
_BOXES_JS = """
  const slack = 1;
  const visible = (n) => { const cs = getComputedStyle(n); return cs.visibility !== "hidden" && cs.display !== "none"; };
  const box = (r, what) => ({ l: r.left + slack, t: r.top + slack, r: r.right - slack, b: r.bottom - slack, what });
  const hit = (p, q) => p.l < q.r && q.l < p.r && p.t < q.b && q.t < p.b;
  const name = (n) => `${n.tagName}${n.dataset && n.dataset.testid ? "#" + n.dataset.testid : ""} "${n.textContent.trim().slice(0, 16)}"`;
  const textBoxes = (root) => {
    const out = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      if (!t.textContent.trim() || !visible(t.parentElement)) continue;
      if (t.parentElement.matches("mover[accent] > :last-child, mover > mo:last-child")) continue; // y-hat's hat sits on y
      const range = document.createRange();
      range.selectNodeContents(t);
      for (const r of range.getClientRects()) if (r.width > 0.5 && r.height > 0.5) out.push(box(r, name(t.parentElement)));
    }
    return out;
  };
"""


def diagram_overlaps(page: Page) -> dict[str, list[str]]:
    """In the network diagram: pairs of texts whose boxes overlap; texts that overlap a bias square
    or a neuron other than their own; texts that reach outside the drawing."""
    return dict(
        page.evaluate(
            "() => {"
            + _BOXES_JS
            + """
              const svg = document.querySelector('[data-testid="diagram-svg"]');
              const frame = svg.getBoundingClientRect();
              const texts = [...svg.querySelectorAll("text")].filter((n) => n.textContent.trim() && visible(n))
                .map((n) => ({ ...box(n.getBoundingClientRect(), name(n)), unit: n.closest("g[data-nav]") }));
              const shapes = [...svg.querySelectorAll("g[data-nav] .half, g[data-nav] .bias")]
                .map((n) => ({ ...box(n.getBoundingClientRect(), name(n) + n.getAttribute("data-testid")),
                               unit: n.closest("g[data-nav]"), bias: n.classList.contains("bias") }));
              const texts_ = [], shapes_ = [], outside = [];
              texts.forEach((p, i) => {
                for (const q of texts.slice(i + 1)) if (hit(p, q)) texts_.push(`${p.what} / ${q.what}`);
                for (const q of shapes) if ((q.bias || q.unit !== p.unit) && hit(p, q)) shapes_.push(`${p.what} / ${q.what}`);
                if (p.l < frame.left - 0.5 || p.r > frame.right + 0.5 || p.t < frame.top - 0.5 || p.b > frame.bottom + 0.5) outside.push(p.what);
              });
              return { texts: texts_, shapes: shapes_, outside };
            }"""
        )
    )


def text_overlaps(page: Page, selector: str) -> list[str]:
    """Pairs of text boxes (HTML and MathML text, line by line) inside `selector` that overlap."""
    return list(
        page.evaluate(
            "(sel) => {"
            + _BOXES_JS
            + """
              const boxes = [...document.querySelectorAll(sel)].flatMap((root) => textBoxes(root));
              const out = [];
              boxes.forEach((p, i) => { for (const q of boxes.slice(i + 1)) if (hit(p, q)) out.push(`${p.what} / ${q.what}`); });
              return out.slice(0, 20);
            }""",
            selector,
        )
    )


def boxes_overlap(page: Page, selectors: list[str]) -> list[str]:
    """Which of these elements' boxes overlap one another (visible ones only)."""
    return list(
        page.evaluate(
            "(sels) => {"
            + _BOXES_JS
            + """
              const boxes = sels.map((s) => [document.querySelector(s), s]).filter(([n]) => n && n.getClientRects().length)
                .map(([n, s]) => box(n.getBoundingClientRect(), s));
              const out = [];
              boxes.forEach((p, i) => { for (const q of boxes.slice(i + 1)) if (hit(p, q)) out.push(`${p.what} / ${q.what}`); });
              return out;
            }""",
            selectors,
        )
    )
