// Layer panels: for each layer k, the numbers (b_k, a_k, h_k, grad_a_k, grad_h_k, grad_b_k per
// neuron; W_k and grad_W_k as matrices), bar charts of a_k, h_k, grad_a_k, grad_h_k for the traced
// example, and heatmaps of W_k, b_k, grad_W_k, grad_b_k on a diverging scale centred on zero.
// The panel DOM is built once per network shape; each render rewrites the numbers and calls
// redraws its own small SVG charts, skipping charts whose inputs did not change.

import { bindEditClicks } from "../editclick.js";
import { bindRoving, pressAt, refreshRoving } from "../keynav.js";
import { el, maxAbs, setNumber, setPending } from "../format.js";
import { backwardKnown, forwardKnown, gradHKnown, litLayer } from "../stages.js";
import { bars, heatmaps } from "../svgcharts.js";

const ids = new WeakMap();
let nextId = 1;
const idOf = (obj) => {
  if (!obj) return 0;
  if (!ids.has(obj)) ids.set(obj, nextId++);
  return ids.get(obj);
};

function cell(testid, label, editable = null) {
  return el("td", { "data-testid": testid, "data-label": label, class: editable ? "pending editable" : "pending", "data-edit": editable });
}

function matrixTable(caption, k, rows, cols, prefix, label, editable) {
  const cells = [];
  const body = [];
  for (let i = 0; i < rows; i++) {
    const tr = el("tr", {}, el("th", { scope: "row", text: String(i) }));
    const r = [];
    for (let j = 0; j < cols; j++) {
      const c = cell(`${prefix}-${k}-${i}-${j}`, `${label}[${i},${j}]`, editable ? `W:${k}:${i}:${j}` : null);
      r.push(c);
      tr.append(c);
    }
    cells.push(r);
    body.push(tr);
  }
  const head = el("tr", {}, el("th", { text: "i\\j" }), Array.from({ length: cols }, (_, j) => el("th", { scope: "col", text: String(j) })));
  const table = el("table", { class: "nums", "data-testid": `table-${prefix}-${k}` }, el("caption", { html: caption }), el("thead", {}, head), el("tbody", {}, body));
  return { table, cells };
}

function buildInputPanel(n0) {
  const cells = { h: [], gh: [] };
  const rows = [];
  for (let i = 0; i < n0; i++) {
    const h = cell(`h-0-${i}`, `h_0[${i}]`);
    const gh = cell(`grad_h-0-${i}`, `grad_h_0[${i}]`);
    cells.h.push(h);
    cells.gh.push(gh);
    rows.push(el("tr", {}, el("th", { scope: "row", text: String(i) }), h, gh));
  }
  const table = el("table", { class: "nums", "data-testid": "table-layer-0" },
    el("thead", {}, el("tr", {}, el("th", { text: "i" }), el("th", { html: "x = h<sub>0</sub>" }), el("th", { html: "\u2207h<sub>0</sub>" }))),
    el("tbody", {}, rows));
  const panel = el("section", { class: "layer input", "data-testid": "layer-0", "aria-label": "Input layer 0" },
    el("div", { class: "layer-head" }, el("h3", { text: "Input: h\u2080 = x" }), el("span", { class: "muted", text: `${n0} input(s); \u2207h\u2080 = W\u2081\u1D40 \u2207a\u2081 is computed at the last backward step` })),
    el("div", {}, table));
  return { panel, cells, k: 0 };
}

