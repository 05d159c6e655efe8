// For a dataset of images (its metadata has image_shape, e.g. 8x8 digits) and any classifier
// with more than two inputs: the traced x as an image, a strip of train/test images to pick the
// traced example from, each hidden unit's incoming weights W_1[i, :] and their gradient
// grad_W_1[i, :] as small images (diverging colours centred on 0, one scale for the gallery),
// the output probabilities y_hat as bars with the true class marked, and after training the
// confusion matrix on the test split.

import { CLASS_COLORS, el, fmt, full, maxAbs } from "../format.js";
import { backwardKnown, forwardKnown } from "../stages.js";
import { heatmap } from "./heatcanvas.js";

const PICK = 16; // images in the picker strip

const reshape = (vector, [rows, cols]) => Array.from({ length: rows }, (_, i) => vector.slice(i * cols, (i + 1) * cols));

function tracedRow(example, data) {
  if (example.kind !== "row" || !data) return null;
  const X = example.split === "train" ? data.X_train : data.X_test;
  const Y = example.split === "train" ? data.y_train : data.y_test;
  return { x: X[example.row], y: Y[example.row] };
}

function section(title, ...children) {
  return el("section", { class: "img-section" }, el("h3", { html: title }), ...children);
}

function picker(d, shape) {
  const { data, example } = d;
  const split = example.kind === "row" ? example.split : "train";
  const X = split === "train" ? data.X_train : data.X_test;
  const Y = split === "train" ? data.y_train : data.y_test;
  const at = example.kind === "row" ? example.row : 0;
  const start = Math.max(0, Math.min(X.length - PICK, Math.floor(at / PICK) * PICK));
  const go = (row) => (e) => e.currentTarget.dispatchEvent(new CustomEvent("choose-example", { bubbles: true, detail: { kind: "row", split, row } }));
  const thumbs = [];
  for (let r = start; r < Math.min(X.length, start + PICK); r++) {
    const c = heatmap(el("canvas"), { rows: reshape(X[r], shape), grey: true, cell: 3, label: (i, j) => `${split} row ${r}, pixel ${i},${j}` });
    thumbs.push(el("button", { type: "button", class: `img-thumb${r === at ? " current" : ""}`, "data-testid": `pick-${split}-${r}`, title: `${split} row ${r}: label ${Y[r]}; click to trace it`, onclick: go(r) }, c, el("span", { text: String(Y[r]) })));
  }
  const page = (to) => el("button", { type: "button", class: "small", disabled: to < 0 || to >= X.length ? true : null, onclick: go(Math.max(0, Math.min(X.length - 1, to))), text: to < start ? "\u2190" : "\u2192", "aria-label": to < start ? "Earlier images" : "Later images" });
  return el("div", { class: "img-picker", "data-testid": "img-picker" }, page(start - PICK), ...thumbs, page(start + PICK));
}

function bars(d, nL) {
  const { trace, stage, L, classNames } = d;
  const row = tracedRow(d.example, d.data);
  const truth = row ? row.y : d.example.kind === "input" ? d.example.y[0] : null;
  const shown = trace && forwardKnown(stage, L, L);
  const y = shown ? trace.y_hat[0] : null;
  const items = [];
  for (let j = 0; j < nL; j++) {
    const v = y ? y[j] : null;
    const isTrue = truth === j;
    items.push(el("div", { class: `yhat-bar${isTrue ? " true" : ""}`, "data-testid": `yhat-bar-${j}`, "data-value": v === null ? null : String(v), "data-true": isTrue ? "1" : null, title: v === null ? `y_hat[${j}]: forward to the output first` : `y_hat[${j}] = ${full(v)}${isTrue ? " (the true class)" : ""}` },
      el("div", { class: "yhat-fill", style: `height:${v === null ? 0 : Math.max(0, Math.min(1, v)) * 100}%;background:${CLASS_COLORS[j % CLASS_COLORS.length]}` }),
      el("span", { class: "yhat-num", text: v === null ? "\u00B7" : fmt(v, 2) }),
      el("span", { class: "yhat-class", text: `${isTrue ? "\u2713" : ""}${classNames ? classNames[j] : j}` })));
  }
  return el("div", { class: "yhat-bars", "data-testid": "yhat-bars", "aria-label": "The output probabilities y_hat; the true class is ticked" }, ...items);
}

