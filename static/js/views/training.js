// Training views in one Plotly figure: train/test loss and accuracy per epoch (top), and the
// per-layer gradient norms ||grad_W_k|| over time on a log scale (bottom), where vanishing
// gradients show as the lower layers' lines falling away.

import { CLASS_COLORS, el } from "../format.js";

const PLOT_CONFIG = { displayModeBar: false, responsive: true };

function ensure(element) {
  if (element._plot) return;
  element._summary = el("p", { class: "hint", "data-testid": "train-summary" });
  element._plot = el("div", { class: "plot train-plot", "data-testid": "loss-plot" });
  element.replaceChildren(element._summary, element._plot);
}

const pct = (v) => `${(100 * v).toFixed(1)}%`;

/** data: {history: [EpochRecord], L} */
export function render(element, { history, L }) {
  ensure(element);
  const epochs = history.map((r) => r.epoch);
  const last = history[history.length - 1];
  const num = (v) => (v === null || v === undefined ? "NaN/\u221E" : v.toPrecision(4));
  element._summary.textContent = last
    ? `epoch ${last.epoch}, step ${last.step}: train loss ${num(last.train_loss)}` +
      (last.test_loss !== null && last.test_loss !== undefined ? `, test loss ${num(last.test_loss)}` : "") +
      (last.train_accuracy !== null && last.train_accuracy !== undefined ? `, accuracy train ${pct(last.train_accuracy)}` : "") +
      (last.test_accuracy !== null && last.test_accuracy !== undefined ? `, test ${pct(last.test_accuracy)}` : "")
    : "No training yet: press Epoch (E) or Play (Space).";
  element._plot.dataset.points = String(history.length);
  const hasAcc = history.some((r) => r.train_accuracy !== null && r.train_accuracy !== undefined);
  const data = [
    { type: "scatter", mode: "lines+markers", name: "train loss", x: [...epochs], y: history.map((r) => r.train_loss), line: { color: CLASS_COLORS[0], width: 2 }, marker: { size: 3 } },
    { type: "scatter", mode: "lines+markers", name: "test loss", x: [...epochs], y: history.map((r) => r.test_loss), line: { color: CLASS_COLORS[1], width: 2, dash: "dash" }, marker: { size: 3 } },
  ];
  if (hasAcc) {
    data.push(
      { type: "scatter", mode: "lines", name: "train acc", x: [...epochs], y: history.map((r) => r.train_accuracy), yaxis: "y3", line: { color: CLASS_COLORS[2], width: 1.5 } },
      { type: "scatter", mode: "lines", name: "test acc", x: [...epochs], y: history.map((r) => r.test_accuracy), yaxis: "y3", line: { color: CLASS_COLORS[3], width: 1.5, dash: "dot" } },
    );
  }
  for (let k = 0; k < L; k++) {
    data.push({
      type: "scatter", mode: "lines", name: `\u2016\u2207W${k + 1}\u2016`, x: [...epochs], y: history.map((r) => r.grad_W_norms[k]),
      xaxis: "x2", yaxis: "y2", line: { color: CLASS_COLORS[(k + 4) % CLASS_COLORS.length], width: 1.8 },
      hovertemplate: `epoch %{x}: ||grad_W_${k + 1}|| = %{y}<extra></extra>`,
    });
  }
  const layout = {
    margin: { l: 44, r: hasAcc ? 40 : 10, t: 8, b: 30 }, font: { size: 10.5 },
    legend: { orientation: "h", y: -0.1, x: 0, font: { size: 10 } },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfd",
    grid: { rows: 2, columns: 1, roworder: "top to bottom", ygap: 0.22 },
    xaxis: { domain: [0, 1], anchor: "y", rangemode: "tozero" },
    yaxis: { domain: [0.58, 1], title: { text: "loss", standoff: 2 }, rangemode: "tozero" },
    xaxis2: { domain: [0, 1], anchor: "y2", title: { text: "epoch", standoff: 0 } },
    yaxis2: { domain: [0, 0.4], type: "log", title: { text: "\u2016\u2207W\u2096\u2016", standoff: 2 }, exponentformat: "e" },
    ...(hasAcc ? { yaxis3: { overlaying: "y", side: "right", range: [0, 1.02], title: { text: "accuracy", standoff: 2 }, showgrid: false, tickformat: ".0%", tickmode: "auto" } } : {}),
  };
  return window.Plotly.react(element._plot, data, layout, PLOT_CONFIG);
}
