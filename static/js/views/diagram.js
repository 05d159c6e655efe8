// The network diagram, drawn as SVG: every neuron of layers 1..L is a split circle, left half
// the pre-activation a_k[i], right half the activation h_k[i] (h_L = y_hat), as in the notes.
// Edges are W_k[i, j] (from h_{k-1}[j] to a_k[i]): hue = sign (blue +, orange -), width = |value|.
// Small squares are the biases b_k[i]. In gradient mode the same picture shows grad_W_k,
// grad_b_k, grad_a_k and grad_h_k. Clicking a weight or a bias asks to edit it by dispatching
// an "edit-parameter" event; this module never talks to the API.

import { divergingColor, fmt, full, maxAbs } from "../format.js";
import { bindEditClicks } from "../editclick.js";
import { backwardKnown, forwardKnown, gradHKnown, litLayer } from "../stages.js";

const SVG = "http://www.w3.org/2000/svg";
const SUB = "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089";
export const sub = (n) => String(n).split("").map((d) => SUB[Number(d)] ?? d).join("");

function s(tag, attrs = {}, title = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  if (title) {
    const t = document.createElementNS(SVG, "title");
    t.textContent = title;
    node.append(t);
  }
  return node;
}

function text(x, y, content, cls, extra = {}) {
  const t = s("text", { x, y, class: cls, "text-anchor": "middle", "dominant-baseline": "central", ...extra });
  t.textContent = content;
  return t;
}

/** At most about 4 characters, to fit half a neuron: .79, -.19, 1.1, 12, 3e-3 (hover for exact). */
function compact(v) {
  const a = Math.abs(v);
  const sign = v < 0 ? "\u2212" : "";
  if (a === 0) return "0";
  if (a >= 100) return sign + a.toExponential(0).replace("+", "");
  if (a >= 10) return sign + a.toFixed(0);
  if (a >= 1) return sign + a.toFixed(1);
  if (a >= 0.095) return sign + a.toFixed(2).replace(/^0/, "");
  return sign + a.toExponential(0).replace("-", "\u2212");
}

const line = (v) => (v === null || v === undefined ? "non-finite" : full(v));

/**
 * data: {sizes, W, b, activations, output, trace, stage, mode: "values"|"gradients", diverged}
 */
