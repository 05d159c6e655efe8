// Learning-rate what-if (POST /what-if): for the current step, the loss one plain gradient step
// Theta - eta grad Theta would reach, for 40 rates log-spaced from 1e-3 to 10 (plus the page's
// own eta), on a log x axis; the loss now (eta = 0) as a dashed line and the current eta marked.
// Controls emit "insight-change" {whatifOn | batch}; this module never talks to the API.

import { CLASS_COLORS, el, fmt, full } from "../format.js";
import { PLOT_CONFIG, errorLine, num } from "../insightkit.js";
import { batchControls } from "./contributions.js";

function emit(element, detail) {
  element.dispatchEvent(new CustomEvent("insight-change", { bubbles: true, detail }));
}

/** 0, 40 rates log-spaced over [1e-3, 10], and eta (if positive and not already there), ascending. */
export function sweep(eta) {
  const etas = [0, ...Array.from({ length: 40 }, (_, i) => 10 ** (-3 + (4 * i) / 39))];
  if (eta > 0 && !etas.includes(eta)) etas.push(eta);
  return etas.sort((a, b) => a - b);
}

function build(element) {
  const refs = {};
  refs.on = el("div", { class: "inline radio", role: "radiogroup", "aria-label": "Which examples" });
  for (const [v, t] of [["example", "the traced example"], ["batch", "the batch"]]) {
    const input = el("input", { type: "radio", name: "whatif-on", value: v, "data-testid": `whatif-on-${v}` });
    input.addEventListener("change", () => emit(element, { whatifOn: v }));
    refs.on.append(el("label", { class: "inline" }, input, t));
  }
  refs.batchHost = el("span");
  refs.error = errorLine("whatif-error", null);
  refs.plot = el("div", { class: "plot whatif-plot", "data-testid": "whatif-plot" });
  refs.summary = el("div", { class: "whatif-summary", "data-testid": "whatif-summary", "aria-live": "polite" });
  element.replaceChildren(
    el("div", { class: "insight-controls" }, el("span", { class: "muted", text: "One plain gradient step on" }), refs.on, refs.batchHost),
    refs.error,
    el("div", { class: "insight-split whatif-split" }, refs.plot, refs.summary));
  element._refs = refs;
}

