// The network diagram, drawn as SVG: every neuron of layers 1..L is a split circle, left half
// the pre-activation a_k[i], right half the activation h_k[i] (h_L = y_hat), as in the notes.
// Edges are W_k[i, j] (from h_{k-1}[j] to a_k[i]): hue = sign (blue +, orange -), width = |value|.
// Small squares are the biases b_k[i]. In gradient mode the same picture shows grad_W_k,
// grad_b_k, grad_a_k and grad_h_k. Clicking a weight or a bias asks to edit it ("edit-parameter"
// event); hovering anything shows its exact values. This module never talks to the API.
//
// The SVG is built once per network shape and size on screen; each render only updates the
// attributes that changed, so a step redraws quickly even with thousands of edges.

import { bindEditClicks } from "../editclick.js";
import { bindRoving, pressAt, refreshRoving } from "../keynav.js";
import { divergingColor, fmt, maxAbs } from "../format.js";
import { compact, geometry, halfPath, placeNumber, s, setText, sub, text } from "./diagramshape.js";
import { bindTips, exact } from "./diagramtips.js";
export { sub };
import { backwardKnown, forwardKnown, gradHKnown, litLayer } from "../stages.js";

/** The type sizes the page asks for (CSS --dg-font for the numbers, --dg-label for the layer labels):
 * 10 and 11.5 px normally, >= 20 px in projector mode (room.css). */
function typeSizes(element) {
  const cs = getComputedStyle(element);
  return { font: parseFloat(cs.getPropertyValue("--dg-font")) || 10, label: parseFloat(cs.getPropertyValue("--dg-label")) || 11.5 };
}

/**
 * The element's size as the last layout left it, kept by a ResizeObserver: while training plays,
 * reading clientWidth every frame would force a synchronous layout after the previous frame's writes.
 */
function observedSize(element) {
  if (!element._sizeObserver) {
    const measure = () => { element._size = { w: element.clientWidth, h: element.clientHeight }; };
    measure();
    element._sizeObserver = new ResizeObserver(measure); // its callback runs after layout: no forced one
    element._sizeObserver.observe(element);
  }
  return element._size;
}

/**
 * set() that keeps the value it wrote on the node: a frame writes ~10 attributes per edge, and
 * reading each back with getAttribute costs as much as writing it. Only this module writes these.
 */
function put(node, name, value) {
  const v = value === null || value === undefined ? null : String(value);
  const written = node._written || (node._written = new Map());
  if (written.has(name) ? written.get(name) === v : node.getAttribute(name) === v) {
    written.set(name, v);
    return;
  }
  written.set(name, v);
  if (v === null) node.removeAttribute(name);
  else node.setAttribute(name, v);
}

// While playing, a size change of up to this many px keeps the SVG (its viewBox scales to the new
// box): rebuilding every element is one long task. The exact size is drawn when play stops.
const LIVE_SIZE_SLACK_PX = 24;

