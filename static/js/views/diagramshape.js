// The network diagram's shapes and type (views/diagram.js draws with them): the SVG helpers, the
// geometry of the columns and the neurons for a size on screen and a type size, and the numbers
// written into half neurons so that they never reach past the shape.

import { writeText } from "../format.js";

const SVG = "http://www.w3.org/2000/svg";
const SUB = "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089";
export const sub = (n) => String(n).split("").map((d) => SUB[Number(d)] ?? d).join("");

export function s(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  return node;
}

export function text(x, y, content, cls, extra = {}) {
  const t = s("text", { x, y, class: cls, "text-anchor": "middle", "dominant-baseline": "central", ...extra });
  t.textContent = content;
  return t;
}

/** Set an attribute only when it changes (null removes it). */
export function set(node, name, value) {
  const v = value === null || value === undefined ? null : String(value);
  if (node.getAttribute(name) === v) return;
  if (v === null) node.removeAttribute(name);
  else node.setAttribute(name, v);
}

export function setText(node, value) {
  writeText(node, value);
}

/** Half a neuron (side -1: the a half, +1: the h half): a half-circle of radius r, or half a pill
 * of half-width w when its numbers need more room than r. */
export function halfPath(cx, cy, r, w, side) {
  if (w <= r) return `M ${cx} ${cy - r} A ${r} ${r} 0 0 ${side > 0 ? 1 : 0} ${cx} ${cy + r} Z`;
  const end = (cx + side * (w - r)).toFixed(1);
  return `M ${cx} ${cy - r} H ${end} A ${r} ${r} 0 0 ${side > 0 ? 1 : 0} ${end} ${cy + r} H ${cx} Z`;
}


/** At most about 4 characters, to fit half a neuron: .79, -.19, 1.1, 12, 3e-3 (hover for exact). */
export function compact(v) {
  if (v === null) return "NaN";
  const a = Math.abs(v);
  const sign = v < 0 ? "\u2212" : "";
  if (a === 0) return "0";
  if (a >= 100) return sign + a.toExponential(0).replace("+", "");
  if (a >= 10) return sign + a.toFixed(0);
  if (a >= 1) return sign + a.toFixed(1);
  if (a >= 0.0095) return sign + (a >= 0.995 ? "1.0" : a.toFixed(2).replace(/^0/, "")); // 0.999 is 1.0, not 1.00
  return sign + a.toExponential(0).replace("-", "\u2212");
}

/** The spellings of v for half a neuron, longest first: compact(v); for a tiny v the exponent's
 * minus as a narrow hyphen (5e-3); for a negative v the sign as a hyphen too (-5e-3, -.79); and the
 * last resort, only its sign and "~0" for a tiny one, "big" for a huge one. */
function spellings(label, v) {
  const a = v === null || v === undefined ? 0 : Math.abs(v);
  const sign = v < 0 ? "\u2212" : "";
  const tries = [label];
  if (a !== 0 && a < 0.0095) tries.push(sign + a.toExponential(0));
  if (sign) tries.push(...tries.map((t) => t.replace(sign, "-")));
  const last = a !== 0 && a < 0.0095 ? `${sign}~0` : a >= 100 ? `${sign}big` : null;
  return { tries, last };
}

/**
 * Write a number into half a neuron (side -1: the a half on the left, +1: the h half on the right,
 * 0: a whole input circle) so that it stays inside the shape: the room is the half's width at the
 * text's height, less a gap at the divider and at the edge. A number that is too wide takes a
 * shorter spelling, then its last resort ("~0" for a tiny one); it is never drawn smaller than the
 * diagram's type (a -2e-3 was shrunk to 8 px of a 10 px page); the exact value is on hover and in
 * the unit's label.
 */
export function placeNumber(node, label, value, shape, font) {
  const { cx, side, r, w } = shape;
  const key = `${label}|${cx}|${r}|${w}|${font}`;
  if (node._placed === key) return;
  node._placed = key;
  const rise = Math.min(r * 0.9, font * 0.45); // half the height of the digits
  const edge = Math.sqrt(Math.max(0, r * r - rise * rise));
  const gap = 1.5;
  const room = side === 0 ? 2 * (edge - gap) : Math.max(0, w - r) + edge - 2 * gap;
  const { tries, last } = spellings(label, value);
  const text = tries.find((t) => textWidth(t, font) <= room) ?? last ?? tries[tries.length - 1];
  writeText(node, text);
  const x = side === 0 ? cx : cx + side * (gap + room / 2);
  set(node, "x", x.toFixed(1));
}

