// Per-example contributions (POST /contributions) for a batch of rows: each example's own
// grad_W_k^(n) = grad_a_k^(n) h_{k-1}^(n)T (the batch grad_W_k is their mean), ranked by its norm,
// with its share of the batch step s_n = <grad_W_k^(n), grad_W_k> / (N ||grad_W_k||^2) (the shares
// sum to 1; a negative share pulls against the batch). A row selects the example (its matrix is
// drawn beside the batch mean); "trace" makes it the traced example. Controls emit
// "insight-change" {contribLayer | contribSelected | batch} and "choose-example".

import { el, fmt, full, maxAbs } from "../format.js";
import { errorLine, num, select, sub } from "../insightkit.js";
import { heatmaps } from "../svgcharts.js";

function emit(element, detail) {
  element.dispatchEvent(new CustomEvent("insight-change", { bubbles: true, detail }));
}

/** s_n = <G_n, G> / (N ||G||^2) for each example n (null when the batch gradient is 0). */
export function shares(perExample, mean) {
  const N = perExample.length;
  let gg = 0;
  for (const row of mean) for (const v of row) gg += v * v;
  return perExample.map((G) => {
    if (!(gg > 0)) return null;
    let dot = 0;
    G.forEach((row, i) => row.forEach((v, j) => { dot += v * mean[i][j]; }));
    return dot / (N * gg);
  });
}

export function batchControls(element, batch, maxRows, prefix) {
  const start = el("input", { type: "number", min: 0, step: 1, value: String(batch.start), "data-testid": `${prefix}-batch-start`, "aria-label": "First train row of the batch" });
  const n = el("input", { type: "number", min: 1, max: 32, step: 1, value: String(batch.n), "data-testid": `${prefix}-batch-n`, "aria-label": "Number of rows in the batch (1 to 32)" });
  const go = () => emit(element, { batch: { start: Number(start.value), n: Number(n.value) } });
  for (const input of [start, n]) {
    input.addEventListener("change", go);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") input.blur();
    });
  }
  return el("span", { class: "inline batch" }, "batch: train rows from", start, "N =", n, el("span", { class: "muted", text: maxRows ? `(of ${maxRows})` : "" }));
}

function build(element, d) {
  const refs = {};
  refs.layer = select("Layer k", {
    testid: "contrib-layer", aria: "Layer whose weight gradient is split by example",
    options: Array.from({ length: d.L }, (_, i) => [i + 1, String(i + 1)]), value: d.layer, onchange: (v) => emit(element, { contribLayer: Number(v) }),
  });
  refs.batchHost = el("span");
  refs.eq = el("p", { class: "hint contrib-eq" });
  refs.error = errorLine("contrib-error", null);
  refs.list = el("div", { class: "contrib-list", "data-testid": "contrib-list" });
  refs.mats = el("div", { class: "contrib-mats", "data-testid": "contrib-mats" });
  element.replaceChildren(
    el("div", { class: "insight-controls" }, refs.layer, refs.batchHost),
    refs.eq, refs.error,
    el("div", { class: "insight-split" }, refs.list, refs.mats));
  element._refs = refs;
}

/**
 * d: {L, layer, batch: {start, n}, maxRows, rows: [row numbers], labels: [text per row],
 *     result (POST /contributions) | null, selected (example index), error, hasData}
 */
