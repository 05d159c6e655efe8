// The compare page's drawing: the step table (y_hat, loss, gradient norms per layer, A and B
// side by side), the gradient-norm bars, the overlaid training curves, each side's boundary and
// summary, and the chrome. Each is render(data) from the two labs' stores; nothing is kept here.

import { CLASS_COLORS, el, fmt, full, setNumber } from "./format.js";
import * as dataplotView from "./views/dataplot.js";

const $ = (id) => document.getElementById(id);
export const SIDES = ["a", "b"];
const COLORS = { a: CLASS_COLORS[0], b: CLASS_COLORS[1] };

const norm = (values) => Math.sqrt(values.flat().reduce((acc, v) => acc + (v === null ? NaN : v * v), 0));

function numberCell(testid, value, label) {
  const td = el("td", { "data-testid": testid, class: "num" });
  if (value === undefined) {
    td.textContent = "\u00B7";
    td.title = `${label}: press Step both`;
    td.classList.add("pending");
  } else {
    setNumber(td, Number.isNaN(value) ? null : value, label);
  }
  return td;
}

function ratioCell(testid, a, b) {
  const td = el("td", { "data-testid": testid, class: "ratio" });
  if (a === undefined || b === undefined || a === null || b === null || a === 0) {
    td.textContent = "\u2013";
    return td;
  }
  const r = b / a;
  td.textContent = `\u00D7${fmt(r)}`;
  td.dataset.value = String(r);
  td.title = `B / A = ${full(r)}`;
  return td;
}

function vectorCell(testid, values, label) {
  const td = el("td", { "data-testid": testid, class: "vec" });
  if (!values) {
    td.textContent = "\u00B7";
    td.classList.add("pending");
    return td;
  }
  values.forEach((v, i) => {
    const span = el("span", { "data-testid": `${testid}-${i}`, class: "num" });
    setNumber(span, v, `${label}[${i}]`);
    td.append(span, i < values.length - 1 ? " " : "");
  });
  return td;
}

/** The step table: rows y_hat, loss, then ||grad_a_k|| and ||grad_W_k|| for k = L..1; columns A, B, B/A. */
function renderTable(cmp) {
  const host = $("cmp-table");
  const { a, b } = cmp.sides;
  if (!a || !b) {
    host.replaceChildren();
    return;
  }
  const L = a.config.sizes.length - 1;
  const ra = a.update;
  const rb = b.update;
  const quantities = (r) => {
    if (!r) return null;
    const out = { y_hat: r.y_hat[0], loss: r.loss, grad_a: {}, grad_W: {} };
    for (let k = 1; k <= L; k++) {
      out.grad_a[k] = norm(r.grad_a[k - 1][0]);
      out.grad_W[k] = norm(r.grad_W[k - 1]);
    }
    return out;
  };
  const qa = quantities(ra);
  const qb = quantities(rb);
  const rows = [
    el("tr", {}, el("th", { scope: "row", html: "\u0177 = h<sub>L</sub>" }), vectorCell("cmp-yhat-a", qa && qa.y_hat, "A: y_hat"), vectorCell("cmp-yhat-b", qb && qb.y_hat, "B: y_hat"), el("td")),
    el("tr", {}, el("th", { scope: "row", text: "loss \u2112" }), numberCell("cmp-loss-a", qa ? qa.loss : undefined, "A: loss"), numberCell("cmp-loss-b", qb ? qb.loss : undefined, "B: loss"), ratioCell("cmp-ratio-loss", qa && qa.loss, qb && qb.loss)),
  ];
  for (let k = L; k >= 1; k--) {
    for (const [key, html] of [["grad_a", `\u2016\u2207a<sub>${k}</sub>\u2112\u2016`], ["grad_W", `\u2016\u2207W<sub>${k}</sub>\u2112\u2016`]]) {
      const va = qa ? qa[key][k] : undefined;
      const vb = qb ? qb[key][k] : undefined;
      rows.push(
        el("tr", {}, el("th", { scope: "row", html: `${html} <span class="muted">layer ${k}</span>` }),
          numberCell(`cmp-${key}-a-${k}`, va, `A: ||${key}_${k}||`),
          numberCell(`cmp-${key}-b-${k}`, vb, `B: ||${key}_${k}||`),
          ratioCell(`cmp-ratio-${key}-${k}`, va, vb)),
      );
    }
  }
  const table = el("table", { class: "nums cmp-nums", "aria-label": "The traced example in both networks, side by side" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "quantity" }), el("th", { class: "a", text: `A: ${cmp.valueText(cmp.diff.a)}` }), el("th", { class: "b", text: `B: ${cmp.valueText(cmp.diff.b)}` }), el("th", { text: "B / A" }))),
    el("tbody", {}, rows));
  host.replaceChildren(table);
  renderNorms(L, qa, qb);
  const d = cmp.data;
  const y = d && d.y_train[cmp.row];
  $("cmp-step-note").textContent = ra
    ? `(train row ${cmp.row}, label ${Array.isArray(y) ? fmt(y[0]) : y}: the pass of step ${ra.step}, before its update; norms are Euclidean / Frobenius)`
    : `(train row ${cmp.row}: press Step both)`;
}

