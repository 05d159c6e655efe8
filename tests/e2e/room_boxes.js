// Boxes that must not touch in a room, measured in the page for tests/e2e/room_support.py.
// Text boxes are SVG <text> boxes in the diagram and, in HTML and MathML, one box per line of each
// text node (Range.getClientRects). Every box is shrunk by `slack` px on each side first, so glyphs
// that merely abut do not count. Called as page.evaluate(this, [kind, argument]).
([kind, arg]) => {
  const slack = 1;
  const visible = (n) => {
    const cs = getComputedStyle(n);
    return cs.visibility !== "hidden" && cs.display !== "none";
  };
  const box = (r, what) => ({ l: r.left + slack, t: r.top + slack, r: r.right - slack, b: r.bottom - slack, what });
  const hit = (p, q) => p.l < q.r && q.l < p.r && p.t < q.b && q.t < p.b;
  const name = (n) => {
    const id = n.dataset && n.dataset.testid ? `#${n.dataset.testid}` : "";
    return `${n.tagName}${id} "${n.textContent.trim().slice(0, 16)}"`;
  };
  const pairs = (boxes) => {
    const out = [];
    boxes.forEach((p, i) => {
      for (const q of boxes.slice(i + 1)) if (hit(p, q)) out.push(`${p.what} / ${q.what}`);
    });
    return out;
  };
  const textBoxes = (root) => {
    const out = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const parent = t.parentElement;
      if (!t.textContent.trim() || !visible(parent)) continue;
      if (parent.matches("mover > mo:last-child")) continue; // y-hat's hat sits on its y by design
      const range = document.createRange();
      range.selectNodeContents(t);
      for (const r of range.getClientRects()) if (r.width > 0.5 && r.height > 0.5) out.push(box(r, name(parent)));
    }
    return out;
  };

  if (kind === "texts") return pairs([...document.querySelectorAll(arg)].flatMap(textBoxes)).slice(0, 20);

  if (kind === "elements") {
    const found = arg.map((sel) => [document.querySelector(sel), sel]).filter(([n]) => n && n.getClientRects().length);
    return pairs(found.map(([n, sel]) => box(n.getBoundingClientRect(), sel)));
  }

  // kind === "diagram": texts against texts, bias squares and the other units' halves; and the frame
  const svg = document.querySelector('[data-testid="diagram-svg"]');
  const frame = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll("text")]
    .filter((n) => n.textContent.trim() && visible(n))
    .map((n) => ({ ...box(n.getBoundingClientRect(), name(n)), unit: n.closest("g[data-nav]") }));
  const shapes = [...svg.querySelectorAll("g[data-nav] .half, g[data-nav] .bias")].map((n) => ({
    ...box(n.getBoundingClientRect(), `${n.tagName}#${n.getAttribute("data-testid")}`),
    unit: n.closest("g[data-nav]"),
    bias: n.classList.contains("bias"),
  }));
  const onShapes = [];
  const outside = [];
  for (const p of texts) {
    for (const q of shapes) if ((q.bias || q.unit !== p.unit) && hit(p, q)) onShapes.push(`${p.what} / ${q.what}`);
    const out = p.l < frame.left - 0.5 || p.r > frame.right + 0.5 || p.t < frame.top - 0.5 || p.b > frame.bottom + 0.5;
    if (out) outside.push(p.what);
  }
  return { texts: pairs(texts), shapes: onShapes, outside };
}
