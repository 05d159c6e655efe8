// Numbers as people read them (3 significant digits, exponent when tiny or huge) and the
// exact value kept alongside (title tooltip, data-value) so nothing is lost.

/** Short form: 3 significant digits; null (a non-finite value from the API) reads "NaN/∞". */
export function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return "NaN/\u221E";
  if (x === 0) return "0";
  const ax = Math.abs(x);
  if (ax >= 1e4 || ax < 1e-3) {
    const [m, e] = x.toExponential(digits - 1).split("e");
    return `${trimZeros(m)}e${e.replace("+", "")}`.replaceAll("-", "\u2212");
  }
  return trimZeros(x.toPrecision(digits)).replace("-", "\u2212");
}

function trimZeros(s) {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** The exact value: JavaScript's shortest round-trip form of the float64 the API sent. */
export function full(x) {
  return x === null || x === undefined ? "non-finite (NaN or infinity)" : String(x);
}

export function signClass(x) {
  if (x === null || x === undefined) return "nonfinite";
  return x > 0 ? "pos" : x < 0 ? "neg" : "";
}

/** Create an element with attributes and children (strings become text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k === "html") node.innerHTML = v;
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

/**
 * Set a node's text, writing the data of its one text node when it has one: replacing the node
 * (textContent =) is a DOM insertion, which re-checks every :has() rule of the page (.main's).
 */
export function writeText(node, text) {
  const first = node.firstChild;
  if (first && first.nodeType === Node.TEXT_NODE && !first.nextSibling) {
    if (first.data !== text) first.data = text;
  } else if (node.textContent !== text) {
    node.textContent = text;
  }
}

/** Fill a table cell (or any element) with a value: short text, exact value in title and data-value. */
export function setNumber(node, value, label) {
  const exactText = value === null ? "NaN" : String(value);
  if (node.dataset.value === exactText && !node.classList.contains("pending")) return;
  writeText(node, fmt(value));
  node.dataset.value = exactText;
  node.title = label ? `${label} = ${full(value)}` : full(value);
  node.classList.remove("pending", "pos", "neg", "nonfinite");
  const c = signClass(value);
  if (c) node.classList.add(c);
}

/** An unrevealed value: a dot, no data-value. */
export function setPending(node, label) {
  if (node.classList.contains("pending") && node.dataset.value === undefined) return;
  node.textContent = "\u00B7";
  delete node.dataset.value;
  node.title = label ? `${label}: not computed yet at this step` : "not computed yet";
  node.classList.remove("pos", "neg", "nonfinite");
  node.classList.add("pending");
}

/** Names in the seed's notation for tooltips and aria labels, e.g. name("grad_a", 2, [1]) -> "grad_a_2[1]". */
export function name(quantity, k, index = []) {
  return `${quantity}_${k}${index.length ? `[${index.join(",")}]` : ""}`;
}

/** Max |x| over nested arrays, ignoring nulls; 0 for none. */
export function maxAbs(arrays) {
  let m = 0;
  const walk = (a) => {
    if (Array.isArray(a)) for (const v of a) walk(v);
    else if (a !== null && a !== undefined && Number.isFinite(a)) m = Math.max(m, Math.abs(a));
  };
  walk(arrays);
  return m;
}

// Diverging colour: orange (negative) - near white (0) - blue (positive). t in [-1, 1].
const NEG = [217, 95, 2];
const MID = [247, 247, 247];
const POS = [33, 102, 172];
export function divergingColor(t) {
  if (t === null || t === undefined || Number.isNaN(t)) return "#c8ccd2";
  const u = Math.max(-1, Math.min(1, t));
  const end = u >= 0 ? POS : NEG;
  const a = Math.abs(u);
  const c = MID.map((m, i) => Math.round(m + (end[i] - m) * a));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Plotly colour scale with the same ends as divergingColor; use with zmid / cmid 0. */
export const DIVERGING_SCALE = [
  [0, "rgb(179,88,6)"],
  [0.25, "rgb(241,163,64)"],
  [0.5, "rgb(247,247,247)"],
  [0.75, "rgb(103,169,207)"],
  [1, "rgb(33,102,172)"],
];

/** Okabe-Ito: distinguishable with the common colour-vision deficiencies. */
export const CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999", "#882255"];
