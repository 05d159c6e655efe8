// Gradient health per layer (POST /diagnostics) and over training (the epoch records'
// grad_a_norms): a warning banner when gradients vanish or explode, a table per layer
// (||grad_a_k||, its ratio to the layer above, saturated and dead units, ||grad_W_k|| and the
// update-to-weight ratio) and one Plotly figure with two log-scale panels: this pass, per layer,
// and ||grad_a_k|| per layer over the epochs. Controls emit "insight-change" {healthOn}.

import { CLASS_COLORS, el, fmt } from "../format.js";
import { PLOT_CONFIG, errorLine, num, sub } from "../insightkit.js";

function emit(element, detail) {
  element.dispatchEvent(new CustomEvent("insight-change", { bubbles: true, detail }));
}

const BLOWUP = 1e6; // as ffnn_core.insight.BLOWUP: weights or gradients this large have blown up
const RATIO = 1e-3; // as ffnn_core.insight.VANISHING_RATIO

/** Vanishing / exploding from the latest epoch record (first layer vs the output layer). Blown-up
 * or non-finite norms (null) are exploding, never vanishing; a first layer with no gradient at all
 * (0) gets no verdict from the history: symmetry or dead units, which the pass's alert names. */
export function trainingFlags(history) {
  const last = history && history.length ? history[history.length - 1] : null;
  if (!last || !last.grad_a_norms || last.grad_a_norms.length < 2) return null;
  const n = last.grad_a_norms;
  const norms = [...n, ...(last.grad_W_norms || [])];
  const first = n[0];
  const top = n[n.length - 1];
  const blown = last.train_loss === null || norms.some((v) => v === null || !(Math.abs(v) < BLOWUP));
  if (blown) return { epoch: last.epoch, first, top, vanishing: false, exploding: true, blown: true };
  return { epoch: last.epoch, first, top, vanishing: top > 0 && first > 0 && first < RATIO * top, exploding: first > top / RATIO, blown: false };
}

const NAMES = { exploding: "Exploding gradients", vanishing: "Vanishing gradients", symmetry: "Symmetry", dead: "Dead units" };

/** The page-wide alert: the server's verdict on this pass (diag.alert) first, else the training
 * history's. {kind, title, text} or null. */
export function alertFor(diag, history, L) {
  const pass = diag && diag.layers && diag.layers.length === L && diag.alert ? diag.alert : null;
  if (pass) return { kind: pass.kind, title: NAMES[pass.kind], text: pass.message.replace(/^[^:]*:\s*/, "") };
  const t = trainingFlags(history);
  if (!t || !(t.vanishing || t.exploding)) return null;
  const ratio = t.blown ? "" : ` \u2016\u2207a\u2081\u2016 / \u2016\u2207a${sub(L)}\u2016 = ${fmt(t.first / t.top)}`;
  const text = t.blown
    ? `in training (epoch ${t.epoch}) the loss or a gradient norm reached ${BLOWUP.toExponential(0)} or became non-finite: the steps grew until the numbers blew up. Use a smaller learning rate or initialisation scale, then reset.`
    : `in training (epoch ${t.epoch}):${ratio}: the first layers ${t.vanishing ? "barely learn" : "take huge steps"}.`;
  return { kind: t.vanishing ? "vanishing" : "exploding", title: NAMES[t.vanishing ? "vanishing" : "exploding"], text };
}

function build(element) {
  const refs = {};
  refs.on = el("div", { class: "inline radio", role: "radiogroup", "aria-label": "Which examples" });
  for (const [v, t] of [["example", "the traced example"], ["batch", "the batch"]]) {
    const input = el("input", { type: "radio", name: "health-on", value: v, "data-testid": `health-on-${v}` });
    input.addEventListener("change", () => emit(element, { healthOn: v }));
    refs.on.append(el("label", { class: "inline" }, input, t));
  }
  refs.where = el("span", { class: "muted", "data-testid": "health-where" });
  refs.banner = el("div", { class: "health-banner", "data-testid": "health-banner", role: "alert" });
  refs.banner.hidden = true;
  refs.error = errorLine("health-error", null);
  refs.table = el("div", { class: "health-table" });
  refs.plot = el("div", { class: "plot health-plot", "data-testid": "health-plot" });
  element.replaceChildren(
    el("div", { class: "insight-controls" }, el("span", { class: "muted", text: "On" }), refs.on, refs.where),
    refs.banner,
    refs.error,
    el("div", { class: "insight-split" }, refs.table, refs.plot),
  );
  element._refs = refs;
}

