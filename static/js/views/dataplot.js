// The dataset with the network's decision boundary (2 inputs, classification), its fitted curve
// (1 input) or its prediction surface (2 inputs, regression). The traced example is ringed.
// Clicking a point dispatches "choose-example" with that row.

import { CLASS_COLORS, full } from "../format.js";

const PLOT_CONFIG = { displayModeBar: false, responsive: true };

function bind(element) {
  if (element._bound) return;
  element._bound = true;
  element.on("plotly_click", (event) => {
    const pt = event && event.points && event.points[0];
    if (!pt || !pt.customdata || !Array.isArray(pt.customdata)) return;
    const [split, row] = pt.customdata;
    if (split !== "train" && split !== "test") return;
    element.dispatchEvent(new CustomEvent("choose-example", { bubbles: true, detail: { kind: "row", split, row: Number(row) } }));
  });
}

function range(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function tracedX(example, data) {
  if (example.kind === "row" && data) {
    const X = example.split === "train" ? data.X_train : data.X_test;
    return X[example.row] || null;
  }
  return example.x;
}

const hexRgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const WHITE = [247, 247, 247];
const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));
/** Low values blue, middle white, high values orange: the same ends as the class colours 0 and 1. */
export const TWO_ENDS = [[0, CLASS_COLORS[0]], [0.5, "#f7f7f7"], [1, CLASS_COLORS[1]]];
const LOW = hexRgb(CLASS_COLORS[0]);
const HIGH = hexRgb(CLASS_COLORS[1]);
const CLASS_TINTS = CLASS_COLORS.map((c) => mix(WHITE, hexRgb(c), 0.75));
const NON_FINITE = [200, 40, 40];

/** Write the two-ends colour of t (0..1, clamped) at offset o of an RGBA array (no allocation: every pixel of every frame). */
function twoEndsInto(px, o, t) {
  const u = t > 0 ? (t < 1 ? t : 1) : 0;
  const [from, to, w] = u < 0.5 ? [LOW, WHITE, u * 2] : [WHITE, HIGH, (u - 0.5) * 2];
  px[o] = Math.round(from[0] + (to[0] - from[0]) * w);
  px[o + 1] = Math.round(from[1] + (to[1] - from[1]) * w);
  px[o + 2] = Math.round(from[2] + (to[2] - from[2]) * w);
}

const putRgb = (px, o, rgb) => {
  px[o] = rgb[0];
  px[o + 1] = rgb[1];
  px[o + 2] = rgb[2];
};

/**
 * The network's output over the plane as an image (one pixel per grid point, scaled smoothly by
 * the browser): P(class 1) for two classes, the winning class for more, y_hat for regression.
 * Drawn as a layout image, so a new boundary redraws only the image, not the points.
 */
function surfaceImage(surface, info, nL, output, yRange, element) {
  if (!surface || !surface.x2) return null;
  const yh = surface.y_hat;
  const rows = yh.length;
  const cols = yh[0].length;
  // One canvas and pixel buffer per plot, kept while the grid keeps its size (a new canvas and
  // 2D context per frame cost as much as encoding the image).
  let paint = element._paint;
  if (!paint || paint.canvas.width !== cols || paint.canvas.height !== rows) {
    const canvas = document.createElement("canvas");
    canvas.width = cols;
    canvas.height = rows;
    const ctx = canvas.getContext("2d");
    paint = element._paint = { canvas, ctx, img: ctx.createImageData(cols, rows) };
  }
  const { canvas, ctx, img } = paint;
  const px = img.data;
  const binary = info.task === "classification" && (nL === 2 || nL === 1) && output !== "linear";
  const classification = info.task === "classification";
  const span = yRange ? yRange[1] - yRange[0] || 1 : 1;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = yh[r][c];
      const o = ((rows - 1 - r) * cols + c) * 4; // row 0 of the image is the top (largest x2)
      px[o + 3] = 255;
      if (v.includes(null)) putRgb(px, o, NON_FINITE);
      else if (binary) twoEndsInto(px, o, nL === 2 ? v[1] : v[0]);
      else if (classification) {
        let best = 0;
        for (let j = 1; j < v.length; j++) if (v[j] > v[best]) best = j;
        putRgb(px, o, CLASS_TINTS[best % CLASS_TINTS.length]);
      } else {
        twoEndsInto(px, o, (v[0] - yRange[0]) / span);
      }
    }
  }
  ctx.putImageData(img, 0, 0);
  const x1 = surface.x1;
  const x2 = surface.x2;
  const dx = (x1[x1.length - 1] - x1[0]) / (cols - 1);
  const dy = (x2[x2.length - 1] - x2[0]) / (rows - 1);
  return {
    image: {
      source: canvas.toDataURL(), xref: "x", yref: "y", layer: "below", sizing: "stretch", opacity: 0.6,
      x: x1[0] - dx / 2, y: x2[x2.length - 1] + dy / 2, sizex: x1[x1.length - 1] - x1[0] + dx, sizey: x2[x2.length - 1] - x2[0] + dy,
    },
    // The axes span the grid's end points, whatever its resolution (the image's outer half cells
    // are clipped): a coarser surface (Play draws one) then moves only the image, not the axes and
    // the points, which would be a redraw of the whole figure.
    xrange: [x1[0], x1[x1.length - 1]],
    yrange: [x2[0], x2[x2.length - 1]],
  };
}

