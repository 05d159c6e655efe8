// The layer view, for layers too wide for the node diagram: for each layer k its W_k and
// grad_W_k as heatmaps, and b_k, a_k, h_k, grad_b_k, grad_a_k, grad_h_k as strips of coloured
// cells (diverging, centred on 0; each tensor on its own scale). Every cell shows its exact value
// on hover; a click on W_k or b_k edits it. The layer being computed is highlighted, and what
// the stepper has not revealed yet is drawn as pending (light grey).

import { el } from "../format.js";
import { sub } from "../insightkit.js";
import { backwardKnown, forwardKnown, gradHKnown, litLayer } from "../stages.js";
import { heatmap } from "./heatcanvas.js";

/** Past this width the node diagram's numbers are unreadable: "auto" shows the layer view. */
export const NODE_DIAGRAM_MAX_WIDTH = 12;

export function wantsLayerView(mode, sizes) {
  if (mode === "layers") return true;
  if (mode === "nodes") return false;
  return Math.max(...sizes) > NODE_DIAGRAM_MAX_WIDTH;
}

const row = (vector) => (vector ? [vector] : null);

function build(element, sizes, width) {
  const L = sizes.length - 1;
  const refs = { layers: [], canvases: {} };
  const canvas = (id) => (refs.canvases[id] = el("canvas", { class: "lv-cells", "data-testid": `lv-${id}` }));
  const strip = (id, html) => el("figure", { class: "lv-strip" }, el("figcaption", { html }), canvas(id));
  const blocks = [];
  blocks.push(el("section", { class: "lv-layer", "data-testid": "lv-layer-0" },
    el("h3", { html: `input h${sub(0)} = x <span class="muted">(n${sub(0)} = ${sizes[0]})</span>` }),
    el("div", { class: "lv-row" }, strip("h-0", `h<sub>0</sub> = x`), strip("grad_h-0", `\u2207h<sub>0</sub>`))));
  for (let k = 1; k <= L; k++) {
    const head = el("h3", { html: `layer ${k}: a<sub>${k}</sub> = b<sub>${k}</sub> + W<sub>${k}</sub> h<sub>${k - 1}</sub>, ${k === L ? "\u0177 = O(a<sub>L</sub>)" : `h<sub>${k}</sub> = g(a<sub>${k}</sub>)`} <span class="muted">W<sub>${k}</sub>: ${sizes[k]} \u00D7 ${sizes[k - 1]}</span>` });
    const block = el("section", { class: "lv-layer", "data-testid": `lv-layer-${k}` }, head,
      el("div", { class: "lv-row" },
        el("figure", { class: "lv-matrix" }, el("figcaption", { html: `W<sub>${k}</sub> <span class="muted">(click a cell to edit)</span>` }), canvas(`W-${k}`)),
        el("figure", { class: "lv-matrix" }, el("figcaption", { html: `\u2207W<sub>${k}</sub>` }), canvas(`grad_W-${k}`))),
      el("div", { class: "lv-row" }, strip(`b-${k}`, `b<sub>${k}</sub>`), strip(`a-${k}`, `a<sub>${k}</sub>`), strip(`h-${k}`, k === L ? "\u0177 = h<sub>L</sub>" : `h<sub>${k}</sub>`)),
      el("div", { class: "lv-row" }, strip(`grad_b-${k}`, `\u2207b<sub>${k}</sub>`), strip(`grad_a-${k}`, `\u2207a<sub>${k}</sub>`),
        k < L ? strip(`grad_h-${k}`, `\u2207h<sub>${k}</sub>`) : el("span")));
    blocks.push(block);
  }
  refs.layers = blocks;
  element.replaceChildren(el("div", { class: "lv", style: `--lv-width:${width}px` }, ...blocks));
  return refs;
}

/** data: {sizes, W, b, trace, stage, width} (width: the pixels available) */
export function render(element, data) {
  const { sizes, W, b, trace, stage } = data;
  const L = sizes.length - 1;
  const width = Math.max(240, data.width || element.clientWidth || 600);
  const key = `${sizes.join(",")}|${width}`;
  if (element.dataset.key !== key) {
    element._refs = build(element, sizes, width);
    element.dataset.key = key;
  }
  const { canvases, layers } = element._refs;
  const lit = litLayer(stage, L);
  layers.forEach((node, k) => node.classList.toggle("lit", k === lit));
  element.dataset.lit = lit === null ? "" : String(lit);
  const maxN = Math.max(...sizes);
  // Strips: at most ~1/3 of the width each; matrices: half the width, at most 260 px high.
  const stripCell = Math.max(3, Math.min(14, Math.floor((width / 3 - 16) / maxN)));
  const known = (k) => !!trace && forwardKnown(stage, L, k);
  const back = (k) => !!trace && backwardKnown(stage, L, k);
  const ex = (arrays, k) => arrays[k][0];
  const stripHeight = Math.max(stripCell, 12);
  const draw = (id, rows, label, opts = {}) => heatmap(canvases[id], { rows, label, testid: `lv-${id}`, ...opts });
  const strip = (k) => ({ cell: stripCell, cellHeight: stripHeight, shape: [1, sizes[k]] });
  draw("h-0", trace ? row(ex(trace.h, 0)) : null, (_i, j) => `x[${j}] = h_0[${j}]`, strip(0));
  draw("grad_h-0", trace && gradHKnown(stage, L, 0) ? row(ex(trace.grad_h, 0)) : null, (_i, j) => `grad_h_0[${j}]`, strip(0));
  for (let k = 1; k <= L; k++) {
    // Matrices: half the width each, at most 260 px high (cells need not be square).
    const mat = {
      cell: Math.max(2, Math.min(12, Math.floor((width / 2 - 24) / sizes[k - 1]))),
      cellHeight: Math.max(2, Math.min(12, Math.floor(260 / sizes[k]))),
      shape: [sizes[k], sizes[k - 1]],
    };
    draw(`W-${k}`, W[k - 1], (i, j) => `W_${k}[${i},${j}]`, { ...mat, edit: `W:${k}` });
    draw(`grad_W-${k}`, back(k) ? trace.grad_W[k - 1] : null, (i, j) => `grad_W_${k}[${i},${j}]`, mat);
    draw(`b-${k}`, row(b[k - 1]), (_i, j) => `b_${k}[${j}]`, { ...strip(k), edit: `b:${k}` });
    draw(`a-${k}`, known(k) ? row(ex(trace.a, k - 1)) : null, (_i, j) => `a_${k}[${j}]`, strip(k));
    draw(`h-${k}`, known(k) ? row(ex(trace.h, k)) : null, (_i, j) => (k === L ? `y_hat[${j}] = h_${k}[${j}]` : `h_${k}[${j}]`), strip(k));
    draw(`grad_b-${k}`, back(k) ? row(trace.grad_b[k - 1]) : null, (_i, j) => `grad_b_${k}[${j}]`, strip(k));
    draw(`grad_a-${k}`, back(k) ? row(ex(trace.grad_a, k - 1)) : null, (_i, j) => `grad_a_${k}[${j}]`, strip(k));
    if (k < L) draw(`grad_h-${k}`, trace && gradHKnown(stage, L, k) ? row(ex(trace.grad_h, k)) : null, (_i, j) => `grad_h_${k}[${j}]`, strip(k));
  }
}