const ADVICE = {
  vanishing: "The gradient shrinks at every layer on its way back, so the first layers barely learn. Sigmoid's g\u2032 \u2264 1/4; tanh with Xavier or relu with He initialisation keep the norms within a factor of ten.",
  exploding: "",
  symmetry: "",
  dead: "",
};

function bannerText(d) {
  const a = alertFor(d.diag, d.history, d.L);
  if (!a) return null;
  return { kind: a.kind, text: `${a.title}: ${a.text}${ADVICE[a.kind] ? ` ${ADVICE[a.kind]}` : ""}` };
}

function table(d) {
  const { diag, activations, output, L } = d;
  const head = el("tr", {},
    el("th", { text: "k" }), el("th", { text: "g" }),
    el("th", { html: "\u2016\u2207a<sub>k</sub>\u2016", title: "RMS over the examples of the norm of grad_a_k" }),
    el("th", { html: "\u00F7 layer above", title: "||grad_a_k|| / ||grad_a_(k+1)||: far below 1 layer after layer = vanishing, far above = exploding" }),
    el("th", { text: "saturated", title: "share of sigmoid/tanh units with g'(a_k) under 5% of g's top slope" }),
    el("th", { text: "dead", title: "share of relu units with a_k <= 0 for every example" }),
    el("th", { html: "\u2016\u2207W<sub>k</sub>\u2016" }),
    el("th", { html: "\u03B7\u2016\u2207W<sub>k</sub>\u2016 / \u2016W<sub>k</sub>\u2016", title: "update-to-weight ratio; around 1e-3 is a common rule of thumb" }));
  const share = (v) => (v === null || v === undefined ? el("td", { class: "muted", text: "\u2013" }) : null);
  const rows = diag.layers.map((h) => {
    const k = h.layer;
    const aboveZero = k < L && diag.layers[k].grad_a_norm === 0;
    const ratio = k === L || aboveZero
      ? el("td", { class: "muted", "data-testid": `health-ratio-${k}`, title: k === L ? "the output layer has no layer above" : "the layer above has no gradient (0)", text: "\u2013" })
      : num("td", h.ratio_to_above, { label: `||grad_a_${k}|| / ||grad_a_${k + 1}||`, testid: `health-ratio-${k}`, signed: false, cls: h.ratio_to_above === null || h.ratio_to_above < 0.5 || h.ratio_to_above > 2 ? "warn" : "" });
    const pct = (v, name, testid, warnAt) => share(v) || Object.assign(num("td", v, { label: name, testid, signed: false, cls: v > warnAt ? "warn" : "" }), { textContent: `${(100 * v).toFixed(v > 0 && v < 0.01 ? 2 : 0)}%` });
    const upd = num("td", h.update_ratio, { label: `eta ||grad_W_${k}|| / ||W_${k}||`, testid: `health-upd-${k}`, signed: false, cls: h.update_ratio !== null && (h.update_ratio < 1e-5 || h.update_ratio > 0.1) ? "warn" : "" });
    return el("tr", { "data-testid": `health-row-${k}` },
      el("th", { scope: "row", text: String(k) }),
      el("td", { class: "txt", text: k === L ? output : activations[k - 1] }),
      num("td", h.grad_a_norm, { label: `||grad_a_${k}||`, testid: `health-gan-${k}`, signed: false }),
      ratio,
      pct(h.saturated_share, `saturated share of layer ${k}`, `health-sat-${k}`, 0.5),
      pct(h.dead_share, `dead share of layer ${k}`, `health-dead-${k}`, 0.5),
      num("td", h.grad_W_norm, { label: `||grad_W_${k}||`, testid: `health-gwn-${k}`, signed: false }),
      upd);
  });
  return el("table", { class: "nums health-nums", "data-testid": "health-table" }, el("thead", {}, head), el("tbody", {}, rows));
}