/** Rough width of a short label in px (DejaVu/system sans metrics), to place text before it is drawn. */
const CHAR_EM = { "\u2212": 0.84, "-": 0.36, ".": 0.32, "e": 0.62, " ": 0.32, "\u00B7": 0.32, "|": 0.34 };
export function textWidth(str, px) {
  let em = 0;
  for (const ch of str) em += CHAR_EM[ch] ?? (/[0-9]/.test(ch) ? 0.64 : 0.6);
  return em * px;
}

export function geometry(size, type, sizes, heads, targetsHead) {
  const L = sizes.length - 1;
  const { font, label } = type;
  const f = Math.max(1, font / 10); // 1 on the normal page: its geometry is unchanged
  const width = Math.max(size.w, 320);
  const height = Math.max(size.h, 200);
  const maxN = Math.max(...sizes);
  // A number is at most about 4 characters (compact()); half a neuron is at least that wide (a
  // circle of radius r, or a pill of half-width w > r when the numbers need more than r).
  // The half-width that holds "−.00" as placeNumber() measures it: the digits, a gap at the divider
  // and at the edge, and what the rounded end takes away at the digits' height.
  const numberWidth = textWidth("\u2212.00", font) + 4;
  const wide = (r) => {
    const rise = Math.min(r * 0.9, font * 0.45);
    return Math.max(r, numberWidth + r - Math.sqrt(r * r - rise * rise));
  };
  const targetsWidth = textWidth(targetsHead, label);
  const headWidths = heads.map((h) => textWidth(h, label));
  const layout = (left, right, lines) => {
    const top = 30 * f + (lines - 1) * label * 1.15;
    const bottom = 24 * f;
    const colGap = (width - left - right) / L;
    const usableH = height - top - bottom;
    const spaced = usableH / (maxN * (f > 1 ? 2.6 : 2.3));
    // Large type: the numbers before the gaps. Neurons may close up (to 2.1 r apart) to stay as large as
    // their numbers need, e.g. when a banner takes height from a projected diagram.
    const rows = f > 1 ? Math.max(spaced, Math.min(font * 1.2, usableH / (maxN * 2.1))) : spaced;
    const r = Math.max(3, Math.min(30 * f, colGap * (f > 1 ? 0.28 : 0.2), rows));
    return { top, bottom, left, right, colGap, usableH, r };
  };
  let g = layout(44, 74, 1);
  if (f > 1) {
    // Large type: the margins hold the outer circles, their numbers, the targets and the labels.
    const left = (r) => Math.max(44, r + 8, headWidths[0] / 2 + 6);
    const right = (r) => wide(r) + 18 + targetsWidth + 6;
    g = layout(left(g.r), right(g.r), 1);
    g = layout(left(g.r), right(g.r), 1);
  }
  // Neighbouring layer labels that would touch go on two lines ("layer 2" over "softmax").
  // (x 1.1: the lit layer's label is bold; at least one character of space between labels)
  const crowded = headWidths.some((w, k) => k > 0 && ((w + headWidths[k - 1]) / 2) * 1.1 + label > g.colGap);
  if (crowded) g = layout(g.left, g.right, 2);
  const { top, left, colGap, usableH, r } = g;
  const xs = sizes.map((_, k) => left + k * colGap);
  const spacing = (n) => Math.min(usableH / n, r * 3.4);
  const ys = sizes.map((n) => Array.from({ length: n }, (_, i) => top + usableH / 2 + (i - (n - 1) / 2) * spacing(n)));
  const twoLines = top > 30 * f + 1;
  // Numbers inside the neurons when they are large enough and the widened neurons of neighbouring
  // layers still leave room for the edges between them.
  const showText = (f > 1 ? r >= font * 1.2 : r >= 15) && (L >= 2 ? 2 * wide(r) : r + wide(r)) + 12 <= colGap;
  const w = showText ? wide(r) : r; // half-width of the split neurons of layers 1..L (inputs: r)
  // The inputs' circles: as large as "−.00" needs when there is room (few inputs, a left margin).
  const r0 = showText ? Math.max(r, Math.min(Math.hypot(numberWidth / 2, font * 0.45), spacing(sizes[0]) * 0.45, left - 4)) : r;
  const halfWidth = (k) => (k === 0 ? r0 : w);
  // Where the targets column sits: clear of the output neurons' numbers.
  const targetX = xs[L] + w + (f > 1 ? 18 + targetsWidth / 2 : 30);
  return { width, height, r, r0, w, halfWidth, xs, ys, font, label, f, twoLines, targetX, showText, fontSize: Math.max(7.5, Math.min(10.5, r * 0.34)) };
}

