// What the equation panel says at each stage: the notes' equation for it, with the actual numbers
// plugged in (vectors and matrices with their shapes), as native MathML. equations.js draws and fits them.

import { el } from "../format.js";
import { column, fn, grad, math, matrix, mi, mn, mo, msub, mtext, num, row, rowVector, shaped, space, sym, transpose } from "../mathml.js";
import { isBackward, isForward, isUpdate, litLayer } from "../stages.js";
import { optimizerStep } from "./update.js";

// g'(a) for the hidden activations, as the notes write them.
const G_PRIME = {
  sigmoid: "g(a)(1 \u2212 g(a))",
  tanh: "1 \u2212 g(a)\u00B2",
  linear: "1",
  relu: "1 if a > 0, else 0",
  leaky_relu: "1 if a > 0, else 0.01",
};

const eq = (caption, ...maths) => el("div", { class: "eq" }, el("p", { class: "eq-caption", html: caption }), ...maths.map((x) => el("div", { class: "eq-block" }, x)));
const eqs = (...parts) => row(...parts.flatMap((p, i) => (i ? [mo("="), p] : [p])));
const vec = (values, label, testid) => column(values.length, (i) => num(values[i], testid ? `${testid}-${i}` : null, `${label}[${i}]`));

/** The output gradient as the notes write it for this (O, loss) pair. */
function outputRule(config) {
  if (config.loss === "cross_entropy") return "\u2207<sub>a<sub>L</sub></sub>\u2112 = \u2212(e(y) \u2212 \u0177)";
  if (config.output === "linear") return "\u2207<sub>a<sub>L</sub></sub>\u2112 = 2(\u0177 \u2212 y) &nbsp;(linear output, squared error)";
  return "\u2207<sub>a<sub>L</sub></sub>\u2112 = J<sub>O</sub>(a<sub>L</sub>)<sup>T</sup> \u2207<sub>\u0177</sub>\u2112 &nbsp;(general form)";
}

/** The update line of the algorithm: plain gradient descent, or the optimiser used (shown below). */
function updateRule(update) {
  const o = update && update.update ? update.update.optimizer : null;
  const g = o && o.l2 > 0 ? "(\u2207\u0398 + \u03BB W)" : "\u2207\u0398";
  if (!o || o.name === "sgd") return `\u0398 \u2190 \u0398 \u2212 \u03B7 ${g}`;
  return `\u0398 \u2190 \u0398 + the ${o.name} step from g = ${g} (each line below)`;
}

export function algorithm(stage, L, config, update) {
  const k = litLayer(stage, L);
  const lines = [
    ["fwd", "for k = 1 \u2026 L: &nbsp;a<sub>k</sub> = b<sub>k</sub> + W<sub>k</sub> h<sub>k\u22121</sub>; &nbsp;h<sub>k</sub> = g(a<sub>k</sub>) &nbsp;(h<sub>L</sub> = \u0177 = O(a<sub>L</sub>))", isForward(stage, L)],
    ["out", outputRule(config), isBackward(stage, L) && k === L],
    ["params", "for k = L \u2026 1: &nbsp;\u2207<sub>W<sub>k</sub></sub>\u2112 = \u2207<sub>a<sub>k</sub></sub>\u2112 h<sub>k\u22121</sub><sup>T</sup>; &nbsp;\u2207<sub>b<sub>k</sub></sub>\u2112 = \u2207<sub>a<sub>k</sub></sub>\u2112", isBackward(stage, L)],
    ["below", "&nbsp;&nbsp;\u2207<sub>h<sub>k\u22121</sub></sub>\u2112 = W<sub>k</sub><sup>T</sup> \u2207<sub>a<sub>k</sub></sub>\u2112; &nbsp;\u2207<sub>a<sub>k\u22121</sub></sub>\u2112 = \u2207<sub>h<sub>k\u22121</sub></sub>\u2112 \u2299 g\u2032(a<sub>k\u22121</sub>)", isBackward(stage, L)],
    ["update", updateRule(update), isUpdate(stage, L)],
  ];
  return el("ol", { class: "algo", "aria-label": "The algorithm from the notes; the current line is highlighted" },
    lines.map(([id, html, now]) => el("li", { class: now ? "now" : null, "data-testid": `algo-${id}`, html })));
}

/**
 * One computed quantity on three lines: the formula, "= the numbers plugged in", "= the result",
 * so wide matrices still fit the panel and the computed value stands out.
 */
function calc(caption, label, symbolic, numeric, result) {
  return eq(
    caption,
    math(label, row(...symbolic)),
    el("div", { class: "numbers" }, math(`${label}, with the numbers`, row(mo("="), numeric))),
    el("div", { class: "result", "data-testid": "eq-result" }, math(`${label}, result`, row(mo("="), result))),
  );
}