function buildLayerPanel(k, L, sizes, activation, output) {
  const nk = sizes[k];
  const np = sizes[k - 1];
  const isOut = k === L;
  const cols = [
    ["b", "b", "b"],
    ["a", "a", "a"],
    ["h", isOut ? `h<sub>${k}</sub> = \u0177` : `h<sub>${k}</sub>`, "h"],
    ["grad_a", `\u2207a<sub>${k}</sub>`, "grad_a"],
    ...(isOut ? [] : [["grad_h", `\u2207h<sub>${k}</sub>`, "grad_h"]]),
    ["grad_b", `\u2207b<sub>${k}</sub>`, "grad_b"],
  ];
  const cells = Object.fromEntries(cols.map(([key]) => [key, []]));
  const rows = [];
  for (let i = 0; i < nk; i++) {
    const tr = el("tr", {}, el("th", { scope: "row", text: String(i) }));
    for (const [key] of cols) {
      const c = cell(`${key}-${k}-${i}`, `${key}_${k}[${i}]`, key === "b" ? `b:${k}:${i}:` : null);
      cells[key].push(c);
      tr.append(c);
    }
    rows.push(tr);
  }
  const headRow = el("tr", {}, el("th", { text: "i" }), cols.map(([key, html]) => el("th", { scope: "col", html: key === "b" || key === "a" ? `${html}<sub>${k}</sub>` : html })));
  const neurons = el("table", { class: "nums", "data-testid": `table-layer-${k}` }, el("thead", {}, headRow), el("tbody", {}, rows));
  const big = nk * np > 80;
  const Wt = matrixTable(`W<sub>${k}</sub> (${nk}\u00D7${np}), click to edit`, k, nk, np, "W", `W_${k}`, true);
  const gWt = matrixTable(`\u2207W<sub>${k}</sub> = \u2207a<sub>${k}</sub> h<sub>${k - 1}</sub><sup>T</sup>`, k, nk, np, "grad_W", `grad_W_${k}`, false);
  const mats = el("div", { class: "mats" }, Wt.table, gWt.table);
  const matsHolder = big ? el("details", {}, el("summary", { text: `W${k} and \u2207W${k} as numbers (${nk}\u00D7${np})` }), mats) : mats;
  const bars = el("div", { class: "bars", "data-testid": `bars-${k}` });
  const heat = el("div", { class: "heat", "data-testid": `heat-${k}` });
  const sk = subDigits(k);
  const sp = subDigits(k - 1);
  const title = isOut
    ? `Layer ${k} (output): a${sk} = b${sk} + W${sk} h${sp}, \u0177 = h${sk} = ${output}(a${sk})`
    : `Layer ${k}: a${sk} = b${sk} + W${sk} h${sp}, h${sk} = ${activation}(a${sk})`;
  const panel = el("section", { class: "layer", "data-testid": `layer-${k}`, "aria-label": `Layer ${k}` },
    el("div", { class: "layer-head" }, el("h3", { text: title }), el("span", { class: "muted", text: `${nk} neuron(s), W${subDigits(k)} is ${nk}\u00D7${np}` })),
    el("div", {}, neurons, matsHolder),
    bars,
    heat);
  return { panel, cells, W: Wt.cells, gW: gWt.cells, bars, heat, k, keys: {} };
}

function subDigits(n) {
  return String(n).split("").map((d) => "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089"[Number(d)]).join("");
}

function fill(node, value, known) {
  if (known) setNumber(node, value, node.dataset.label);
  else setPending(node, node.dataset.label);
}

function fillParam(node, value) {
  const before = node.dataset.value;
  setNumber(node, value, node.dataset.label);
  if (before !== undefined && before !== node.dataset.value) node.classList.add("changed");
  else if (before === node.dataset.value) node.classList.remove("changed");
}

// A chart is drawn at the width its box gives it (at most its natural width), so the browser
// does not scale it down and its 10 px labels stay 10 px on screen.
function chartWidth(box, natural) {
  const w = Math.floor(box.clientWidth);
  return w > 0 ? Math.max(160, Math.min(natural, w)) : natural;
}

function drawBars(p, k, sizes, trace, fk, bk, ghk, isOut) {
  const sk = subDigits(k);
  const width = chartWidth(p.bars, 300);
  const get = (arr, known) => (known && arr ? arr : null);
  const fwd = bars(width, 120, `forward: a${sk}, ${isOut ? "\u0177" : `h${sk}`}`, [
    { name: `a${sk}`, values: get(trace && trace.a[k - 1][0], fk), n: sizes[k], color: "#8fb3d9", label: (i) => `a_${k}[${i}]` },
    { name: isOut ? "\u0177" : `h${sk}`, values: get(trace && trace.h[k][0], fk), n: sizes[k], color: "#1f4e79", label: (i) => (isOut ? `y_hat[${i}]` : `h_${k}[${i}]`) },
  ]);
  const bwdSeries = [{ name: `\u2207a${sk}`, values: get(trace && trace.grad_a[k - 1][0], bk), n: sizes[k], color: "#f1a340", label: (i) => `grad_a_${k}[${i}]` }];
  if (!isOut) bwdSeries.push({ name: `\u2207h${sk}`, values: get(trace && trace.grad_h[k][0], ghk), n: sizes[k], color: "#a04a00", label: (i) => `grad_h_${k}[${i}]` });
  const bwd = bars(width, 120, `backward: \u2207a${sk}${isOut ? "" : `, \u2207h${sk}`}`, bwdSeries);
  p.bars.replaceChildren(fwd, bwd);
}

