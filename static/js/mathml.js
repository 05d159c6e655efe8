// Tiny builders for native MathML (Chromium renders MathML Core; no math library needed).
// Numbers are <mn> elements carrying the exact value in data-value (hover shows it).

import { fmt, full, signClass } from "./format.js";

const NS = "http://www.w3.org/1998/Math/MathML";

export function m(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined && v !== false) node.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return node;
}

export const mi = (t, attrs = {}) => m("mi", attrs, t);
export const mo = (t, attrs = {}) => m("mo", attrs, t);
export const mn = (t, attrs = {}) => m("mn", attrs, t);
export const mtext = (t, attrs = {}) => m("mtext", attrs, t);
export const row = (...c) => m("mrow", {}, ...c);
export const msub = (base, subscript) => m("msub", {}, base, subscript);
export const msup = (base, sup) => m("msup", {}, base, sup);
export const space = (w = "0.3em") => m("mspace", { width: w });

/** Upright text usable as an identifier (function names such as tanh). */
export const fn = (t) => mi(t, { mathvariant: "normal" });

/** A symbol with a layer subscript: sym("a", 2) = a_2. */
export function sym(letter, k) {
  const base = letter === "y_hat" ? m("mover", { accent: "true" }, mi("y"), mo("^")) : mi(letter);
  return k === null || k === undefined ? base : msub(base, m("mn", {}, String(k)));
}

/** grad(sym("a", 2)) = nabla_{a_2} L(theta). */
export function grad(symbol) {
  return row(msub(mo("\u2207"), symbol), mi("\u2112"));
}

export const transpose = (node) => msup(node, mi("T", { mathvariant: "normal" }));

/** One number: short text, exact value in data-value / title, sign as colour. */
export function num(v, testid = null, label = null) {
  const node = m("mn", { "data-value": v === null ? "NaN" : String(v), "data-testid": testid, class: signClass(v) || null }, fmt(v));
  node.setAttribute("data-tip", label ? `${label} = ${full(v)}` : full(v));
  return node;
}

// Brackets are drawn by CSS on the table (class "bm"), so they stretch with any font.
const bracket = (table) => {
  table.setAttribute("class", "bm");
  return row(table);
};

// How many rows and columns a vector or matrix shows before it is elided: the equations panel
// lowers these until every equation fits its card (setElision), then draws again.
let budget = { rows: 8, cols: 8 };

/** Set the elision budget: {rows, cols} entries shown at most before "⋯" takes the middle. */
export function setElision(next) {
  budget = { ...next };
}

/** Indices shown of n: all when n <= keep, else the same number from each end around -1 (the ⋯). */
function pick(n, keep) {
  if (n <= keep) return Array.from({ length: n }, (_, i) => i);
  if (keep === 0) return [-1]; // only the ellipsis (and the shape): the narrowest form
  const half = Math.max(1, Math.floor((keep - 1) / 2));
  return [...Array.from({ length: half }, (_, i) => i), -1, ...Array.from({ length: half }, (_, i) => n - half + i)];
}

/**
 * An elided vector or matrix: its shape under it, and a click (or Enter) opens the whole of it
 * as a zoomable heatmap (the panel reads the entries from cell(i, j) then).
 */
function zoomable(node, r, c, cell) {
  const wrapped = m("munder", { class: "zoomable", "data-testid": "eq-zoomable", tabindex: "0", "data-tip": `${r}\u00D7${c}, elided: click to see every number` },
    node, m("mtext", { mathsize: "70%", mathcolor: "#5b6575" }, `${r}\u00D7${c}`));
  wrapped._zoom = { r, c, cell };
  wrapped._shaped = true;
  return wrapped;
}

/** A column vector in brackets; long vectors are elided in the middle. cell(i) -> node. */
export function column(n, cell) {
  const shown = pick(n, budget.rows);
  const rows = shown.map((i) => m("mtr", {}, m("mtd", {}, i < 0 ? mo("\u22EE") : cell(i))));
  const node = bracket(m("mtable", { columnspacing: "0.4em", rowspacing: "0.15em" }, rows));
  return shown.length < n ? zoomable(node, n, 1, (i) => cell(i)) : node;
}

/** A row vector (1 x n). */
export function rowVector(n, cell) {
  const shown = pick(n, budget.cols);
  const cells = shown.map((j) => m("mtd", {}, j < 0 ? mo("\u22EF") : cell(j)));
  const node = bracket(m("mtable", { columnspacing: "0.5em" }, m("mtr", {}, cells)));
  return shown.length < n ? zoomable(node, 1, n, (_i, j) => cell(j)) : node;
}

/** A matrix r x c; cell(i, j) -> node. */
export function matrix(r, c, cell) {
  const rs = pick(r, budget.rows);
  const cs = pick(c, budget.cols);
  const rows = rs.map((i) =>
    m("mtr", {}, cs.map((j) => m("mtd", {}, i < 0 && j < 0 ? mo("\u22F1") : i < 0 ? mo("\u22EE") : j < 0 ? mo("\u22EF") : cell(i, j)))),
  );
  const node = bracket(m("mtable", { columnspacing: "0.5em", rowspacing: "0.15em" }, rows));
  return rs.length < r || cs.length < c ? zoomable(node, r, c, cell) : node;
}

/** Put the shape (r x c) under a vector or matrix, as in the notes (an elided one has it already). */
export function shaped(node, r, c) {
  if (node._shaped) return node;
  return m("munder", {}, node, m("mtext", { mathsize: "70%", mathcolor: "#5b6575" }, `${r}\u00D7${c}`));
}

/** A <math> element (the page puts each one on its own line, aligned left). */
export function math(label, ...children) {
  return m("math", { "aria-label": label }, row(...children));
}