export function forwardStep(k, d) {
  const { trace, config } = d;
  const L = config.sizes.length - 1;
  const nk = config.sizes[k];
  const np = config.sizes[k - 1];
  const W = d.W[k - 1];
  const b = d.b[k - 1];
  const a = trace.a[k - 1][0];
  const hPrev = trace.h[k - 1][0];
  const h = trace.h[k][0];
  const out = [];
  out.push(
    calc(
      `Pre-activation of layer ${k}: a<sub>${k}</sub> = b<sub>${k}</sub> + W<sub>${k}</sub> h<sub>${k - 1}</sub>${k === 1 ? " &nbsp;(h<sub>0</sub> = x)" : ""}`,
      `a_${k} = b_${k} + W_${k} h_${k - 1}`,
      [sym("a", k), mo("="), sym("b", k), mo("+"), sym("W", k), sym("h", k - 1)],
      row(
        shaped(vec(b, `b_${k}`), nk, 1),
        mo("+"),
        shaped(matrix(nk, np, (i, j) => num(W[i][j], null, `W_${k}[${i},${j}]`)), nk, np),
        shaped(vec(hPrev, `h_${k - 1}`), np, 1),
      ),
      shaped(vec(a, `a_${k}`, `eq-a-${k}`), nk, 1),
    ),
  );
  if (k < L) {
    const g = config.activations[k - 1];
    out.push(
      calc(
        `Activation: h<sub>${k}</sub> = g(a<sub>${k}</sub>), element by element, with g = ${g}`,
        `h_${k} = ${g}(a_${k})`,
        [sym("h", k), mo("="), row(fn(g), mo("("), sym("a", k), mo(")"))],
        row(fn(g), mo("("), vec(a, `a_${k}`), mo(")")),
        shaped(vec(h, `h_${k}`, `eq-h-${k}`), nk, 1),
      ),
    );
  } else {
    const O = config.output;
    out.push(
      calc(
        `Output: \u0177 = h<sub>${L}</sub> = O(a<sub>${L}</sub>) with O = ${O}`,
        `y_hat = ${O}(a_${L})`,
        [sym("y_hat"), mo("="), sym("h", L), mo("="), row(fn(O), mo("("), sym("a", L), mo(")"))],
        row(fn(O), mo("("), vec(a, `a_${L}`), mo(")")),
        shaped(vec(h, `h_${L}`, `eq-h-${L}`), nk, 1),
      ),
    );
    out.push(lossEquation(d));
  }
  return out;
}

function lossEquation(d) {
  const { trace, config } = d;
  const y = trace.y[0];
  const yHat = trace.h[trace.h.length - 1][0];
  const loss = trace.losses ? trace.losses[0] : trace.loss;
  const lossNode = num(loss, "eq-loss", "loss");
  if (config.loss === "cross_entropy" && config.output === "softmax") {
    const l = y.indexOf(Math.max(...y));
    return eq(
      `Loss for this example (cross-entropy, true class l = ${l}): \u2112(\u03B8) = \u2212log \u0177<sub>l</sub>`,
      math("loss", eqs(mi("\u2112"), row(mo("\u2212"), fn("log"), msub(sym("y_hat"), mn(String(l)))), row(mo("\u2212"), fn("log"), num(yHat[l], null, `y_hat[${l}]`)), lossNode)),
    );
  }
  if (config.loss === "cross_entropy") {
    return calc(
      "Loss (binary cross-entropy per output): \u2112 = \u2212\u2211<sub>j</sub> [y<sub>j</sub> log \u0177<sub>j</sub> + (1 \u2212 y<sub>j</sub>) log(1 \u2212 \u0177<sub>j</sub>)]",
      "loss",
      [mi("\u2112")],
      row(mo("\u2212"), mo("\u2211"), mtext(" with y = "), vec(y, "y"), mtext(", \u0177 = "), vec(yHat, "y_hat")),
      lossNode,
    );
  }
  return calc(
    "Loss (squared error): \u2112(\u03B8) = \u2211<sub>j</sub> (\u0177<sub>j</sub> \u2212 y<sub>j</sub>)\u00B2",
    "loss",
    [mi("\u2112")],
    row(mo("\u2211"), mo("("), vec(yHat, "y_hat"), mo("\u2212"), vec(y, "y"), mo(")"), mn("2")),
    lossNode,
  );
}