function gallery(d, shape) {
  const { W, trace, stage, L } = d;
  const W1 = W[0];
  const gW1 = trace && backwardKnown(stage, L, 1) ? trace.grad_W[0] : null;
  const wScale = maxAbs(W1) || 1;
  const gScale = gW1 ? maxAbs(gW1) || 1 : 1;
  const units = W1.map((wRow, i) => el("figure", { class: "gal-unit", "data-testid": `gallery-unit-${i}` },
    heatmap(el("canvas"), { rows: reshape(wRow, shape), scale: wScale, cell: 4, testid: `gallery-W-${i}`, label: (r, c) => `W_1[${i},${r * shape[1] + c}]` }),
    heatmap(el("canvas"), { rows: gW1 ? reshape(gW1[i], shape) : null, shape, scale: gScale, cell: 4, testid: `gallery-gW-${i}`, label: (r, c) => `grad_W_1[${i},${r * shape[1] + c}]` }),
    el("figcaption", { text: `unit ${i}` })));
  return el("div", { class: "gallery", "data-testid": "gallery" }, ...units);
}

function confusion(d) {
  const ev = d.evaluation;
  if (!ev) return el("p", { class: "hint", "data-testid": "confusion-pending", text: d.trained ? "Evaluating the test split\u2026" : "Train (E: one epoch, or Play) to see the confusion matrix on the test split." });
  const k = ev.n_classes;
  const big = Math.max(1, ...ev.confusion.flat());
  const head = el("tr", {}, el("th", { text: "true \u2193 / predicted \u2192" }), ...Array.from({ length: k }, (_, j) => el("th", { text: d.classNames ? d.classNames[j] : String(j) })));
  const rows = ev.confusion.map((counts, i) => el("tr", {}, el("th", { text: d.classNames ? d.classNames[i] : String(i) }),
    ...counts.map((n, j) => el("td", { "data-testid": `confusion-${i}-${j}`, "data-value": String(n), class: i === j ? "diag" : null, style: `background:rgba(${i === j ? "33,102,172" : "217,95,2"},${(0.08 + 0.6 * (n / big)).toFixed(2)})`, title: `${n} test rows of class ${i} predicted as ${j}`, text: String(n) }))));
  return el("div", {},
    el("p", { class: "hint", "data-testid": "confusion-accuracy", "data-value": ev.accuracy === null ? null : String(ev.accuracy), text: `Test split: ${ev.n} rows, accuracy ${ev.accuracy === null ? "\u2013" : `${(100 * ev.accuracy).toFixed(1)}%`} (epoch ${d.epoch}).` }),
    el("table", { class: "nums confusion", "data-testid": "confusion" }, el("thead", {}, head), el("tbody", {}, rows)));
}

/** Is there anything to show for this data (image data, or a classifier with more than two inputs)? */
export function applies(info, n0) {
  return !!info && (!!info.image_shape || (info.task === "classification" && n0 > 2));
}

/** d: {info, data, example, trace, stage, L, W, nL, evaluation, trained, epoch, classNames} */
export function render(element, d) {
  const shape = d.info.image_shape;
  const parts = [];
  const row = tracedRow(d.example, d.data);
  if (shape) {
    const x = row ? row.x : d.example.x;
    parts.push(el("div", { class: "img-top" },
      section("The traced x", heatmap(el("canvas"), { rows: reshape(x, shape), grey: true, cell: 12, testid: "img-x", label: (i, j) => `x[${i * shape[1] + j}] (pixel ${i},${j})` }),
        el("p", { class: "hint", text: row ? `${d.example.split} row ${d.example.row}, label ${row.y}` : "the typed input" })),
      section("Output \u0177 <span class=\"muted\">(\u2713 the true class)</span>", bars(d, d.nL)),
      section("Confusion matrix <span class=\"muted\">(test split)</span>", confusion(d))));
    parts.push(section("Pick the traced example <span class=\"muted\">(click an image)</span>", picker(d, shape)));
    parts.push(section(`Each hidden unit's weights W<sub>1</sub>[i, :] and, below, \u2207W<sub>1</sub>[i, :] <span class="muted">(blue +, orange \u2212, white 0)</span>`, gallery(d, shape)));
  } else {
    parts.push(el("div", { class: "img-top" },
      section("Output \u0177 <span class=\"muted\">(\u2713 the true class)</span>", bars(d, d.nL)),
      section("Confusion matrix <span class=\"muted\">(test split)</span>", confusion(d))));
  }
  element.replaceChildren(...parts);
}
