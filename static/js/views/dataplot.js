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

function tracedX(example, data) {
  if (example.kind === "row" && data) {
    const X = example.split === "train" ? data.X_train : data.X_test;
    return X[example.row] || null;
  }
  return example.x;
}

function surfaceTrace(surface, info, nL, output) {
  if (!surface || !surface.x2) return null;
  const yh = surface.y_hat;
  const base = { type: "heatmap", x: [...surface.x1], y: [...surface.x2], hoverinfo: "skip", showscale: false, zsmooth: "fast", opacity: 0.6 };
  if (info.task === "classification" && (nL === 2 || nL === 1) && output !== "linear") {
    const z = yh.map((r) => r.map((c) => (nL === 2 ? c[1] : c[0])));
    return { ...base, z, zmin: 0, zmax: 1, colorscale: [[0, CLASS_COLORS[0]], [0.5, "#f7f7f7"], [1, CLASS_COLORS[1]]] };
  }
  if (info.task === "classification") {
    const z = yh.map((r) => r.map((c) => c.indexOf(Math.max(...c.map((v) => (v === null ? -Infinity : v))))));
    const k = nL;
    const scale = [];
    for (let c = 0; c < k; c++) {
      scale.push([c / k, CLASS_COLORS[c % CLASS_COLORS.length]], [(c + 1) / k, CLASS_COLORS[c % CLASS_COLORS.length]]);
    }
    return { ...base, z, zmin: -0.5, zmax: k - 0.5, colorscale: scale, opacity: 0.35, zsmooth: false };
  }
  const z = yh.map((r) => r.map((c) => c[0]));
  return { ...base, z, colorscale: "Viridis", opacity: 0.55, showscale: true, colorbar: { thickness: 8, len: 0.8, title: { text: "\u0177" } } };
}

/** data: {data: dataset response, surface, example, nL, output} */
export function render(element, d) {
  const { data, surface, example, nL, output } = d;
  const traces = [];
  const layout = {
    margin: { l: 36, r: 8, t: 8, b: 30 }, hovermode: "closest", showlegend: true,
    legend: { orientation: "h", y: -0.14, font: { size: 10 } }, font: { size: 11 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfd", uirevision: data ? data.spec.name : "none",
  };
  if (!data) {
    layout.annotations = [{ text: "No dataset: type an input above to trace it.", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }];
    layout.xaxis = { visible: false };
    layout.yaxis = { visible: false };
    const p = window.Plotly.react(element, [], layout, PLOT_CONFIG);
    bind(element);
    return p;
  }
  const info = data.info;
  const nIn = info.n_inputs;
  const feat = info.feature_names;
  const oneD = nIn === 1;
  const s = surfaceTrace(surface, info, nL, output);
  if (s) traces.push(s);
  if (oneD && surface) {
    for (let j = 0; j < nL; j++) {
      traces.push({
        type: "scatter", mode: "lines", x: [...surface.x1], y: surface.y_hat.map((r) => r[j]), name: nL > 1 ? `\u0177[${j}]` : "\u0177 (network)",
        line: { color: "#1d2430", width: 2.5 }, hovertemplate: "x = %{x:.3g}<br>\u0177 = %{y:.4g}<extra></extra>",
      });
    }
  }
  const pointsFor = (split, X, y) => {
    const symbol = split === "train" ? "circle" : "x";
    if (info.task === "classification") {
      for (let c = 0; c < info.n_classes; c++) {
        const rows = [];
        for (let r = 0; r < X.length; r++) if (y[r] === c) rows.push(r);
        if (!rows.length) continue;
        const cname = info.class_names ? info.class_names[c] : String(c);
        traces.push({
          type: "scatter", mode: "markers", name: `${cname} (${split})`, legendgroup: `c${c}`,
          x: rows.map((r) => X[r][0]), y: rows.map((r) => (oneD ? c : X[r][1])),
          customdata: rows.map((r) => [split, r]),
          marker: { color: CLASS_COLORS[c % CLASS_COLORS.length], symbol, size: split === "train" ? 7 : 8, line: { color: "#fff", width: split === "train" ? 0.8 : 0 }, opacity: 0.9 },
          hovertemplate: `${split} row %{customdata[1]}<br>${feat[0]} = %{x}<br>${oneD ? "label" : feat[1]} = %{y}<br>label ${c}: ${cname}<br>click to trace<extra></extra>`,
        });
      }
    } else {
      traces.push({
        type: "scatter", mode: "markers", name: `${split} data`,
        x: X.map((r) => r[0]), y: X.map((r, i) => (oneD ? y[i][0] : r[1])), customdata: X.map((_, i) => [split, i, full(y[i][0])]),
        marker: oneD
          ? { color: split === "train" ? CLASS_COLORS[0] : CLASS_COLORS[1], symbol, size: 7 }
          : { color: y.map((t) => t[0]), colorscale: "Viridis", symbol, size: 7, line: { color: "#fff", width: 0.6 } },
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
    traces.push({
      type: "scatter", mode: "markers", name: "traced example", x: [tx[0]], y: [ty], hoverinfo: "skip",
      marker: { symbol: "circle-open", size: 18, color: "#000", line: { width: 3, color: "#000" } },
    });
  }
  layout.xaxis = { title: { text: feat[0], standoff: 2 }, zeroline: false, automargin: true };
  layout.yaxis = { title: { text: oneD ? (info.task === "classification" ? "label" : "y") : feat[1], standoff: 2 }, zeroline: false, automargin: true };
  if (nIn > 2) {
    layout.annotations = [{ text: `${nIn} inputs: showing the first two; no boundary drawn`, showarrow: false, xref: "paper", yref: "paper", x: 0, y: 1, xanchor: "left", font: { size: 10, color: "#5b6575" } }];
  }
  const p = window.Plotly.react(element, traces, layout, PLOT_CONFIG);
  bind(element);
  return p;
}
