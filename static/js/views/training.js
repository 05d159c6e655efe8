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

/** The one-line summary of the newest epoch (cheap: drawn on every frame while training plays). */
export function renderSummary(element, { history }) {
  ensure(element);
  const last = history[history.length - 1];
  const num = (v) => (v === null || v === undefined ? "NaN/\u221E" : v.toPrecision(4));
  element._summary.textContent = last
    ? `epoch ${last.epoch}, step ${last.step}: train loss ${num(last.train_loss)}` +
      (last.test_loss !== null && last.test_loss !== undefined ? `, test loss ${num(last.test_loss)}` : "") +
      (last.train_accuracy !== null && last.train_accuracy !== undefined ? `, accuracy train ${pct(last.train_accuracy)}` : "") +
      (last.test_accuracy !== null && last.test_accuracy !== undefined ? `, test ${pct(last.test_accuracy)}` : "")
    : "No training yet: press Epoch (E) or Play (Space).";
}

const finite = (v) => v !== null && v !== undefined && Number.isFinite(v);

// The loss axis turns logarithmic once the losses span this factor (a spike of 1e303 next to
// losses near 1 would otherwise draw a flat line and then a wall).
const LOG_LOSS_SPAN = 1e3;

/** "log" when the finite positive losses span LOG_LOSS_SPAN or more, else "linear". */
export function lossScale(history) {
  let lo = Infinity;
  let hi = 0;
  for (const r of history) {
    for (const v of [r.train_loss, r.test_loss]) {
      if (finite(v) && v > 0) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  return hi > 0 && hi / lo >= LOG_LOSS_SPAN ? "log" : "linear";
}

/** Axis ranges with room to grow, for the live view: {x, loss, norms (log10)} or null. */
function liveRanges(history, L, scale) {
  const n = history.length ? history[history.length - 1].epoch : 0;
  let lossLo = Infinity;
  let loss = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of history) {
    for (const v of [r.train_loss, r.test_loss]) {
      if (finite(v) && v > loss) loss = v;
      if (finite(v) && v > 0 && v < lossLo) lossLo = v;
    }
    for (let k = 0; k < L; k++) {
      const g = r.grad_W_norms[k];
      if (finite(g) && g > 0) {
        lo = Math.min(lo, g);
        hi = Math.max(hi, g);
      }
    }
  }
  if (!(loss > 0) || !(hi >= lo)) return null;
  const lossRange = scale === "log" ? [Math.log10(lossLo) - 0.5, Math.log10(loss) + 1] : [0, loss * 1.25];
  return { x: [0, Math.max(50, 2 * n)], loss: lossRange, scale, norms: [Math.log10(lo) - 1, Math.log10(hi) + 1] };
}

function fits(r, ranges, L) {
  const inside = (v, [a, b]) => !finite(v) || (v >= a && v <= b);
  const onAxis = (v) => (ranges.scale === "log" ? (finite(v) && v > 0 ? Math.log10(v) : null) : v);
  if (r.epoch > ranges.x[1] || !inside(onAxis(r.train_loss), ranges.loss) || !inside(onAxis(r.test_loss), ranges.loss)) return false;
  for (let k = 0; k < L; k++) {
    const g = r.grad_W_norms[k];
    if (finite(g) && (g <= 0 || !inside(Math.log10(g), ranges.norms))) return false;
  }
  return true;
}

// While training plays the curves go through at most this many epochs (evenly spaced, always
// the newest): the cost of a redraw then stays bounded however long it trains. Paused, every
// epoch is drawn.
const LIVE_MAX_POINTS = 200;

/** The records drawn: all, or (live) at most LIVE_MAX_POINTS of them, the newest included. */
export function drawnRecords(history, live) {
  const n = history.length;
  if (!live || n <= LIVE_MAX_POINTS) return history;
  const every = Math.ceil(n / LIVE_MAX_POINTS);
  const out = [];
  for (let i = (n - 1) % every; i < n; i += every) out.push(history[i]);
  return out;
}

/**
 * data: {history: [EpochRecord], L, live, classifies (a classifier: its accuracy curves are drawn
 * before the first epoch)}. While training plays (live), the axes get fixed ranges with room to
 * grow, so a redraw that only adds points moves the curves without a full replot (Plotly.animate,
 * no transition); the axes are redrawn when a point falls outside them.
 */
export function render(element, { history, L, live = false, classifies = true }) {
  renderSummary(element, { history });
  const drawn = drawnRecords(history, live);
  const epochs = drawn.map((r) => r.epoch);
  element._plot.dataset.points = String(history.length);
  // Before the first epoch a classifier's accuracy curves are drawn (empty): the first epochs Play
  // brings then land in the same traces, in place.
  const hasAcc = history.length ? history.some((r) => r.train_accuracy !== null && r.train_accuracy !== undefined) : classifies;
  // One mode paused and live: a change of mode is a full recalculation in Plotly, the one long
  // task Play would cost; with the same traces, Play only fixes the axes and moves the curves.
  const lossMode = "lines+markers";
  const data = [
    { type: "scatter", mode: lossMode, name: "train loss", x: [...epochs], y: drawn.map((r) => r.train_loss), line: { color: CLASS_COLORS[0], width: 2 }, marker: { size: 3 } },
    { type: "scatter", mode: lossMode, name: "test loss", x: [...epochs], y: drawn.map((r) => r.test_loss), line: { color: CLASS_COLORS[1], width: 2, dash: "dash" }, marker: { size: 3 } },
  ];
  if (hasAcc) {
    data.push(
      { type: "scatter", mode: "lines", name: "train acc", x: [...epochs], y: drawn.map((r) => r.train_accuracy), yaxis: "y3", line: { color: CLASS_COLORS[2], width: 1.5 } },
      { type: "scatter", mode: "lines", name: "test acc", x: [...epochs], y: drawn.map((r) => r.test_accuracy), yaxis: "y3", line: { color: CLASS_COLORS[3], width: 1.5, dash: "dot" } },
    );
  }
  for (let k = 0; k < L; k++) {
    data.push({
      type: "scatter", mode: "lines", name: `\u2016\u2207W${k + 1}\u2016`, x: [...epochs], y: drawn.map((r) => r.grad_W_norms[k]),
      xaxis: "x2", yaxis: "y2", line: { color: CLASS_COLORS[(k + 4) % CLASS_COLORS.length], width: 1.8 },
      hovertemplate: `epoch %{x}: ||grad_W_${k + 1}|| = %{y}<extra></extra>`,
    });
  }
  const scale = lossScale(history);
  const layout = {
    margin: { l: 44, r: hasAcc ? 40 : 10, t: 8, b: 30 }, font: { size: 10.5 },
    legend: { orientation: "h", y: -0.1, x: 0, font: { size: 10 } },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfd",
    grid: { rows: 2, columns: 1, roworder: "top to bottom", ygap: 0.22 },
    xaxis: { domain: [0, 1], anchor: "y", rangemode: "tozero" },
    yaxis: scale === "log"
      ? { domain: [0.58, 1], type: "log", exponentformat: "e", title: { text: "loss (log)", standoff: 2 } }
      : { domain: [0.58, 1], title: { text: "loss", standoff: 2 }, rangemode: "tozero" },
    xaxis2: { domain: [0, 1], anchor: "y2", title: { text: "epoch", standoff: 0 } },
    yaxis2: { domain: [0, 0.4], type: "log", title: { text: "\u2016\u2207W\u2096\u2016", standoff: 2 }, exponentformat: "e" },
    ...(hasAcc ? { yaxis3: { overlaying: "y", side: "right", range: [0, 1.02], title: { text: "accuracy", standoff: 2 }, showgrid: false, tickformat: ".0%", tickmode: "auto" } } : {}),
  };
  const shape = `${L}|${hasAcc}|${data.length}|${scale}`;
  const known = element._live;
  const moveCurves = () => window.Plotly.animate(element._plot, { data: data.map((d) => ({ x: d.x, y: d.y })), traces: data.map((_, i) => i) }, { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" });
  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
  if (live && !known && element._shape === shape) {
    // The first live frame over the paused figure of the same traces: the fixed axes in one
    // task, the curves in the next (never one long task).
    const ranges = liveRanges(history, L, scale);
    if (ranges) {
      element._live = { shape, ranges, n: history.length };
      const axes = { "xaxis.range": ranges.x, "xaxis2.range": ranges.x, "yaxis.range": ranges.loss, "yaxis2.range": ranges.norms };
      return window.Plotly.relayout(element._plot, axes).then(nextTask).then(moveCurves);
    }
  }
  if (live && known && known.shape === shape && history.length >= known.n) {
    const grew = history.slice(known.n);
    known.n = history.length;
    if (grew.every((r) => fits(r, known.ranges, L))) return moveCurves();
    // A point outside the axes: new ranges (the axes and the old curves, a third of a full
    // redraw), then the new points in a later task, so the two are never one long task (a
    // promise's then would run in the same task). Only the ranges that changed are sent.
    const ranges = liveRanges(history, L, scale);
    if (ranges) {
      const was = known.ranges;
      known.ranges = ranges;
      const changed = {};
      const same = (a, b) => a[0] === b[0] && a[1] === b[1];
      if (!same(was.x, ranges.x)) Object.assign(changed, { "xaxis.range": ranges.x, "xaxis2.range": ranges.x });
      if (!same(was.loss, ranges.loss)) changed["yaxis.range"] = ranges.loss;
      if (!same(was.norms, ranges.norms)) changed["yaxis2.range"] = ranges.norms;
      return window.Plotly.relayout(element._plot, changed).then(nextTask).then(moveCurves);
    }
  }
  element._live = null;
  const ranges = live ? liveRanges(history, L, scale) : null;
  if (ranges) {
    layout.xaxis.range = ranges.x;
    layout.xaxis2.range = ranges.x;
    layout.yaxis.range = ranges.loss;
    layout.yaxis2.range = ranges.norms;
    element._live = { shape, ranges, n: history.length };
  }
  element._shape = shape;
  return window.Plotly.react(element._plot, data, layout, PLOT_CONFIG);
}