function drawHeat(p, k, sizes, W, b, trace, bk) {
  const sk = subDigits(k);
  const nk = sizes[k];
  const np = sizes[k - 1];
  const Wk = W[k - 1];
  const bcol = b[k - 1].map((v) => [v]);
  const gW = bk && trace ? trace.grad_W[k - 1] : null;
  const gb = bk && trace ? trace.grad_b[k - 1].map((v) => [v]) : null;
  const pScale = maxAbs([Wk, b[k - 1]]) || 1;
  const gScale = gW ? maxAbs([gW, trace.grad_b[k - 1]]) || 1 : 1;
  const svg = heatmaps(chartWidth(p.heat, 440), 190, [
    { title: `W${sk}`, rows: nk, cols: np, z: Wk, scale: pScale, label: (i, j) => `W_${k}[${i},${j}]` },
    { title: `b${sk}`, rows: nk, cols: 1, z: bcol, scale: pScale, showScale: false, label: (i) => `b_${k}[${i}]` },
    { title: `\u2207W${sk}`, rows: nk, cols: np, z: gW, scale: gScale, label: (i, j) => `grad_W_${k}[${i},${j}]` },
    { title: `\u2207b${sk}`, rows: nk, cols: 1, z: gb, scale: gScale, showScale: false, label: (i) => `grad_b_${k}[${i}]` },
  ]);
  p.heat.replaceChildren(svg, el("p", { class: "hint", text: "orange < 0 < blue (white = 0); \u00B1 = the largest |value| of the block; hover a cell for its value" }));
}

// While training plays (data.live), the bar charts and heatmaps (rebuilt SVGs, the costly part)
// redraw at most this often; the numbers in the panels change on every frame.
const LIVE_CHARTS_EVERY_MS = 250;

/**
 * data: {sizes, activations, output, W, b, trace, stage, live}
 */
export function render(element, data) {
  const { sizes, W, b, trace, stage, activations, output, live } = data;
  const now = performance.now();
  const charts = !live || !(now - (element._chartsAt || 0) < LIVE_CHARTS_EVERY_MS);
  const L = sizes.length - 1;
  const shapeKey = `${sizes.join(",")}|${activations.join(",")}|${output}`;
  if (element._shapeKey !== shapeKey) {
    const panels = [buildInputPanel(sizes[0])];
    for (let k = 1; k <= L; k++) panels.push(buildLayerPanel(k, L, sizes, activations[k - 1], output));
    element.replaceChildren(...panels.map((p) => p.panel));
    element._panels = panels;
    element._shapeKey = shapeKey;
    bindEditClicks(element);
    // Every editable number (W_k and b_k) is reachable: one tab stop per table, arrows within it.
    bindRoving(element, "td[data-edit]", (td) => [td.parentElement.rowIndex, td.cellIndex], pressAt);
    for (const table of element.querySelectorAll("table")) refreshRoving(table, "td[data-edit]");
  }
  const panels = element._panels;
  const lit = litLayer(stage, L);
  const traceId = idOf(trace);
  const paramsId = `${idOf(W)}:${idOf(b)}`;

  // Input layer.
  const inp = panels[0];
  for (let i = 0; i < sizes[0]; i++) {
    fill(inp.cells.h[i], trace ? trace.h[0][0][i] : null, !!trace);
    fill(inp.cells.gh[i], trace ? trace.grad_h[0][0][i] : null, !!trace && gradHKnown(stage, L, 0));
  }
  inp.panel.classList.toggle("lit", lit === 1 && stage > L);

  for (let k = 1; k <= L; k++) {
    const p = panels[k];
    const fk = !!trace && forwardKnown(stage, L, k);
    const bk = !!trace && backwardKnown(stage, L, k);
    const ghk = !!trace && gradHKnown(stage, L, k);
    const isOut = k === L;
    p.panel.classList.toggle("lit", lit === k);
    for (let i = 0; i < sizes[k]; i++) {
      fillParam(p.cells.b[i], b[k - 1][i]);
      fill(p.cells.a[i], fk ? trace.a[k - 1][0][i] : null, fk);
      fill(p.cells.h[i], fk ? trace.h[k][0][i] : null, fk);
      fill(p.cells.grad_a[i], bk ? trace.grad_a[k - 1][0][i] : null, bk);
      if (!isOut) fill(p.cells.grad_h[i], ghk ? trace.grad_h[k][0][i] : null, ghk);
      fill(p.cells.grad_b[i], bk ? trace.grad_b[k - 1][i] : null, bk);
      for (let j = 0; j < sizes[k - 1]; j++) {
        fillParam(p.W[i][j], W[k - 1][i][j]);
        fill(p.gW[i][j], bk ? trace.grad_W[k - 1][i][j] : null, bk);
      }
    }
    const barsKey = `${traceId}|${fk}|${bk}|${ghk}`;
    if (charts && p.keys.bars !== barsKey) {
      p.keys.bars = barsKey;
      drawBars(p, k, sizes, trace, fk, bk, ghk, isOut);
    }
    const heatKey = `${paramsId}|${traceId}|${bk}`;
    if (charts && p.keys.heat !== heatKey) {
      p.keys.heat = heatKey;
      drawHeat(p, k, sizes, W, b, trace, bk);
    }
  }
  if (charts) element._chartsAt = now;
}