function outputGradient(d) {
  const { trace, config } = d;
  const L = config.sizes.length - 1;
  const nL = config.sizes[L];
  const y = trace.y[0];
  const yHat = trace.h[L][0];
  const result = shaped(vec(trace.grad_a[L - 1][0], `grad_a_${L}`, `eq-grad_a-${L}`), nL, 1);
  const lhs = grad(sym("a", L));
  const diff = (first, second) => row(mo("("), first, mo("\u2212"), second, mo(")"));
  if (config.loss === "cross_entropy") {
    return calc(
      `Gradient at the output (${config.output} + cross-entropy): \u2207<sub>a<sub>${L}</sub></sub>\u2112 = \u2212(e(y) \u2212 \u0177)`,
      `grad_a_${L}`,
      [lhs, mo("="), mo("\u2212"), diff(row(mi("e"), row(mo("("), mi("y"), mo(")"))), sym("y_hat"))],
      row(mo("\u2212"), diff(vec(y, "e(y)"), vec(yHat, "y_hat"))),
      result,
    );
  }
  if (config.output === "linear") {
    return calc(
      "Gradient at the output (linear + squared error): \u2207<sub>a<sub>L</sub></sub>\u2112 = 2(\u0177 \u2212 y)",
      `grad_a_${L}`,
      [lhs, mo("="), mn("2"), diff(sym("y_hat"), mi("y"))],
      row(mn("2"), diff(vec(yHat, "y_hat"), vec(y, "y"))),
      result,
    );
  }
  if (config.output === "sigmoid") {
    return calc(
      "Gradient at the output, general form: \u2207<sub>a<sub>L</sub></sub>\u2112 = J<sub>O</sub>(a<sub>L</sub>)<sup>T</sup> \u2207<sub>\u0177</sub>\u2112 = 2(\u0177 \u2212 y) \u2299 \u0177 \u2299 (1 \u2212 \u0177)",
      `grad_a_${L}`,
      [lhs, mo("="), transpose(msub(mi("J"), mi("O"))), grad(sym("y_hat"))],
      row(mn("2"), diff(vec(yHat, "y_hat"), vec(y, "y")), mo("\u2299"), vec(yHat, "y_hat"), mo("\u2299"), diff(mn("1"), vec(yHat, "y_hat"))),
      result,
    );
  }
  return calc(
    `Gradient at the output, general form (${config.output} + squared error): \u2207<sub>a<sub>L</sub></sub>\u2112 = J<sub>O</sub>(a<sub>L</sub>)<sup>T</sup> \u2207<sub>\u0177</sub>\u2112, with \u2207<sub>\u0177</sub>\u2112 = 2(\u0177 \u2212 y) and J = diag(\u0177) \u2212 \u0177\u0177<sup>T</sup>`,
    `grad_a_${L}`,
    [lhs, mo("="), transpose(msub(mi("J"), mi("O"))), grad(sym("y_hat"))],
    row(transpose(msub(mi("J"), mi("O"))), mn("2"), diff(vec(yHat, "y_hat"), vec(y, "y"))),
    result,
  );
}

export function backwardStep(k, d) {
  const { trace, config } = d;
  const L = config.sizes.length - 1;
  const nk = config.sizes[k];
  const np = config.sizes[k - 1];
  const ga = trace.grad_a[k - 1][0];
  const out = [];
  if (k === L) {
    out.push(outputGradient(d));
  } else {
    const g = config.activations[k - 1];
    out.push(
      calc(
        `Back through g (= ${g}, g\u2032(a) = ${G_PRIME[g] || "g\u2032"}): \u2207<sub>a<sub>${k}</sub></sub>\u2112 = \u2207<sub>h<sub>${k}</sub></sub>\u2112 \u2299 g\u2032(a<sub>${k}</sub>)`,
        `grad_a_${k}`,
        [grad(sym("a", k)), mo("="), grad(sym("h", k)), mo("\u2299"), row(fn(`${g}\u2032`), mo("("), sym("a", k), mo(")"))],
        row(vec(trace.grad_h[k][0], `grad_h_${k}`), mo("\u2299"), fn(`${g}\u2032`), mo("("), vec(trace.a[k - 1][0], `a_${k}`), mo(")")),
        shaped(vec(ga, `grad_a_${k}`, `eq-grad_a-${k}`), nk, 1),
      ),
    );
  }
  const gW = trace.grad_W[k - 1];
  const hPrev = trace.h[k - 1][0];
  out.push(
    calc(
      `Weights: \u2207<sub>W<sub>${k}</sub></sub>\u2112 = \u2207<sub>a<sub>${k}</sub></sub>\u2112 h<sub>${k - 1}</sub><sup>T</sup>, an outer product (column \u00D7 row)`,
      `grad_W_${k}`,
      [grad(sym("W", k)), mo("="), grad(sym("a", k)), transpose(sym("h", k - 1))],
      row(shaped(vec(ga, `grad_a_${k}`), nk, 1), shaped(rowVector(np, (j) => num(hPrev[j], null, `h_${k - 1}[${j}]`)), 1, np)),
      shaped(matrix(nk, np, (i, j) => num(gW[i][j], `eq-grad_W-${k}-${i}-${j}`, `grad_W_${k}[${i},${j}]`)), nk, np),
    ),
    eq(
      `Biases: \u2207<sub>b<sub>${k}</sub></sub>\u2112 = \u2207<sub>a<sub>${k}</sub></sub>\u2112`,
      math(`grad_b_${k}`, eqs(grad(sym("b", k)), grad(sym("a", k)), shaped(vec(trace.grad_b[k - 1], `grad_b_${k}`, `eq-grad_b-${k}`), nk, 1))),
    ),
  );
  const W = d.W[k - 1];
  out.push(
    calc(
      `To the layer below: \u2207<sub>h<sub>${k - 1}</sub></sub>\u2112 = W<sub>${k}</sub><sup>T</sup> \u2207<sub>a<sub>${k}</sub></sub>\u2112${k === 1 ? " &nbsp;(the gradient with respect to the input x)" : ""}`,
      `grad_h_${k - 1}`,
      [grad(sym("h", k - 1)), mo("="), transpose(sym("W", k)), grad(sym("a", k))],
      row(shaped(matrix(np, nk, (i, j) => num(W[j][i], null, `W_${k}[${j},${i}]`)), np, nk), shaped(vec(ga, `grad_a_${k}`), nk, 1)),
      shaped(vec(trace.grad_h[k - 1][0], `grad_h_${k - 1}`, `eq-grad_h-${k - 1}`), np, 1),
    ),
  );
  return out;
}

