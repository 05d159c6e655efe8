// Training views: train/test loss and accuracy per epoch, and the per-layer gradient norms
// ||grad_W_k|| over time on a log scale (vanishing gradients show as a falling lower layer).

import { CLASS_COLORS, el } from "../format.js";

const PLOT_CONFIG = { displayModeBar: false, responsive: true };

function ensure(element) {
  if (element._curves) return;
  element._curves = el("div", { class: "plot", "data-testid": "loss-plot" });
  element._norms = el("div", { class: "plot", "data-testid": "norms-plot" });
  element._summary = el("p", { class: "hint", "data-testid": "train-summary" });
  element.replaceChildren(element._summary, element._curves, element._norms);
}

/** data: {history: [EpochRecord], L} */
export function render(element, { history, L }) {
  ensure(element);
  const epochs = history.map((r) => r.epoch);
  const last = history[history.length - 1];
  element._summary.textContent = last
    ? `epoch ${last.epoch}, step ${last.step}: train loss ${last.train_loss === null ? "NaN/\u221E" : last.train_loss.toPrecision(4)}` +
      (last.test_loss !== null && last.test_loss !== undefined ? `, test loss ${last.test_loss.toPrecision(4)}` : "") +
      (last.train_accuracy !== null && last.train_accuracy !== undefined ? `, train accuracy ${(100 * last.train_accuracy).toFixed(1)}%` : "")
    : "No training yet: press Epoch (E) or Play (Space).";
  element._curves.dataset.points = String(history.length);
  const hasAcc = history.some((r) => r.train_accuracy !== null && r.train_accuracy !== undefined);
  const curves = [
    { type: "scatter", mode: "lines+markers", name: "train loss", x: [...epochs], y: history.map((r) => r.train_loss), line: { color: CLASS_COLORS[0], width: 2 }, marker: { size: 4 } },
    { type: "scatter", mode: "lines+markers", name: "test loss", x: [...epochs], y: history.map((r) => r.test_loss), line: { color: CLASS_COLORS[1], width: 2, dash: "dash" }, marker: { size: 4 } },
  ];
  if (hasAcc) {
    curves.push(
      { type: "scatter", mode: "lines", name: "train acc", x: [...epochs], y: history.map((r) => r.train_accuracy), yaxis: "y2", line: { color: CLASS_COLORS[2], width: 1.5 } },
      { type: "scatter", mode: "lines", name: "test acc", x: [...epochs], y: history.map((r) => r.test_accuracy), yaxis: "y2", line: { color: CLASS_COLORS[3], width: 1.5, dash: "dot" } },
    );
  }
  const base = { margin: { l: 40, r: hasAcc ? 36 : 8, t: 6, b: 26 }, font: { size: 10.5 }, legend: { orientation: "h", y: 1.18, x: 0, font: { size: 10 } }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfd" };
  const p1 = window.Plotly.react(element._curves, curves, {
    ...base,
    xaxis: { title: { text: "epoch", standoff: 0 }, rangemode: "tozero" },
    yaxis: { title: { text: "loss", standoff: 2 }, rangemode: "tozero" },
    ...(hasAcc ? { yaxis2: { overlaying: "y", side: "right", range: [0, 1.02], title: { text: "accuracy", standoff: 2 }, showgrid: false, tickformat: ".0%", tickmode: "auto" } } : {}),
  }, PLOT_CONFIG);
  const norms = Array.from({ length: L }, (_, k) => ({
    type: "scatter", mode: "lines", name: `\u2016\u2207W${k + 1}\u2016`, x: [...epochs], y: history.map((r) => r.grad_W_norms[k]),
    line: { color: CLASS_COLORS[k % CLASS_COLORS.length], width: 1.8 },
    hovertemplate: `epoch %{x}: ||grad_W_${k + 1}|| = %{y}<extra></extra>`,
  }));
  const p2 = window.Plotly.react(element._norms, norms, {
    ...base,
    xaxis: { title: { text: "epoch", standoff: 0 } },
    yaxis: { type: "log", title: { text: "\u2016\u2207W\u2096\u2016 (log)", standoff: 2 }, exponentformat: "e" },
  }, PLOT_CONFIG);
  return Promise.all([p1, p2]);
}