/** Build every element once; keep references for the updates. */
function build(element, size, type, sizes, output, activations) {
  const L = sizes.length - 1;
  const headText = (k) => (k === 0 ? `x = h${sub(0)}` : `layer ${k} \u00B7 ${k === L ? output : activations[k - 1]}`);
  const targetsLabel = output === "linear" ? "target y" : "e(y)";
  const g = geometry(size, type, sizes, sizes.map((_, k) => headText(k)), targetsLabel);
  const { width, height, r, w, halfWidth, xs, ys, showText, fontSize, f, label } = g;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "group", "aria-label": "Network diagram: arrow keys move between units, Enter edits a bias", "data-testid": "diagram-svg" });
  const band = s("rect", { class: "lit-band", y: 4, height: height - 8, rx: 8, visibility: "hidden" });
  const divergedBand = s("rect", { class: "diverged-band", y: 2, height: height - 4, rx: 8, visibility: "hidden" });
  svg.append(band, divergedBand);
  const edges = [];
  const edgeGroup = s("g", { class: "edges" });
  for (let k = 1; k <= L; k++) {
    for (let i = 0; i < sizes[k]; i++) {
      for (let j = 0; j < sizes[k - 1]; j++) {
        const x1 = xs[k - 1] + halfWidth(k - 1);
        const y1 = ys[k - 1][j];
        const x2 = xs[k] - w;
        const y2 = ys[k][i];
        // The clickable area: a 9 px wide band around the edge (a polygon, so it has an area
        // even when the edge is horizontal).
        const len = Math.hypot(x2 - x1, y2 - y1) || 1;
        const nx = (-(y2 - y1) / len) * 4.5;
        const ny = ((x2 - x1) / len) * 4.5;
        const pts = [[x1 + nx, y1 + ny], [x2 + nx, y2 + ny], [x2 - nx, y2 - ny], [x1 - nx, y1 - ny]]
          .map((p) => p.map((v) => v.toFixed(1)).join(",")).join(" ");
        const hit = s("polygon", {
          points: pts, class: "edge-hit", "data-testid": `edge-${k}-${i}-${j}`, "data-edit": `W:${k}:${i}:${j}`, "data-tip-of": `W:${k}:${i}:${j}`,
          "data-x1": x1.toFixed(1), "data-y1": y1.toFixed(1), "data-x2": x2.toFixed(1), "data-y2": y2.toFixed(1),
        });
        const line = s("line", { x1, y1, x2, y2, class: "edge", "pointer-events": "none" });
        edgeGroup.append(hit, line);
        edges.push({ k, i, j, hit, line });
      }
    }
  }
  svg.append(edgeGroup);
  const neurons = [];
  const nodeGroup = s("g", { class: "neurons" });
  const labels = [];
  for (let k = 0; k <= L; k++) {
    const layer = [];
    for (let i = 0; i < sizes[k]; i++) {
      const cx = xs[k];
      const cy = ys[k][i];
      // Focusable: arrow keys move within the layer (Up/Down) and across layers; Enter edits b_k[i].
      const group = s("g", { "data-testid": `neuron-${k}-${i}`, "data-nav": `${k}:${i}`, role: "button", tabindex: "-1" });
      const n = { k, i, group };
      if (k === 0) {
        n.h = s("circle", { cx, cy, r: g.r0, class: "half", "data-testid": `dg-h-0-${i}`, "data-tip-of": `x:0:${i}` });
        group.append(n.h);
        if (showText) {
          n.hText = text(cx, cy, `x${sub(i + 1)}`, "neuron-text", { "font-size": fontSize, "aria-hidden": "true" });
          group.append(n.hText);
        }
      } else {
        n.a = s("path", { d: halfPath(cx, cy, r, w, -1), class: "half", "data-testid": `dg-a-${k}-${i}`, "data-tip-of": `a:${k}:${i}` });
        n.h = s("path", { d: halfPath(cx, cy, r, w, 1), class: "half", "data-testid": `dg-h-${k}-${i}`, "data-tip-of": `h:${k}:${i}` });
        group.append(n.a, n.h);
        if (showText) {
          n.aText = text(cx - r * 0.5, cy, "a", "neuron-text", { "font-size": fontSize, "aria-hidden": "true" });
          n.hText = text(cx + r * 0.52, cy, k === L ? "\u0177" : "h", "neuron-text", { "font-size": fontSize, "aria-hidden": "true" });
          group.append(n.aText, n.hText);
        }
        const size = Math.max(6, Math.min(12 * f, r * 0.45));
        n.bias = s("rect", {
          x: cx - w + r * 0.22 - size / 2, y: cy - r * 0.78 - size / 2, width: size, height: size, rx: 1.5, class: "bias",
          stroke: "#4a5565", "stroke-width": 1, "data-testid": `bias-${k}-${i}`, "data-edit": `b:${k}:${i}:`, "data-tip-of": `b:${k}:${i}`,
        });
        group.append(n.bias);
      }
      nodeGroup.append(group);
      layer.push(n);
    }
    neurons.push(layer);
    const headY = f > 1 ? label * 0.75 : 13;
    const head = text(xs[k], headY, g.twoLines ? "" : headText(k), "layer-label");
    if (g.twoLines) {
      // "layer k" over its activation, so neighbouring labels in large type do not run together
      const [first, second] = headText(k).split(" \u00B7 ");
      const line = (content, dy) => {
        const t = s("tspan", { x: xs[k], y: headY + dy });
        t.textContent = content;
        return t;
      };
      head.append(line(first, 0), ...(second ? [line(second, label * 1.15)] : []));
    }
    const foot = text(xs[k], height - 10 * f, "", "layer-label");
    svg.append(head, foot);
    labels.push({ head, foot });
  }
  svg.append(nodeGroup);
  const targets = [];
  const targetsHead = text(g.targetX, height - 10 * f, targetsLabel, "layer-label");
  svg.append(targetsHead);
  for (let i = 0; i < sizes[L]; i++) {
    const t = text(g.targetX, ys[L][i], "", "neuron-text", { "font-size": Math.max(fontSize, 10), "data-testid": `dg-y-${i}`, "data-tip-of": `y:${L}:${i}`, "pointer-events": "all" });
    svg.append(t);
    targets.push(t);
  }
  element.replaceChildren(svg);
  return { svg, g, size, band, divergedBand, edges, neurons, labels, targets };
}

