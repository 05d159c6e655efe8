// Small SVG charts for the layer panels (drawn by hand: a few dozen elements, so a step redraws
// in a few milliseconds): grouped bar charts of vectors and diverging heatmaps of matrices.
// Every bar and cell carries a <title> with its exact value.

import { divergingColor, fmt, full, maxAbs } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

export function s(tag, attrs = {}, title = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  if (title) {
    const t = document.createElementNS(SVG, "title");
    t.textContent = title;
    node.append(t);
  }
  return node;
}

function label(x, y, text, attrs = {}) {
  const t = s("text", { x, y, "font-size": 10, fill: "#5b6575", ...attrs });
  t.textContent = text;
  return t;
}

/**
 * Grouped bars, one group per index i, one bar per series; the y axis is symmetric about 0.
 * series: [{name, values: number[] | null (not known yet), color, label(i) -> string}]
 */
export function bars(width, height, title, series) {
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "chart", role: "img", "aria-label": title });
  const n = Math.max(...series.map((sr) => (sr.values ? sr.values.length : sr.n || 0)), 1);
  const top = 16;
  const bottom = 14;
  const left = 34;
  const right = 4;
  const h = height - top - bottom;
  const w = width - left - right;
  const m = maxAbs(series.map((sr) => sr.values).filter(Boolean)) || 1;
  const zero = top + h / 2;
  svg.append(label(2, 10, title, { fill: "#1d2430", "font-size": 10.5 }));
  // legend
  let lx = width - right;
  for (const sr of [...series].reverse()) {
    const t = label(lx, 10, sr.name, { "text-anchor": "end" });
    lx -= sr.name.length * 5.6 + 4;
    const sw = s("rect", { x: lx - 8, y: 3, width: 8, height: 8, fill: sr.color });
    lx -= 14;
    svg.append(t, sw);
  }
  svg.append(
    s("line", { x1: left, x2: width - right, y1: zero, y2: zero, stroke: "#8a93a0", "stroke-width": 0.8 }),
    s("line", { x1: left, x2: left, y1: top, y2: top + h, stroke: "#c9ced6", "stroke-width": 0.8 }),
    label(left - 3, top + 4, fmt(m), { "text-anchor": "end", "font-size": 10 }),
    label(left - 3, zero + 3, "0", { "text-anchor": "end", "font-size": 10 }),
    label(left - 3, top + h, fmt(-m), { "text-anchor": "end", "font-size": 10 }),
  );
  const groupW = w / n;
  const barW = Math.max(1, (groupW * 0.8) / series.length);
  for (let i = 0; i < n; i++) {
    const gx = left + i * groupW + groupW * 0.1;
    series.forEach((sr, si) => {
      const v = sr.values ? sr.values[i] : undefined;
      if (v === undefined) return;
      const x = gx + si * barW;
      if (v === null) {
        svg.append(s("rect", { x, y: top, width: barW - 0.5, height: h, fill: "none", stroke: "#a3000b", "stroke-dasharray": "2 2" }, `${sr.label(i)} = non-finite`));
        return;
      }
      const bh = (Math.abs(v) / m) * (h / 2);
      svg.append(s("rect", { x, y: v >= 0 ? zero - bh : zero, width: Math.max(barW - 0.5, 0.5), height: Math.max(bh, 0.6), fill: sr.color }, `${sr.label(i)} = ${full(v)}`));
    });
    if (n <= 24 || i % Math.ceil(n / 24) === 0) svg.append(label(gx + (groupW * 0.8) / 2, height - 3, String(i), { "text-anchor": "middle", "font-size": 10 }));
  }
  if (series.every((sr) => !sr.values)) svg.append(label(left + w / 2, zero - 4, "not computed yet", { "text-anchor": "middle" }));
  return svg;
}

/**
 * Heatmaps side by side, each a matrix (rows x cols) of numbers or null (not known yet).
 * blocks: [{title, rows, cols, z: number[][] | null, scale: number, label(i, j) -> string}]
 * Colour: divergingColor(z / scale), centred on zero (white), blue positive, orange negative.
 */
export function heatmaps(maxWidth, maxHeight, blocks, gap = 12) {
  const top = 14;
  const bottom = 14;
  const totalCols = blocks.reduce((acc, b) => acc + b.cols, 0);
  const maxRows = Math.max(...blocks.map((b) => b.rows));
  let cell = Math.max(2, Math.min(32, (maxHeight - top - bottom) / maxRows, (maxWidth - gap * (blocks.length - 1) - 4) / totalCols));
  // Each block is at least as wide as its title; smaller cells until the whole fits maxWidth (a
  // wider chart is scaled down on screen, and its labels with it).
  const widthAt = (c) => Math.ceil(blocks.reduce((a, b) => a + Math.max(b.cols * c, 22), 0) + gap * (blocks.length - 1) + 4);
  while (cell > 2 && widthAt(cell) > maxWidth) cell = Math.max(2, cell - 0.25);
  const widths = blocks.map((b) => Math.max(b.cols * cell, 22));
  const width = widthAt(cell);
  const height = Math.ceil(top + maxRows * cell + bottom);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "chart", role: "img", "aria-label": blocks.map((b) => b.title).join(", ") });
  let x = 2;
  blocks.forEach((b, bi) => {
    svg.append(label(x, 10, b.title, { fill: "#1d2430", "font-size": 10.5 }));
    for (let i = 0; i < b.rows; i++) {
      for (let j = 0; j < b.cols; j++) {
        const v = b.z ? b.z[i][j] : undefined;
        const fill = v === undefined ? "#f1f3f6" : divergingColor(v === null ? null : v / (b.scale || 1));
        svg.append(s("rect", { x: x + j * cell, y: top + i * cell, width: Math.max(cell - 1, 0.5), height: Math.max(cell - 1, 0.5), fill }, v === undefined ? `${b.label(i, j)}: not computed yet` : `${b.label(i, j)} = ${full(v)}`));
      }
    }
    if (b.z && b.showScale !== false) svg.append(label(x, top + b.rows * cell + 10, `\u00B1${fmt(b.scale)}`, { "font-size": 10 }));
    x += widths[bi] + gap;
  });
  return svg;
}