/** d: {on, batch, maxRows, where, eta, optimizer, result | null, error, plotly: bool} */
export function render(element, d) {
  if (!element._refs) build(element);
  const r = element._refs;
  for (const input of r.on.querySelectorAll("input")) input.checked = input.value === d.on;
  if (!r.batchHost.contains(document.activeElement)) r.batchHost.replaceChildren(d.on === "batch" ? batchControls(element, d.batch, d.maxRows, "whatif") : el("span", { class: "muted", text: d.where }));
  r.error.hidden = !d.error;
  r.error.textContent = d.error || "";
  const res = d.result;
  if (!res) {
    r.summary.replaceChildren(el("p", { class: "muted", text: d.error ? "" : "Computing\u2026" }));
    return null;
  }
  const pts = res.etas.map((eta, i) => ({ eta, loss: res.losses[i] })).filter((p) => p.eta > 0);
  const at = pts.find((p) => p.eta === d.eta) || null;
  const finite = pts.filter((p) => p.loss !== null);
  const best = finite.reduce((b, p) => (b === null || p.loss < b.loss ? p : b), null);
  const firstBad = pts.find((p) => p.loss === null || (res.loss !== null && p.loss > 10 * Math.max(res.loss, 1e-12)));
  const now = num("b", res.loss, { label: "loss now (eta = 0)", testid: "whatif-now", signed: false });
  const lines = [el("p", {}, "Loss now: ", now, ` (on ${d.where}).`)];
  if (at) {
    const cur = num("b", at.loss, { label: `loss after one step with eta = ${full(d.eta)}`, testid: "whatif-current", signed: false });
    cur.dataset.eta = String(d.eta);
    const change = at.loss !== null && res.loss ? ` (${at.loss <= res.loss ? "\u2212" : "+"}${fmt(Math.abs(100 * (at.loss / res.loss - 1)))}%)` : "";
    lines.push(el("p", {}, `After one step with your \u03B7 = ${fmt(d.eta)}: `, cur, change));
  } else {
    lines.push(el("p", { class: "muted", text: "Your \u03B7 is 0: the step changes nothing." }));
  }
  if (best) {
    const b = num("b", best.loss, { label: `lowest loss in the sweep (eta = ${full(best.eta)})`, testid: "whatif-best", signed: false });
    b.dataset.eta = String(best.eta);
    lines.push(el("p", {}, `Lowest in the sweep: `, b, ` at \u03B7 = ${fmt(best.eta)}.`));
  }
  if (firstBad) lines.push(el("p", { class: "warn-text", "data-testid": "whatif-bad", text: `From \u03B7 \u2248 ${fmt(firstBad.eta)} the step overshoots: the loss ${firstBad.loss === null ? "is no longer finite" : "is over 10\u00D7 the loss now"}.` }));
  if (d.optimizer !== "sgd") lines.push(el("p", { class: "hint", text: `A plain gradient step, not your optimiser (${d.optimizer}).` }));
  lines.push(el("p", { class: "hint", text: "Only this step, on the same examples: a good \u03B7 here is not always a good \u03B7 for training (the next examples differ)." }));
  r.summary.replaceChildren(...lines);
  if (!d.plotly) return null;
  const data = [
    { type: "scatter", mode: "lines+markers", name: "loss after one step", x: pts.map((p) => p.eta), y: pts.map((p) => p.loss), line: { color: CLASS_COLORS[0], width: 2 }, marker: { size: 4 },
      hovertemplate: "\u03B7 = %{x}<br>loss after the step = %{y}<extra></extra>" },
  ];
  if (at && at.loss !== null) data.push({ type: "scatter", mode: "markers", name: `your \u03B7 = ${fmt(d.eta)}`, x: [d.eta], y: [at.loss], marker: { size: 13, symbol: "diamond", color: CLASS_COLORS[1], line: { color: "#000", width: 1 } },
    hovertemplate: "your \u03B7 = %{x}<br>loss after the step = %{y}<extra></extra>" });
  const xs = pts.map((p) => p.eta);
  // A log loss axis, unless some loss is 0 (a perfect fit), which it cannot show.
  const logY = res.loss !== null && res.loss > 0 && finite.every((p) => p.loss > 0);
  const shapes = [];
  if (res.loss !== null) shapes.push({ type: "line", xref: "x", yref: "y", x0: Math.min(...xs), x1: Math.max(...xs), y0: res.loss, y1: res.loss, line: { color: "#5b6575", dash: "dash", width: 1.2 } });
  if (at) shapes.push({ type: "line", xref: "x", yref: "paper", x0: d.eta, x1: d.eta, y0: 0, y1: 1, line: { color: CLASS_COLORS[1], dash: "dot", width: 1.2 } });
  const layout = {
    margin: { l: 50, r: 10, t: 8, b: 34 }, font: { size: 10.5 }, showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.12, font: { size: 10 } },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfd",
    xaxis: { type: "log", title: { text: "learning rate \u03B7 (log)", standoff: 2 }, exponentformat: "e" },
    yaxis: { type: logY ? "log" : "linear", title: { text: `loss after the step${logY ? " (log)" : ""}`, standoff: 2 }, exponentformat: "e" },
    shapes,
    annotations: res.loss !== null ? [{ x: Math.log10(Math.min(...xs)), y: logY ? Math.log10(res.loss) : res.loss, xref: "x", yref: "y", text: "loss now (\u03B7 = 0)", showarrow: false, xanchor: "left", yanchor: "bottom", font: { size: 10, color: "#5b6575" } }] : [],
  };
  r.plot.dataset.eta = String(d.eta);
  return window.Plotly.react(r.plot, data, layout, PLOT_CONFIG);
}