function buildPoints(data, example, info, oneD, feat, regressionRange) {
  const points = [];
  const pointsFor = (split, X, y) => {
    const symbol = split === "train" ? "circle" : "x";
    if (info.task === "classification") {
      for (let c = 0; c < info.n_classes; c++) {
        const rows = [];
        for (let r = 0; r < X.length; r++) if (y[r] === c) rows.push(r);
        if (!rows.length) continue;
        const cname = info.class_names ? info.class_names[c] : String(c);
        points.push({
          type: "scatter", mode: "markers", name: `${cname} (${split})`, legendgroup: `c${c}`,
          x: rows.map((r) => X[r][0]), y: rows.map((r) => (oneD ? c : X[r][1])),
          customdata: rows.map((r) => [split, r]),
          marker: { color: CLASS_COLORS[c % CLASS_COLORS.length], symbol, size: split === "train" ? 7 : 8, line: { color: "#fff", width: split === "train" ? 0.8 : 0 }, opacity: 0.9 },
          hovertemplate: `${split} row %{customdata[1]}<br>${feat[0]} = %{x}<br>${oneD ? "label" : feat[1]} = %{y}<br>label ${c}: ${cname}<br>click to trace<extra></extra>`,
        });
      }
    } else {
      points.push({
        type: "scatter", mode: "markers", name: `${split} data`,
        x: X.map((r) => r[0]), y: X.map((r, i) => (oneD ? y[i][0] : r[1])), customdata: X.map((_, i) => [split, i, full(y[i][0])]),
        marker: oneD
          ? { color: split === "train" ? CLASS_COLORS[0] : CLASS_COLORS[1], symbol, size: 7 }
          : { color: y.map((t) => t[0]), colorscale: TWO_ENDS, cmin: regressionRange[0], cmax: regressionRange[1], symbol, size: 7, line: { color: "#333", width: 0.6 } },
        hovertemplate: `${split} row %{customdata[1]}<br>x = %{x}<br>${oneD ? "y" : `x2 = %{y}<br>y`} = %{customdata[2]}<br>click to trace<extra></extra>`,
      });
    }
  };
  pointsFor("train", data.X_train, data.y_train);
  pointsFor("test", data.X_test, data.y_test);
  const tx = tracedX(example, data);
  if (tx) {
    let ty = tx[1];
    if (oneD) {
      if (example.kind === "row") {
        const Y = example.split === "train" ? data.y_train : data.y_test;
        const v = Y[example.row];
        ty = Array.isArray(v) ? v[0] : v;
      } else {
        ty = Array.isArray(example.y[0]) ? example.y[0][0] : example.y[0];
      }
    }
    points.push({
      type: "scatter", mode: "markers", name: "traced example", x: [tx[0]], y: [ty], hoverinfo: "skip",
      marker: { symbol: "circle-open", size: 18, color: "#000", line: { width: 3, color: "#000" } },
    });
  }
  return points;
}

const pct = (r) => (r === null || r === undefined ? "" : ` (${(100 * r).toFixed(0)}%)`);

/**
 * More than two inputs: the dataset as the projection shows it (each row's two principal
 * coordinates of x or h_k), with axis names saying which directions they are.
 */
function projected(data, projection, L) {
  const k = projection.layer;
  const what = k === 0 ? "x" : k === L ? "ŷ" : `h${k}`;
  const r = projection.explained_variance_ratio || [];
  return {
    data: { ...data, X_train: projection.train, X_test: projection.test },
    feat: [`PC1 of ${what}${pct(r[0])}`, `PC2 of ${what}${pct(r[1])}`],
    note: `PCA of ${what} (n = ${projection.dim}): axes fitted on the training inputs, fixed while training`,
  };
}

