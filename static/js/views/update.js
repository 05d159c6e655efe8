// The update step for an optimiser beyond plain gradient descent (or with L2): for one chosen
// layer and parameter (W_k or b_k), each line of the optimiser's update rule with the numbers the
// API used (POST /step answers `update`: g with the L2 term, the state before and after, the step).
//   g = grad_W_k + lambda W_k (weights; biases: g = grad_b_k)
//   sgd:      Theta <- Theta - eta g
//   momentum: u <- beta u + g;                 Theta <- Theta - eta u   (PyTorch's convention: eta outside u)
//   rmsprop:  v <- beta v + (1 - beta) g^2;    Theta <- Theta - eta g / (sqrt(v) + eps)
//   adam:     m <- beta1 m + (1 - beta1) g;    v <- beta2 v + (1 - beta2) g^2
//             m_hat = m / (1 - beta1^t);       v_hat = v / (1 - beta2^t)
//             Theta <- Theta - eta m_hat / (sqrt(v_hat) + eps)
// m_hat and v_hat are computed here from the API's m, v and t (their hover says so).

import { el } from "../format.js";
import { column, grad, math, matrix, mi, mn, mo, msub, msup, num, row, shaped, sym } from "../mathml.js";

const TITLES = { sgd: "Gradient descent", momentum: "Momentum", rmsprop: "RMSProp", adam: "Adam" };

const eq = (caption, ...maths) => el("div", { class: "eq" }, el("p", { class: "eq-caption", html: caption }), ...maths.map((x) => el("div", { class: "eq-block" }, x)));

/** Formula, "= the numbers plugged in", "= the result" (as the other steps show them). */
function calc(caption, label, symbolic, numeric, result) {
  return eq(
    caption,
    math(label, row(...symbolic)),
    numeric ? el("div", { class: "numbers" }, math(`${label}, with the numbers`, row(mo("="), numeric))) : null,
    el("div", { class: "result", "data-testid": "eq-result" }, math(`${label}, result`, row(mo("="), result))),
  );
}

/**
 * One parameter tensor of one layer: W_k (n_k x n_(k-1)) or b_k (n_k), as nested arrays.
 * Builds MathML for any array shaped like it, with test ids "upd-<tag>-i-j" (or "upd-<tag>-i").
 */
function tensor(kind, k, nk, np) {
  const isW = kind === "W";
  const base = `${kind}_${k}`;
  const at = (a, i, j) => (isW ? a[i][j] : a[i]);
  const index = (i, j) => (isW ? `[${i},${j}]` : `[${i}]`);
  const id = (tag, i, j) => (tag ? (isW ? `upd-${tag}-${i}-${j}` : `upd-${tag}-${i}`) : null);
  return {
    base,
    symbol: (letter) => sym(letter, k),
    /** The numbers of array `a` (shaped like the parameter), hover label `${name}[i,j]`. */
    show(a, name, tag = null, withShape = false) {
      const cell = (i, j) => num(at(a, i, j), id(tag, i, j), `${name}${index(i, j)}`);
      const node = isW ? matrix(nk, np, cell) : column(nk, (i) => cell(i, 0));
      return withShape ? shaped(node, nk, isW ? np : 1) : node;
    },
    map(a, f) {
      return isW ? a.map((r) => r.map(f)) : a.map(f);
    },
  };
}

const sub = (letter, k) => msub(mi(letter), mn(String(k)));
const hat = (letter) => m2("mover", mi(letter), mo("^"));
function m2(tag, ...children) {
  const node = document.createElementNS("http://www.w3.org/1998/Math/MathML", tag);
  if (tag === "mover") node.setAttribute("accent", "true");
  node.append(...children);
  return node;
}
const param = (kind, k) => sym(kind === "W" ? "W" : "b", k);
const sq = (node) => msup(row(node), mn("2"));
const sqrt = (node) => m2("msqrt", node);
const times = () => mo("\u2299");
const divide = () => mo("\u2298");

function hyper(opt) {
  const parts = [`\u03B7 = ${opt.eta}`];
  if (opt.name === "momentum" || opt.name === "rmsprop") parts.push(`\u03B2 = ${opt.beta}`);
  if (opt.name === "adam") parts.push(`\u03B2<sub>1</sub> = ${opt.beta1}`, `\u03B2<sub>2</sub> = ${opt.beta2}`);
  if (opt.name === "rmsprop" || opt.name === "adam") parts.push(`\u03B5 = ${opt.eps}`);
  parts.push(`\u03BB = ${opt.l2}`);
  return parts.join(", ");
}

function picker(element, L, k, kind, redraw) {
  const layer = el("select", { "data-testid": "upd-layer", "aria-label": "Layer whose update is shown" },
    Array.from({ length: L }, (_, i) => el("option", { value: i + 1, text: `layer ${i + 1}`, selected: i + 1 === k ? true : null })));
  const which = el("select", { "data-testid": "upd-param", "aria-label": "Weights or biases" },
    el("option", { value: "W", text: `weights W`, selected: kind === "W" ? true : null }),
    el("option", { value: "b", text: `biases b`, selected: kind === "b" ? true : null }));
  layer.addEventListener("change", () => {
    element._updLayer = Number(layer.value);
    redraw("upd-layer");
  });
  which.addEventListener("change", () => {
    element._updParam = which.value;
    redraw("upd-param");
  });
  return el("div", { class: "upd-pick" }, el("span", { class: "hint", text: "Show" }), layer, which);
}