function plot(node, d) {
  const { diag, history, L } = d;
  const layers = Array.from({ length: L }, (_, i) => i + 1);
  const pos = (v) => (v !== null && v > 0 ? v : null);
  const data = [
    { type: "bar", name: "\u2016\u2207a\u2096\u2016 this pass", x: layers.map((k) => `${k}`), y: diag.layers.map((h) => pos(h.grad_a_norm)), marker: { color: CLASS_COLORS[0] },
      hovertemplate: "layer %{x}: ||grad_a|| = %{y}<extra></extra>" },
    { type: "bar", name: "\u2016\u2207W\u2096\u2016 this pass", x: layers.map((k) => `${k}`), y: diag.layers.map((h) => pos(h.grad_W_norm)), marker: { color: CLASS_COLORS[4] },
      hovertemplate: "layer %{x}: ||grad_W|| = %{y}<extra></extra>" },
  ];
  const logY = data.some((t) => t.y.some((v) => v !== null)); // a log axis needs a positive value
  const epochs = history.map((r) => r.epoch);
  for (let k = 0; k < L; k++) {
    data.push({
      type: "scatter", mode: "lines+markers", marker: { size: 3 }, name: `\u2016\u2207a${sub(k + 1)}\u2016`, x: [...epochs], y: history.map((r) => pos(r.grad_a_norms[k])),
      xaxis: "x2", yaxis: "y2", showlegend: false, line: { width: 1.6, color: `hsl(${Math.round(230 - (200 * k) / Math.max(L - 1, 1))}, 65%, ${35 + (20 * k) / Math.max(L - 1, 1)}%)` },
      hovertemplate: `epoch %{x}: ||grad_a_${k + 1}|| = %{y}<extra></extra>`,
    });
  }
  const layout = {
    margin: { l: 46, r: 8, t: 22, b: 34 }, font: { size: 10.5 }, barmode: "group",
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfd",
    legend: { orientation: "h", x: 0, y: -0.2, font: { size: 10 } },
    xaxis: { domain: [0, 0.46], title: { text: "layer k", standoff: 2 }, type: "category" },
    yaxis: logY ? { type: "log", exponentformat: "e", title: { text: "norm (log)", standoff: 2 } } : { range: [0, 1], title: { text: "norm: all 0", standoff: 2 } },
    xaxis2: { domain: [0.56, 1], anchor: "y2", title: { text: "epoch", standoff: 2 }, visible: history.length > 0 },
    yaxis2: { type: data.slice(2).some((t) => t.y.some((v) => v !== null)) ? "log" : "linear", exponentformat: "e", anchor: "x2", visible: history.length > 0 },
    annotations: [
      { text: "this pass, per layer", x: 0, y: 1.02, xanchor: "left", yanchor: "bottom", xref: "paper", yref: "paper", showarrow: false, font: { size: 11 } },
      { text: history.length ? "\u2016\u2207a\u2096\u2016 per epoch (blue: layer 1)" : "\u2016\u2207a\u2096\u2016 per epoch: train (E)", x: 0.56, y: 1.02, xanchor: "left", yanchor: "bottom", xref: "paper", yref: "paper", showarrow: false, font: { size: 11 } },
    ],
  };
  node.dataset.layers = String(L);
  return window.Plotly.react(node, data, layout, PLOT_CONFIG);
}

/** d: {L, activations, output, on, where, diag | null, history, trainFlags, error, plotly: bool} */
export function render(element, d) {
  if (!element._refs) build(element);
  const r = element._refs;
  for (const input of r.on.querySelectorAll("input")) input.checked = input.value === d.on;
  r.where.textContent = d.where;
  r.error.hidden = !d.error;
  r.error.textContent = d.error || "";
  const b = bannerText(d);
  r.banner.hidden = !b;
  r.banner.dataset.kind = b ? b.kind : "";
  r.banner.replaceChildren(...(b ? [el("strong", { text: "\u26A0\uFE0E " }), el("span", { text: b.text })] : []));
  if (!d.diag || d.diag.layers.length !== d.L) {
    r.table.replaceChildren(el("p", { class: "muted", text: d.error ? "" : "Computing\u2026" }));
    return null;
  }
  r.table.replaceChildren(table(d), el("p", { class: "hint", html: "\u2016\u2207a<sub>k</sub>\u2016 falling by a constant factor layer after layer is the vanishing gradient; a ratio far above 1, exploding. Shaded: worth a look." }));
  return d.plotly ? plot(r.plot, d) : null;
}