export function updateStep(d) {
  const u = d.update;
  const o = u.update && u.update.optimizer;
  if (o && (o.name !== "sgd" || o.l2 > 0)) return optimizerStep(d);
  const { config } = d;
  const L = config.sizes.length - 1;
  const sgd = u.optimizer.name === "sgd";
  const out = [
    el("p", {
      class: "note",
      html: sgd
        ? `\u0398 \u2190 \u0398 \u2212 \u03B7 \u2207\u0398 with \u03B7 = ${u.optimizer.eta}: every weight and bias moves against its gradient. Before and after, layer by layer:`
        : `Optimiser ${u.optimizer.name} (\u03B7 = ${u.optimizer.eta}): the step uses the gradient and the optimiser's state. Before and after, layer by layer:`,
    }),
  ];
  for (let k = L; k >= 1; k--) {
    const nk = config.sizes[k];
    const np = config.sizes[k - 1];
    const before = matrix(nk, np, (i, j) => num(u.W_before[k - 1][i][j], `W_before-${k}-${i}-${j}`, `W_${k}[${i},${j}] before`));
    const bBefore = column(nk, (i) => num(u.b_before[k - 1][i], `b_before-${k}-${i}`, `b_${k}[${i}] before`));
    out.push(
      calc(
        `Layer ${k}: the weights W<sub>${k}</sub> (${nk}\u00D7${np}), before and after`,
        `W_${k} update`,
        [sym("W", k), mo("\u2190"), sym("W", k), ...(sgd ? [mo("\u2212"), mi("\u03B7"), grad(sym("W", k))] : [])],
        sgd ? row(before, mo("\u2212"), num(u.optimizer.eta, null, "eta"), matrix(nk, np, (i, j) => num(u.grad_W[k - 1][i][j], null, `grad_W_${k}[${i},${j}]`))) : before,
        shaped(matrix(nk, np, (i, j) => num(u.W_after[k - 1][i][j], `W_after-${k}-${i}-${j}`, `W_${k}[${i},${j}] after`)), nk, np),
      ),
      calc(
        `Layer ${k}: the biases b<sub>${k}</sub>, before and after`,
        `b_${k} update`,
        [sym("b", k), mo("\u2190"), sym("b", k), ...(sgd ? [mo("\u2212"), mi("\u03B7"), grad(sym("b", k))] : [])],
        sgd ? row(bBefore, mo("\u2212"), num(u.optimizer.eta, null, "eta"), column(nk, (i) => num(u.grad_b[k - 1][i], null, `grad_b_${k}[${i}]`))) : bBefore,
        shaped(column(nk, (i) => num(u.b_after[k - 1][i], `b_after-${k}-${i}`, `b_${k}[${i}] after`)), nk, 1),
      ),
    );
  }
  return out;
}

export function startStep(d) {
  const { trace, config } = d;
  const x = trace.h[0][0];
  const n0 = config.sizes[0];
  const L = config.sizes.length - 1;
  return [
    eq(
      "The traced example: h<sub>0</sub> = x, and its target. Press <b>Forward</b> (F) to compute layer 1.",
      math("x", eqs(sym("h", 0), mi("x"), shaped(vec(x, "x", "eq-x"), n0, 1)), space("1.5em"), row(config.output === "linear" ? mi("y") : row(mi("e"), mo("("), mi("y"), mo(")")), mo("="), shaped(vec(trace.y[0], "y"), config.sizes[L], 1))),
    ),
  ];
}