/** data: {data: dataset response, surface, example, nL, output, projection, L} */
export function render(element, d) {
  const { surface, example, nL, output } = d;
  let { data } = d;
  const view = data && data.info.n_inputs > 2 && d.projection ? projected(data, d.projection, d.L) : null;
  if (view) data = view.data;
  const traces = [];
  const layout = {
    margin: { l: 36, r: 8, t: 8, b: 30 }, hovermode: "closest", showlegend: true,
    legend: { orientation: "h", y: -0.14, font: { size: 10 } }, font: { size: 11 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfd", uirevision: data ? data.spec.name : "none",
  };
  if (!data) {
    element._frameKey = null;
    layout.annotations = [{ text: "No dataset: type an input above to trace it.", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }];
    layout.xaxis = { visible: false };
    layout.yaxis = { visible: false };
    const p = window.Plotly.react(element, [], layout, PLOT_CONFIG);
    bind(element);
    return p;
  }
  const info = data.info;
  const nIn = info.n_inputs;
  const feat = view ? view.feat : info.feature_names;
  const oneD = nIn === 1;
  const regressionRange = info.task === "regression" ? range(data.y_train.map((t) => t[0]).concat(data.y_test.map((t) => t[0]))) : null;
  const img = surfaceImage(surface, info, nL, output, regressionRange, element);
  if (oneD && surface) {
    for (let j = 0; j < nL; j++) {
      traces.push({
        type: "scatter", mode: "lines", x: [...surface.x1], y: surface.y_hat[0].map((r) => r[j]), name: nL > 1 ? `\u0177[${j}]` : "\u0177 (network)",
        line: { color: "#1d2430", width: 2.5 }, hovertemplate: "x = %{x:.3g}<br>\u0177 = %{y:.4g}<extra></extra>",
      });
    }
  }
  // The points change only with the data or the traced example: the same trace objects are
  // reused otherwise, so Plotly.react redraws just the boundary image while training plays.
  const pointsKey = `${data.spec ? JSON.stringify(data.spec) : ""}|${data.X_train.length}|${JSON.stringify(example)}|${regressionRange}`;
  if (element._pointsKey !== pointsKey || element._pointsData !== data || element._pointsProjection !== d.projection) {
    element._pointsKey = pointsKey;
    element._pointsData = data;
    element._pointsProjection = d.projection;
    element._points = buildPoints(data, example, info, oneD, feat, regressionRange);
  }
  // Only the boundary changed (training plays, a step): swap its image, nothing else is redrawn.
  // A surface of another resolution over the same plane (Play draws a coarser one) also moves the
  // image's edges by half a cell: those image keys (the axes stay), not a new figure.
  const frameKey = `${pointsKey}|${nL}|${output}|${img ? "image" : "-"}|${oneD}|${nIn}`;
  const plane = img ? `${img.xrange}|${img.yrange}` : "";
  if (img && !oneD && element._frameKey === frameKey && element._hasImage && element._plane === plane) {
    const { source, x, y, sizex, sizey } = img.image;
    const cells = `${x}|${y}|${sizex}|${sizey}`;
    if (element._cells === cells) return window.Plotly.relayout(element, { "images[0].source": source });
    element._cells = cells;
    return window.Plotly.relayout(element, { "images[0].source": source, "images[0].x": x, "images[0].y": y, "images[0].sizex": sizex, "images[0].sizey": sizey });
  }
  element._frameKey = frameKey;
  element._plane = plane;
  element._cells = img ? `${img.image.x}|${img.image.y}|${img.image.sizex}|${img.image.sizey}` : "";
  element._hasImage = !!img && !oneD;
  traces.push(...element._points);
  layout.xaxis = { title: { text: feat[0], standoff: 2 }, zeroline: false, automargin: true };
  layout.yaxis = { title: { text: oneD ? (info.task === "classification" ? "label" : "y") : feat[1], standoff: 2 }, zeroline: false, automargin: true };
  if (img) {
    layout.images = [img.image];
    layout.xaxis.range = img.xrange;
    layout.yaxis.range = img.yrange;
  }
  element.dataset.projection = view ? String(d.projection.layer) : "";
  if (nIn > 2) {
    layout.annotations = [{ text: view ? view.note : `${nIn} inputs: projecting them on two principal directions\u2026`, showarrow: false, xref: "paper", yref: "paper", x: 0, y: 1, xanchor: "left", font: { size: 10, color: "#5b6575" } }];
  }
  const p = window.Plotly.react(element, traces, layout, PLOT_CONFIG);
  bind(element);
  return p;
}
