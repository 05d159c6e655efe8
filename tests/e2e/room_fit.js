// The numbers in the diagram's neurons, measured in the page for tests/e2e/test_layout_room.py: every
// number inside the half (or input circle) that holds it, tested on the shape itself (isPointInFill
// at the ends of the digits), and the widest neuron's width over its height.
(() => {
  // every number in a neuron: inside its half (or its input circle), checked on the shape itself
  const bad = [];
  const svg = document.querySelector('[data-testid="diagram-svg"]');
  const toSvg = (x, y) => { const m = svg.getScreenCTM().inverse(); return new DOMPoint(x, y).matrixTransform(m); };
  for (const t of svg.querySelectorAll("g[data-nav] text.neuron-text")) {
    if (!t.textContent.trim()) continue;
    const g = t.closest("g[data-nav]");
    const halves = [...g.querySelectorAll(".half")];
    const tb = t.getBoundingClientRect();
    const fs = parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a;
    const midY = tb.top + tb.height / 2;
    const pts = [[tb.left + 0.5, midY - 0.3 * fs], [tb.left + 0.5, midY + 0.3 * fs], [tb.right - 0.5, midY - 0.3 * fs], [tb.right - 0.5, midY + 0.3 * fs]];
    // the half that holds the text's centre
    const cxy = toSvg(tb.left + tb.width / 2, midY);
    const own = halves.find((h) => h.isPointInFill(cxy));
    if (!own) { bad.push(`${t.textContent} (${g.dataset.nav}): centre outside`); continue; }
    for (const [x, y] of pts) if (!own.isPointInFill(toSvg(x, y))) { bad.push(`${t.textContent} (${g.dataset.nav}) reaches past ${own.dataset.testid}`); break; }
  }
  const aspects = [...svg.querySelectorAll("g[data-nav]")].filter((g) => g.querySelector(".half") && g.dataset.nav.split(":")[0] !== "0").map((g) => {
    const r = [...g.querySelectorAll(".half")].map((h) => h.getBoundingClientRect());
    const w = Math.max(...r.map((b) => b.right)) - Math.min(...r.map((b) => b.left));
    const h = Math.max(...r.map((b) => b.bottom)) - Math.min(...r.map((b) => b.top));
    return { w, h };
  });
  return { bad: bad.slice(0, 10), n: svg.querySelectorAll("text.neuron-text").length, scale: svg.getScreenCTM().a,
    maxAspect: Math.max(...aspects.map((b) => b.w / b.h)), widest: Math.max(...aspects.map((b) => b.w)), texts: [...svg.querySelectorAll("g[data-nav] text.neuron-text")].slice(0, 40).map((t) => t.textContent + "@" + getComputedStyle(t).fontSize) };
})()