/** ||grad_a_k|| and ||grad_W_k|| per layer for A and B, grouped bars on a log scale (vanishing gradients show). */
function renderNorms(L, qa, qb) {
  const host = $("cmp-norms");
  if (!window.Plotly) return;
  const layers = Array.from({ length: L }, (_, i) => `layer ${i + 1}`);
  const traces = [];
  for (const [s, q] of [["a", qa], ["b", qb]]) {
    if (!q) continue;
    for (const [key, label, opacity] of [["grad_a", "\u2016\u2207a\u2096\u2016", 0.55], ["grad_W", "\u2016\u2207W\u2096\u2016", 1]]) {
      traces.push({
        type: "bar", name: `${s.toUpperCase()} ${label}`, x: layers, y: layers.map((_, i) => q[key][i + 1]),
        marker: { color: COLORS[s], opacity, line: { color: "#1d2430", width: key === "grad_a" ? 0 : 0.6 } },
        hovertemplate: `${s.toUpperCase()}: ||${key}_%{x}|| = %{y}<extra></extra>`.replace("_layer ", "_"),
      });
    }
  }
  const layout = {
    barmode: "group", margin: { l: 44, r: 4, t: 18, b: 22 }, font: { size: 10.5 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfd",
    yaxis: { type: "log", exponentformat: "e", title: { text: "norm (log)", standoff: 2 } },
    legend: { orientation: "h", x: 0, y: 1.14, font: { size: 9.5 } },
    annotations: traces.length ? [] : [{ text: "Press Step both (S): gradient norms per layer", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }],
  };
  // The table beside it changes width once numbers arrive: fit the plot to its cell again.
  window.Plotly.react(host, traces, layout, { displayModeBar: false, responsive: true }).then(() => window.Plotly.Plots.resize(host));
}

function renderCurves(cmp) {
  const host = $("cmp-curves");
  if (!window.Plotly || !cmp.sides.a) return;
  const traces = [];
  let hasAcc = false;
  for (const s of SIDES) {
    const side = cmp.sides[s];
    const h = side.history;
    const x = h.map((r) => r.epoch);
    const name = s.toUpperCase();
    traces.push(
      { type: "scatter", mode: "lines+markers", name: `${name} train loss`, x, y: h.map((r) => r.train_loss), line: { color: COLORS[s], width: 2 }, marker: { size: 3 } },
      { type: "scatter", mode: "lines", name: `${name} test loss`, x, y: h.map((r) => r.test_loss), line: { color: COLORS[s], width: 1.5, dash: "dash" } },
    );
    if (h.some((r) => r.train_accuracy !== null)) {
      hasAcc = true;
      traces.push(
        { type: "scatter", mode: "lines", name: `${name} train acc`, x, y: h.map((r) => r.train_accuracy), xaxis: "x2", yaxis: "y2", line: { color: COLORS[s], width: 2 } },
        { type: "scatter", mode: "lines", name: `${name} test acc`, x, y: h.map((r) => r.test_accuracy), xaxis: "x2", yaxis: "y2", line: { color: COLORS[s], width: 1.5, dash: "dot" } },
      );
    }
  }
  host.dataset.points = `${cmp.sides.a.history.length},${cmp.sides.b.history.length}`;
  const layout = {
    margin: { l: 44, r: 8, t: 6, b: 28 }, font: { size: 10.5 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfd",
    showlegend: false,
    xaxis: { anchor: "y", domain: [0, 1], showticklabels: !hasAcc, rangemode: "tozero" },
    yaxis: { domain: hasAcc ? [0.52, 1] : [0, 1], title: { text: "loss", standoff: 2 }, rangemode: "tozero" },
    annotations: cmp.sides.a.history.length ? [] : [{ text: "Press Train both (E)", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.75 }],
  };
  if (hasAcc) {
    layout.xaxis2 = { anchor: "y2", domain: [0, 1], title: { text: "epoch", standoff: 0 }, matches: "x" };
    layout.yaxis2 = { domain: [0, 0.44], range: [0, 1.02], tickformat: ".0%", title: { text: "accuracy", standoff: 2 } };
  }
  window.Plotly.react(host, traces, layout, { displayModeBar: false, responsive: true });
}

function summary(side) {
  const n = side.network;
  const last = side.history[side.history.length - 1];
  const pct = (v) => (v === null || v === undefined ? "\u2013" : `${(100 * v).toFixed(1)}%`);
  let text = `step ${n.step} \u00B7 epoch ${n.epoch}`;
  if (last) text += ` \u00B7 train loss ${fmt(last.train_loss, 4)}${last.test_accuracy !== null ? ` \u00B7 test acc ${pct(last.test_accuracy)}` : last.test_loss !== null ? ` \u00B7 test loss ${fmt(last.test_loss, 4)}` : ""}`;
  if (side.diverged) text += ` \u00B7 diverged: ${side.diverged.message}`;
  return text;
}

function renderSides(cmp) {
  for (const s of SIDES) {
    const side = cmp.sides[s];
    $(`cmp-plot-${s}`).closest(".cmp-side").dataset.networkId = side ? side.network.id : "";
    document.querySelector(`[data-testid="cmp-label-${s}"]`).textContent = cmp.labels[s];
    const sum = document.querySelector(`[data-testid="cmp-summary-${s}"]`);
    sum.textContent = side ? summary(side) : "";
    if (side && side.history.length) {
      const last = side.history[side.history.length - 1];
      sum.dataset.trainLoss = String(last.train_loss);
    } else {
      delete sum.dataset.trainLoss;
    }
    if (!side || !window.Plotly || !cmp.data) continue;
    const nL = side.config.sizes[side.config.sizes.length - 1];
    dataplotView.render($(`cmp-plot-${s}`), { data: cmp.data, surface: side.surface, example: { kind: "row", split: "train", row: cmp.row, x: null, y: null }, nL, output: side.config.output });
  }
}

function renderChrome(cmp) {
  const has = !!(cmp.sides.a && cmp.sides.b);
  for (const id of ["cmp-step", "cmp-train", "cmp-reset"]) $(id).disabled = !has || cmp.busy;
  const err = $("cmp-error");
  err.hidden = !cmp.error;
  err.textContent = cmp.error || "";
  const a = cmp.sides.a;
  $("cmp-status").textContent = a ? `${a.network.n_parameters} parameters each \u00B7 same data (${cmp.config.dataset}, seed ${cmp.config.dataSeed}) \u00B7 differs only in ${cmp.choiceTitle}` : cmp.busy ? "building\u2026" : "";
  document.body.dataset.busy = cmp.busy ? "1" : "0";
  document.body.dataset.networkA = a ? a.network.id : "";
  document.body.dataset.networkB = cmp.sides.b ? cmp.sides.b.network.id : "";
}

/**
 * cmp: {meta, config, diff, row, data, busy, error, sides: {a, b}, labels: {a, b}, choiceTitle,
 * valueText(v)}; each side is that lab's state ({config, training, network, history, surface,
 * update, diverged}) or null before it is built.
 */
export function render(cmp) {
  renderChrome(cmp);
  renderSides(cmp);
  renderTable(cmp);
  renderCurves(cmp);
}