export function render(element, data) {
  bindEditClicks(element);
  const { sizes, W, b, trace, stage, mode, activations, output } = data;
  const L = sizes.length - 1;
  const width = Math.max(element.clientWidth, 320);
  const height = Math.max(element.clientHeight, 200);
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `Network diagram with layer sizes ${sizes.join(", ")}, showing ${mode}`,
    "data-testid": "diagram-svg",
  });
  const top = 30;
  const bottom = 24;
  const left = 44;
  const right = 74;
  const maxN = Math.max(...sizes);
  const colGap = (width - left - right) / L;
  const usableH = height - top - bottom;
  const r = Math.max(3, Math.min(30, colGap * 0.2, usableH / (maxN * 2.3)));
  const xs = sizes.map((_, k) => left + k * colGap);
  const spacing = (n) => Math.min(usableH / n, r * 3.4);
  const ys = sizes.map((n) => Array.from({ length: n }, (_, i) => top + usableH / 2 + (i - (n - 1) / 2) * spacing(n)));
  const showText = r >= 15;
  const fontSize = Math.max(7.5, Math.min(10.5, r * 0.34));
  const grad = mode === "gradients";
  const lit = litLayer(stage, L);

  // Value for each quantity, or undefined when it is not revealed at this stage.
  const A = (k, i) => (trace && forwardKnown(stage, L, k) ? trace.a[k - 1][0][i] : undefined);
  const H = (k, i) => (trace && (k === 0 || forwardKnown(stage, L, k)) ? trace.h[k][0][i] : undefined);
  const GA = (k, i) => (trace && backwardKnown(stage, L, k) ? trace.grad_a[k - 1][0][i] : undefined);
  const GH = (k, i) => (trace && gradHKnown(stage, L, k) ? trace.grad_h[k][0][i] : undefined);
  const GW = (k) => (trace && backwardKnown(stage, L, k) ? trace.grad_W[k - 1] : null);
  const GB = (k) => (trace && backwardKnown(stage, L, k) ? trace.grad_b[k - 1] : null);

  // Scales for widths and colours.
  const edgeScale = grad
    ? maxAbs(Array.from({ length: L }, (_, k) => GW(k + 1)).filter(Boolean)) || 1
    : maxAbs(W) || 1;
  const revealed = (fn, from) => {
    const vals = [];
    for (let k = from; k <= L; k++) for (let i = 0; i < sizes[k]; i++) vals.push(fn(k, i));
    return maxAbs(vals.filter((v) => v !== undefined)) || 1;
  };
  const aScale = grad ? revealed(GA, 1) : revealed(A, 1);
  const hScale = grad ? revealed(GH, 0) : revealed(H, 0);
  const bScale = grad ? maxAbs(Array.from({ length: L }, (_, k) => GB(k + 1)).filter(Boolean)) || 1 : maxAbs(b) || 1;
  const shade = (v, scale) => (v === undefined ? null : v === null ? divergingColor(null) : divergingColor(Math.tanh((1.6 * v) / scale)));

  // Lit band behind the layer being computed (edges into it and its neurons).
  if (lit !== null) {
    svg.append(s("rect", { class: "lit-band", x: xs[lit - 1] + r, y: 4, width: xs[lit] - xs[lit - 1] + r * 0.2 + 8, height: height - 8, rx: 8, "data-testid": `lit-layer-${lit}` }));
  }
  if (data.diverged && data.diverged.layer) {
    const k = Math.min(Math.max(data.diverged.layer, 0), L);
    const x0 = k > 0 ? xs[k - 1] + r : xs[0] - r - 6;
    svg.append(s("rect", { class: "diverged-band", x: x0, y: 2, width: xs[k] - x0 + r + 6, height: height - 4, rx: 8 }, data.diverged.message));
  }

  // Edges first, so neurons sit on top.
  const edges = s("g", { class: "edges" });
  for (let k = 1; k <= L; k++) {
    const gW = GW(k);
    for (let i = 0; i < sizes[k]; i++) {
      for (let j = 0; j < sizes[k - 1]; j++) {
        const w = W[k - 1][i][j];
        const g = gW ? gW[i][j] : undefined;
        const v = grad ? g : w;
        const x1 = xs[k - 1] + (k - 1 === 0 ? r : r);
        const y1 = ys[k - 1][j];
        const x2 = xs[k] - r;
        const y2 = ys[k][i];
        let tip = `W_${k}[${i},${j}] = ${line(w)}   (from h_${k - 1}[${j}] to a_${k}[${i}])`;
        if (g !== undefined) tip += `\ngrad_W_${k}[${i},${j}] = ${line(g)}`;
        tip += "\nclick to edit this weight";
        // The clickable area: a 9 px wide band around the edge (a polygon, so it has an area
        // even when the edge is horizontal).
        const len = Math.hypot(x2 - x1, y2 - y1) || 1;
        const nx = (-(y2 - y1) / len) * 4.5;
        const ny = ((x2 - x1) / len) * 4.5;
        const pts = [[x1 + nx, y1 + ny], [x2 + nx, y2 + ny], [x2 - nx, y2 - ny], [x1 - nx, y1 - ny]].map((p) => p.map((v) => v.toFixed(1)).join(",")).join(" ");
        const hit = s(
          "polygon",
          {
            points: pts, class: "edge-hit",
            "data-testid": `edge-${k}-${i}-${j}`,
            "data-value": w === null ? "NaN" : String(w),
            "data-grad": g === undefined ? null : String(g),
            "data-edit": `W:${k}:${i}:${j}`,
            "data-x1": x1.toFixed(1), "data-y1": y1.toFixed(1), "data-x2": x2.toFixed(1), "data-y2": y2.toFixed(1),
          },
          tip,
        );
        let stroke;
        let widthPx;
        let opacity;
        if (v === undefined) {
          stroke = "#b9c0ca";
          widthPx = 0.8;
          opacity = 0.5;
        } else if (v === null) {
          stroke = "#a3000b";
          widthPx = 2;
          opacity = 1;
        } else {
          const m = Math.min(1, Math.abs(v) / edgeScale);
          stroke = v >= 0 ? "var(--pos)" : "var(--neg)";
          widthPx = 0.6 + 5.4 * m;
          opacity = 0.3 + 0.7 * m;
        }
        const visible = s("line", {
          x1, y1, x2, y2, class: "edge", stroke, "stroke-width": widthPx.toFixed(2), "stroke-opacity": opacity.toFixed(2),
          "stroke-dasharray": v === undefined ? "3 3" : null, "pointer-events": "none",
        });
        edges.append(hit, visible);
      }
    }
  }
  svg.append(edges);

  // Neurons.
  const nodes = s("g", { class: "neurons" });
  for (let k = 0; k <= L; k++) {
    const act = k === 0 ? null : k === L ? output : activations[k - 1];
    for (let i = 0; i < sizes[k]; i++) {
      const cx = xs[k];
      const cy = ys[k][i];
      const g = s("g", { "data-testid": `neuron-${k}-${i}` });
      if (k === 0) {
        const hv = H(0, i);
        const ghv = GH(0, i);
        const v = grad ? ghv : hv;
        const fill = shade(v, hScale);
        let tip = `h_0[${i}] = x[${i}] = ${line(hv)}`;
        if (ghv !== undefined) tip += `\ngrad_h_0[${i}] = ${line(ghv)}`;
        g.append(s("circle", { cx, cy, r, class: `half${fill ? "" : " pending"}`, fill, "data-testid": `dg-h-0-${i}`, "data-value": v === undefined ? null : String(v) }, tip));
        if (showText) g.append(text(cx, cy, v === undefined ? `x${sub(i + 1)}` : (v === null ? "NaN" : compact(v)), "neuron-text", { "font-size": fontSize }));
      } else {
        const av = A(k, i);
        const hv = H(k, i);
        const gav = GA(k, i);
        const ghv = k < L ? GH(k, i) : undefined;
        const leftV = grad ? gav : av;
        const rightV = grad ? (k < L ? ghv : undefined) : hv;
        const leftFill = shade(leftV, aScale);
        const rightFill = grad && k === L ? (hv === undefined ? null : "#eceff3") : shade(rightV, hScale);
        const hName = k === L ? `h_${L}[${i}] = y_hat[${i}]` : `h_${k}[${i}]`;
        let tipA = `a_${k}[${i}] = ${av === undefined ? "not computed yet" : line(av)}   (pre-activation)`;
        if (gav !== undefined) tipA += `\ngrad_a_${k}[${i}] = ${line(gav)}`;
        let tipH = `${hName} = ${act}(a_${k}[${i}]) = ${hv === undefined ? "not computed yet" : line(hv)}`;
        if (ghv !== undefined) tipH += `\ngrad_h_${k}[${i}] = ${line(ghv)}`;
        const leftPath = `M ${cx} ${cy - r} A ${r} ${r} 0 0 0 ${cx} ${cy + r} Z`;
        const rightPath = `M ${cx} ${cy - r} A ${r} ${r} 0 0 1 ${cx} ${cy + r} Z`;
        g.append(
          s("path", { d: leftPath, class: `half${leftFill ? "" : " pending"}`, fill: leftFill, "data-testid": `dg-a-${k}-${i}`, "data-value": leftV === undefined ? null : String(leftV) }, tipA),
          s("path", { d: rightPath, class: `half${rightFill ? "" : " pending"}`, fill: rightFill, "data-testid": `dg-h-${k}-${i}`, "data-value": rightV === undefined ? null : String(rightV) }, tipH),
        );
        if (showText) {
          const lt = leftV === undefined ? "a" : leftV === null ? "NaN" : compact(leftV);
          const rt = rightV === undefined ? (k === L ? "\u0177" : "h") : rightV === null ? "NaN" : compact(rightV);
          g.append(
            text(cx - r * 0.5, cy, lt, "neuron-text", { "font-size": fontSize }),
            text(cx + r * 0.52, cy, rt, "neuron-text", { "font-size": fontSize }),
          );
        }
        // Bias square, top-left of the neuron.
        const bv = b[k - 1][i];
        const gb = GB(k);
        const gbv = gb ? gb[i] : undefined;
        const shown = grad ? gbv : bv;
        const size = Math.max(6, Math.min(12, r * 0.45));
        let tipB = `b_${k}[${i}] = ${line(bv)}`;
        if (gbv !== undefined) tipB += `\ngrad_b_${k}[${i}] = ${line(gbv)}`;
        tipB += "\nclick to edit this bias";
        g.append(
          s(
            "rect",
            {
              x: cx - r * 0.78 - size / 2, y: cy - r * 0.78 - size / 2, width: size, height: size, rx: 1.5,
              class: "bias", fill: shade(shown, bScale) ?? "#eceff3", stroke: "#4a5565", "stroke-width": 1,
              "data-testid": `bias-${k}-${i}`, "data-value": bv === null ? "NaN" : String(bv),
              "data-grad": gbv === undefined ? null : String(gbv), "data-edit": `b:${k}:${i}:`,
            },
            tipB,
          ),
        );
      }
      nodes.append(g);
    }
    // Layer labels.
    const label = k === 0 ? `x = h${sub(0)}` : k === L ? `layer ${k} \u00B7 ${output}` : `layer ${k} \u00B7 ${act}`;
    svg.append(text(xs[k], 13, label, `layer-label${lit === k ? " lit" : ""}`));
    const foot = k === 0 ? (grad ? `\u2207h${sub(0)}` : `h${sub(0)}`) : grad ? `\u2207a${sub(k)} | ${k === L ? "\u0177" : `\u2207h${sub(k)}`}` : `a${sub(k)} | ${k === L ? "\u0177" : `h${sub(k)}`}`;
    svg.append(text(xs[k], height - 10, foot, `layer-label${lit === k ? " lit" : ""}`));
  }
  svg.append(nodes);

  // Targets e(y) beside the output layer.
  if (trace && trace.y) {
    const k = L;
    svg.append(text(xs[k] + r + 30, height - 10, output === "linear" ? "target y" : "e(y)", "layer-label"));
    for (let i = 0; i < sizes[k]; i++) {
      const v = trace.y[0][i];
      const t = text(xs[k] + r + 30, ys[k][i], fmt(v), "neuron-text", { "font-size": Math.max(fontSize, 10), "data-testid": `dg-y-${i}`, "data-value": String(v) });
      const tt = document.createElementNS(SVG, "title");
      tt.textContent = `target y[${i}] = ${line(v)}`;
      t.append(tt);
      t.setAttribute("pointer-events", "all");
      svg.append(t);
    }
  }

  element.replaceChildren(svg);
}