/**
 * The parts of the update panel. d: {config, update (POST /step answer), element, redraw(focusId)}.
 * The chosen layer and parameter are kept on the panel element (they outlive a redraw).
 */
export function optimizerStep(d) {
  const res = d.update;
  const u = res.update;
  const opt = u.optimizer;
  const { config, element } = d;
  const L = config.sizes.length - 1;
  const k = Math.min(element._updLayer || L, L);
  const kind = element._updParam || "W";
  const nk = config.sizes[k];
  const np = config.sizes[k - 1];
  const T = tensor(kind, k, nk, np);
  const P = () => param(kind, k);
  const pick = (a) => a[k - 1];
  const before = pick(kind === "W" ? res.W_before : res.b_before);
  const after = pick(kind === "W" ? res.W_after : res.b_after);
  const gradient = pick(kind === "W" ? res.grad_W : res.grad_b);
  const g = pick(kind === "W" ? u.g_W : u.g_b);
  const delta = pick(kind === "W" ? u.delta_W : u.delta_b);
  const state = (slot, when) => pick(u[when][`${opt.name}.${slot}_${kind}`]);
  const t = u.t;
  const shape = `${nk}\u00D7${kind === "W" ? np : 1}`;
  const name = kind === "W" ? `W<sub>${k}</sub>` : `b<sub>${k}</sub>`;

  const out = [
    el("p", { class: "note", "data-testid": "upd-summary", html: `<b>${TITLES[opt.name]}</b> (${hyper(opt)}), update t = ${t}. Each line of the rule with its numbers, for ${name} (${shape}); hover a number for its exact value.` }),
    picker(element, L, k, kind, d.redraw),
  ];

  // The gradient the optimiser uses: with L2, g = grad + lambda W for the weights.
  const gSym = () => mi("g");
  if (kind === "W" && opt.l2 > 0) {
    out.push(calc(
      `L2 regularisation adds \u03BB W<sub>${k}</sub> to the gradient (the gradient of \u2112 + \u03BB/2 \u2016W\u2016\u00B2): g = \u2207<sub>W<sub>${k}</sub></sub>\u2112 + \u03BB W<sub>${k}</sub>`,
      `g = grad_W_${k} + lambda W_${k}`,
      [gSym(), mo("="), grad(P()), mo("+"), mi("\u03BB"), P()],
      row(T.show(gradient, `grad_W_${k}`), mo("+"), num(opt.l2, null, "lambda"), T.show(before, `W_${k} before`)),
      T.show(g, `g for W_${k}`, "g", true),
    ));
  } else {
    out.push(eq(
      kind === "W" ? `The gradient the optimiser uses: g = \u2207<sub>W<sub>${k}</sub></sub>\u2112 (\u03BB = 0: no L2 term)` : `The gradient the optimiser uses: g = \u2207<sub>b<sub>${k}</sub></sub>\u2112 (biases are never regularised)`,
      math(`g = grad_${kind}_${k}`, row(gSym(), mo("="), grad(P()), mo("="), T.show(g, `g for ${T.base}`, "g", true))),
    ));
  }

  const update = (numbers, caption, symbolic) =>
    calc(caption, `${T.base} update`, [P(), mo("\u2190"), ...symbolic], row(T.show(before, `${T.base} before`, "before"), ...numbers), T.show(after, `${T.base} after`, "after", true));

  if (opt.name === "sgd") {
    out.push(update([mo("\u2212"), num(opt.eta, null, "eta"), T.show(g, "g")], `Step against the gradient: ${name} \u2190 ${name} \u2212 \u03B7 g`, [P(), mo("\u2212"), mi("\u03B7"), gSym()]));
  } else if (opt.name === "momentum") {
    const uSym = () => mi("u");
    out.push(calc(
      `Velocity: u \u2190 \u03B2 u + g (u of ${name} before this step, then after; \u03B7 stays outside u, so changing \u03B7 takes effect at once)`,
      "u update",
      [uSym(), mo("\u2190"), mi("\u03B2"), uSym(), mo("+"), gSym()],
      row(num(opt.beta, null, "beta"), T.show(state("u", "state_before"), "u before"), mo("+"), T.show(g, "g")),
      T.show(state("u", "state_after"), "u after", "u", true),
    ));
    out.push(update([mo("\u2212"), num(opt.eta, null, "eta"), T.show(state("u", "state_after"), "u")], `Step: ${name} \u2190 ${name} \u2212 \u03B7 u`, [P(), mo("\u2212"), mi("\u03B7"), uSym()]));
  } else if (opt.name === "rmsprop") {
    const vSym = () => mi("v");
    const v = state("v", "state_after");
    out.push(calc(
      `Running mean of g\u00B2 (element-wise): v \u2190 \u03B2 v + (1 \u2212 \u03B2) g \u2299 g`,
      "v update",
      [vSym(), mo("\u2190"), mi("\u03B2"), vSym(), mo("+"), row(mo("("), mn("1"), mo("\u2212"), mi("\u03B2"), mo(")")), sq(gSym())],
      row(num(opt.beta, null, "beta"), T.show(state("v", "state_before"), "v before"), mo("+"), num(1 - opt.beta, null, "1 - beta"), sq(T.show(g, "g"))),
      T.show(v, "v after", "v", true),
    ));
    out.push(update(
      [mo("\u2212"), num(opt.eta, null, "eta"), T.show(g, "g"), divide(), row(mo("("), sqrt(T.show(v, "v")), mo("+"), num(opt.eps, null, "eps"), mo(")"))],
      `Step, scaled per element by the root of v: ${name} \u2190 ${name} \u2212 \u03B7 g \u2298 (\u221Av + \u03B5)`,
      [P(), mo("\u2212"), mi("\u03B7"), gSym(), divide(), row(mo("("), sqrt(vSym()), mo("+"), mi("\u03B5"), mo(")"))],
    ));
  } else {
    const mSym = () => mi("m");
    const vSym = () => mi("v");
    const m = state("m", "state_after");
    const v = state("v", "state_after");
    const c1 = 1 - opt.beta1 ** t;
    const c2 = 1 - opt.beta2 ** t;
    const mHat = T.map(m, (x) => (x === null ? null : x / c1));
    const vHat = T.map(v, (x) => (x === null ? null : x / c2));
    const oneMinus = (b) => row(mo("("), mn("1"), mo("\u2212"), b, mo(")"));
    out.push(calc(
      "First moment (mean of g): m \u2190 \u03B2<sub>1</sub> m + (1 \u2212 \u03B2<sub>1</sub>) g",
      "m update",
      [mSym(), mo("\u2190"), sub("\u03B2", 1), mSym(), mo("+"), oneMinus(sub("\u03B2", 1)), gSym()],
      row(num(opt.beta1, null, "beta1"), T.show(state("m", "state_before"), "m before"), mo("+"), num(1 - opt.beta1, null, "1 - beta1"), T.show(g, "g")),
      T.show(m, "m after", "m", true),
    ));
    out.push(calc(
      "Second moment (mean of g\u00B2, element-wise): v \u2190 \u03B2<sub>2</sub> v + (1 \u2212 \u03B2<sub>2</sub>) g \u2299 g",
      "v update",
      [vSym(), mo("\u2190"), sub("\u03B2", 2), vSym(), mo("+"), oneMinus(sub("\u03B2", 2)), sq(gSym())],
      row(num(opt.beta2, null, "beta2"), T.show(state("v", "state_before"), "v before"), mo("+"), num(1 - opt.beta2, null, "1 - beta2"), sq(T.show(g, "g"))),
      T.show(v, "v after", "v", true),
    ));
    out.push(calc(
      `Bias correction (m and v start at 0), t = ${t}: m\u0302 = m / (1 \u2212 \u03B2<sub>1</sub><sup>t</sup>), v\u0302 = v / (1 \u2212 \u03B2<sub>2</sub><sup>t</sup>)`,
      "m_hat",
      [hat("m"), mo("="), mSym(), mo("/"), oneMinus(msup(sub("\u03B2", 1), mi("t")))],
      row(T.show(m, "m"), mo("/"), num(c1, "upd-c1", `1 - beta1^${t}`)),
      T.show(mHat, "m_hat (computed from m and t)", "mhat", true),
    ));
    out.push(calc(
      "and likewise for v:",
      "v_hat",
      [hat("v"), mo("="), vSym(), mo("/"), oneMinus(msup(sub("\u03B2", 2), mi("t")))],
      row(T.show(v, "v"), mo("/"), num(c2, "upd-c2", `1 - beta2^${t}`)),
      T.show(vHat, "v_hat (computed from v and t)", "vhat", true),
    ));
    out.push(update(
      [mo("\u2212"), num(opt.eta, null, "eta"), T.show(mHat, "m_hat"), divide(), row(mo("("), sqrt(T.show(vHat, "v_hat")), mo("+"), num(opt.eps, null, "eps"), mo(")"))],
      `Step: ${name} \u2190 ${name} \u2212 \u03B7 m\u0302 \u2298 (\u221Av\u0302 + \u03B5)`,
      [P(), mo("\u2212"), mi("\u03B7"), hat("m"), divide(), row(mo("("), sqrt(hat("v")), mo("+"), mi("\u03B5"), mo(")"))],
    ));
  }
  out.push(eq(
    `The change this step made to ${name} (after \u2212 before)${opt.name === "adam" && t === 1 ? ": at t = 1 Adam moves every parameter by about \u03B7, whatever the size of its gradient" : ""}`,
    math(`change of ${T.base}`, row(mi("\u0394"), P(), mo("="), T.show(delta, `change of ${T.base}`, "delta", true))),
  ));
  return [el("div", { class: "upd", "data-testid": "upd", "data-optimizer": opt.name, "data-layer": k, "data-param": kind }, out)];
}