/**
 * data: {sizes, W, b, activations, output, trace, stage, mode: "values"|"gradients", diverged}
 */
export function render(element, data) {
  bindEditClicks(element);
  bindTips(element);
  bindRoving(element, "g[data-nav]", (g) => g.dataset.nav.split(":").map(Number).reverse(), (g) => {
    const bias = g.querySelector("rect.bias");
    if (bias) pressAt(bias);
  });
  const { sizes, W, b, trace, stage, mode, activations, output } = data;
  const L = sizes.length - 1;
  // While playing, the size and the type sizes come from caches (no style or layout read per frame).
  const live = Boolean(data.live) && element._view;
  const size = live ? observedSize(element) : { w: element.clientWidth, h: element.clientHeight };
  if (!live) observedSize(element);
  const type = live && element._type ? element._type : typeSizes(element);
  element._type = type;
  const key = `${sizes.join(",")}|${activations.join(",")}|${output}|${type.font}/${type.label}`;
  const built = element._view && element._view.size;
  const slack = live ? LIVE_SIZE_SLACK_PX : 0;
  const sizeFits = built && Math.abs(built.w - size.w) <= slack && Math.abs(built.h - size.h) <= slack;
  if (element._key !== key || !sizeFits) {
    element._view = build(element, size, type, sizes, output, activations);
    element._key = key;
    element.dataset.builds = String(Number(element.dataset.builds || 0) + 1); // the tests count rebuilds
    refreshRoving(element, "g[data-nav]");
  }
  element._data = data;
  const v = element._view;
  const { r, w, halfWidth, xs, height, showText, font, f } = v.g;
  const grad = mode === "gradients";
  const lit = litLayer(stage, L);
  put(v.svg, "aria-label", `Network diagram with layer sizes ${sizes.join(", ")}, showing ${mode}`);

  const A = (k, i) => (trace && forwardKnown(stage, L, k) ? trace.a[k - 1][0][i] : undefined);
  const H = (k, i) => (trace && (k === 0 || forwardKnown(stage, L, k)) ? trace.h[k][0][i] : undefined);
  const GA = (k, i) => (trace && backwardKnown(stage, L, k) ? trace.grad_a[k - 1][0][i] : undefined);
  const GH = (k, i) => (trace && gradHKnown(stage, L, k) ? trace.grad_h[k][0][i] : undefined);
  const GW = (k) => (trace && backwardKnown(stage, L, k) ? trace.grad_W[k - 1] : null);
  const GB = (k) => (trace && backwardKnown(stage, L, k) ? trace.grad_b[k - 1] : null);
  element._reveal = { A, H, GA, GH, GW, GB };

  const edgeScale = grad ? maxAbs(Array.from({ length: L }, (_, k) => GW(k + 1)).filter(Boolean)) || 1 : maxAbs(W) || 1;
  const revealed = (fn, from) => {
    const vals = [];
    for (let k = from; k <= L; k++) for (let i = 0; i < sizes[k]; i++) vals.push(fn(k, i));
    return maxAbs(vals.filter((x) => x !== undefined)) || 1;
  };
  const aScale = grad ? revealed(GA, 1) : revealed(A, 1);
  const hScale = grad ? revealed(GH, 0) : revealed(H, 0);
  const bScale = grad ? maxAbs(Array.from({ length: L }, (_, k) => GB(k + 1)).filter(Boolean)) || 1 : maxAbs(b) || 1;
  const shade = (x, scale) => (x === undefined ? null : x === null ? divergingColor(null) : divergingColor(Math.tanh((1.6 * x) / scale)));

  if (lit !== null) {
    put(v.band, "visibility", "visible");
    put(v.band, "x", (xs[lit - 1] + halfWidth(lit - 1)).toFixed(1));
    put(v.band, "width", (xs[lit] - xs[lit - 1] - halfWidth(lit - 1) + w + r * 0.2 + 8).toFixed(1));
    put(v.band, "data-testid", `lit-layer-${lit}`);
  } else {
    put(v.band, "visibility", "hidden");
    put(v.band, "data-testid", null);
  }
  const d = data.diverged;
  if (d && d.layer !== null && d.layer !== undefined) {
    const k = Math.min(Math.max(d.layer, 0), L);
    const x0 = k > 0 ? xs[k - 1] + halfWidth(k - 1) : xs[0] - halfWidth(0) - 6;
    put(v.divergedBand, "visibility", "visible");
    put(v.divergedBand, "x", x0.toFixed(1));
    put(v.divergedBand, "width", (xs[k] - x0 + halfWidth(k) + 6).toFixed(1));
  } else {
    put(v.divergedBand, "visibility", "hidden");
  }

  const gWs = Array.from({ length: L }, (_, k) => GW(k + 1));
  const edgeValue = (e) => {
    const gW = gWs[e.k - 1];
    return grad ? (gW ? gW[e.i][e.j] : undefined) : W[e.k - 1][e.i][e.j];
  };
  // Only the k strongest edges (by |w|, or |grad w| when showing gradients): a readable skeleton.
  const top = data.topEdges || 0;
  let cut = -1;
  if (top > 0 && top < v.edges.length) {
    const mags = v.edges.map((e) => {
      const x = edgeValue(e);
      return x === undefined ? -1 : x === null ? Infinity : Math.abs(x);
    }).sort((p, q) => q - p);
    cut = mags[top - 1];
  }
  element.dataset.edgesShown = String(top > 0 ? Math.min(top, v.edges.length) : v.edges.length);
  for (const e of v.edges) {
    const w = W[e.k - 1][e.i][e.j];
    const gW = gWs[e.k - 1];
    const gv = gW ? gW[e.i][e.j] : undefined;
    const x = grad ? gv : w;
    const mag = x === undefined ? -1 : x === null ? Infinity : Math.abs(x);
    const hidden = cut >= 0 && mag < cut;
    put(e.line, "visibility", hidden ? "hidden" : null);
    put(e.hit, "visibility", hidden ? "hidden" : null);
    let stroke;
    let widthPx;
    let opacity;
    if (x === undefined) {
      stroke = "#b9c0ca";
      widthPx = 0.8;
      opacity = 0.5;
    } else if (x === null) {
      stroke = "#a3000b";
      widthPx = 2;
      opacity = 1;
    } else {
      const m = Math.min(1, Math.abs(x) / edgeScale);
      stroke = x >= 0 ? "var(--pos)" : "var(--neg)";
      widthPx = 0.6 + 5.4 * m;
      opacity = 0.3 + 0.7 * m;
    }
    put(e.line, "stroke", stroke);
    put(e.line, "stroke-width", (widthPx * f).toFixed(2));
    put(e.line, "stroke-opacity", opacity.toFixed(2));
    // Negative edges are dashed, so the sign survives greyscale and colour blindness (unknown: dotted grey).
    put(e.line, "stroke-dasharray", x === undefined ? "3 3" : x !== null && x < 0 ? "7 3" : null);
    put(e.line, "data-sign", x === undefined || x === null ? null : x < 0 ? "-" : "+");
    put(e.hit, "data-value", w === null ? "NaN" : String(w));
    put(e.hit, "data-grad", gv === undefined ? null : gv === null ? "NaN" : String(gv));
  }

  for (let k = 0; k <= L; k++) {
    for (const n of v.neurons[k]) {
      const i = n.i;
      if (k === 0) {
        const x = grad ? GH(0, i) : H(0, i);
        const fill = shade(x, hScale);
        put(n.h, "fill", fill);
        put(n.h, "class", fill ? "half" : "half pending");
        put(n.h, "data-value", x === undefined ? null : x === null ? "NaN" : String(x));
        if (showText) placeNumber(n.hText, x === undefined ? `x${sub(i + 1)}` : compact(x), x, { cx: xs[0], side: 0, r: v.g.r0, w: v.g.r0 }, font);
        put(n.group, "aria-label", `input x${sub(i + 1)} = ${exact(x)}`);
        continue;
      }
      const leftV = grad ? GA(k, i) : A(k, i);
      const rightV = grad ? (k < L ? GH(k, i) : undefined) : H(k, i);
      const leftFill = shade(leftV, aScale);
      const rightFill = grad && k === L ? (H(k, i) === undefined ? null : "#eceff3") : shade(rightV, hScale);
      put(n.a, "fill", leftFill);
      put(n.a, "class", leftFill ? "half" : "half pending");
      put(n.a, "data-value", leftV === undefined ? null : leftV === null ? "NaN" : String(leftV));
      put(n.h, "fill", rightFill);
      put(n.h, "class", rightFill ? "half" : "half pending");
      put(n.h, "data-value", rightV === undefined ? null : rightV === null ? "NaN" : String(rightV));
      if (showText) {
        const cx = xs[k];
        placeNumber(n.aText, leftV === undefined ? "a" : compact(leftV), leftV, { cx, side: -1, r, w }, font);
        placeNumber(n.hText, rightV === undefined ? (k === L ? "\u0177" : "h") : compact(rightV), rightV, { cx, side: 1, r, w }, font);
      }
      const bv = b[k - 1][i];
      const gb = GB(k);
      const gbv = gb ? gb[i] : undefined;
      put(n.bias, "fill", shade(grad ? gbv : bv, bScale) ?? "#eceff3");
      put(n.bias, "data-value", bv === null ? "NaN" : String(bv));
      put(n.bias, "data-grad", gbv === undefined ? null : gbv === null ? "NaN" : String(gbv));
      put(n.group, "aria-label", `layer ${k}, unit ${i}: ${grad ? "\u2207a" : "a"} = ${exact(leftV)}, ${grad ? "\u2207h" : k === L ? "\u0177" : "h"} = ${exact(rightV)}, b = ${exact(bv)}. Enter: edit b${sub(k)}[${i}]`);
    }
    const { head, foot } = v.labels[k];
    put(head, "class", `layer-label${lit === k ? " lit" : ""}`);
    put(foot, "class", `layer-label${lit === k ? " lit" : ""}`);
    setText(foot, k === 0 ? (grad ? `\u2207h${sub(0)}` : `h${sub(0)}`) : grad ? `\u2207a${sub(k)} | ${k === L ? "\u0177" : `\u2207h${sub(k)}`}` : `a${sub(k)} | ${k === L ? "\u0177" : `h${sub(k)}`}`);
  }
  v.targets.forEach((t, i) => {
    const y = trace && trace.y ? trace.y[0][i] : undefined;
    setText(t, y === undefined ? "" : fmt(y));
    put(t, "data-value", y === undefined ? null : String(y));
  });
  void height;
}