export function render(element, d) {
  if (element._key !== `${d.L}`) {
    build(element, d);
    element._key = `${d.L}`;
  }
  const r = element._refs;
  r.layer.querySelector("select").value = String(d.layer);
  if (!r.batchHost.contains(document.activeElement)) r.batchHost.replaceChildren(batchControls(element, d.batch, d.maxRows, "contrib"));
  const k = d.layer;
  r.eq.innerHTML = `\u2207W<sub>${k}</sub> = (1/N) \u03A3<sub>n</sub> \u2207W<sub>${k}</sub><sup>(n)</sup>, &nbsp;\u2207W<sub>${k}</sub><sup>(n)</sup> = \u2207a<sub>${k}</sub><sup>(n)</sup> h<sub>${k - 1}</sub><sup>(n)T</sup>. ` +
    "Share of the step s<sub>n</sub> = \u27E8\u2207W<sup>(n)</sup>, \u2207W\u27E9 / (N \u2016\u2207W\u2016\u00B2): the shares sum to 1; a negative share pulls against the batch. Click a row to see its matrix.";
  r.error.hidden = !d.error;
  r.error.textContent = d.error || "";
  if (!d.hasData) {
    r.list.replaceChildren(el("p", { class: "muted", text: "Per-example contributions need a dataset: choose one in Data." }));
    r.mats.replaceChildren();
    return;
  }
  const res = d.result;
  if (!res || res.layer !== k) {
    r.list.replaceChildren(el("p", { class: "muted", text: d.error ? "" : "Computing\u2026" }));
    r.mats.replaceChildren();
    return;
  }
  const s = shares(res.per_example_grad_W, res.grad_W);
  const top = Math.max(...res.norms.map((v) => v ?? 0), 1e-300);
  const sel = Math.min(d.selected ?? res.ranking[0], res.norms.length - 1);
  const items = res.ranking.map((n, rank) => {
    const row = d.rows[n];
    const bar = el("span", { class: "bar pos", style: `width:${(100 * (res.norms[n] ?? 0) / top).toFixed(1)}%` });
    const pick = el("button", {
      type: "button", class: `contrib-row${n === sel ? " selected" : ""}`, "data-testid": `contrib-row-${rank}`, "data-example": String(n), "data-row": String(row),
      "aria-pressed": n === sel ? "true" : "false", "aria-label": `Rank ${rank + 1}: train row ${row}, norm ${fmt(res.norms[n])}; show its gradient`,
    },
    el("span", { class: "rank", text: `#${rank + 1}` }),
    el("span", { class: "who", text: `row ${row}` }),
    el("span", { class: "lbl muted", text: d.labels[n] ?? "" }),
    el("span", { class: "barbox", "aria-hidden": "true" }, bar),
    num("span", res.norms[n], { label: `||grad_W_${k}^(${n})|| (row ${row})`, testid: `contrib-norm-${n}`, signed: false, cls: "nrm" }),
    num("span", s[n], { label: `share of the step of row ${row}`, testid: `contrib-share-${n}`, cls: "shr" }));
    pick.addEventListener("click", () => emit(element, { contribSelected: n }));
    const trace = el("button", { type: "button", class: "small", "data-testid": `contrib-trace-${n}`, "aria-label": `Trace train row ${row}`, title: `Make train row ${row} the traced example`, text: "trace" });
    trace.addEventListener("click", () => element.dispatchEvent(new CustomEvent("choose-example", { bubbles: true, detail: { kind: "row", split: "train", row } })));
    return el("li", {}, pick, trace);
  });
  r.list.replaceChildren(
    el("div", { class: "contrib-head muted" }, el("span", { text: "rank, row, label" }), el("span", { html: `\u2016\u2207W<sub>${k}</sub><sup>(n)</sup>\u2016` }), el("span", { text: "share" })),
    el("ol", { class: "contrib-ol", "data-ranking": res.ranking.join(",") }, items));
  const G = res.per_example_grad_W[sel];
  const rows = res.grad_W.length;
  const cols = res.grad_W[0].length;
  const scale = maxAbs([G, res.grad_W]) || 1;
  const svg = heatmaps(420, 170, [
    { title: `row ${d.rows[sel]}`, rows, cols, z: G, scale, label: (i, j) => `grad_W_${k}^(${sel})[${i},${j}] (row ${d.rows[sel]})` },
    { title: "batch mean", rows, cols, z: res.grad_W, scale, label: (i, j) => `grad_W_${k}[${i},${j}] (mean of ${res.norms.length})` },
  ], 28);
  svg.setAttribute("data-testid", "contrib-heat");
  r.mats.replaceChildren(svg,
    el("p", { class: "hint", html: `Left: \u2207W<sub>${k}</sub><sup>(n)</sup> of row ${d.rows[sel]}. Right: the batch \u2207W<sub>${k}</sub>, the mean of all N = ${res.norms.length} per-example matrices.` }),
    el("p", { class: "hint", text: `Same colour scale for both (\u00B1${fmt(scale)}): orange < 0 < blue. Row ${d.rows[sel]}'s share of the step: ${s[sel] === null ? "\u2013" : fmt(s[sel])} (exact ${full(s[sel])}).` }));
}
