// The derivation panel: the notes' scalar formula for one clicked entry (POST /derivation) with
// every factor's value, the result, the softmax Jacobian as a heatmap and g, g' with the current a
// marked; for a grad_W entry, every path from the weight to the loss (POST /paths) and their sum.
// Stateless: render(element, data) draws data; hovering a factor calls data.onHover(factor | null).
//
// data: {entry, derivation, paths, loading, error, quiz: {t, f, guess, revealed} | null,
//        onHover(factor), onPaths(), onGuess(value), onReveal(), onClose()}

import { divergingColor, el, fmt, full, signClass } from "../format.js";
import { s } from "../svgcharts.js";

function label(x, y, text, attrs = {}) {
  const t = s("text", { x, y, ...attrs });
  t.textContent = text;
  return t;
}

const MAX_TERMS_SHOWN = 24;
const WHERE = {
  a: "a", h: "h", W: "W", b: "b", grad_a: "\u2207a", grad_h: "\u2207h", g_prime: "g\u2032(a)",
  y: "target y", grad_y_hat: "\u2202l/\u2202\u0177", jacobian: "\u2202\u0177/\u2202a", constant: "constant",
};

/** Where a factor lives, in words: "grad_a_2[1], example 0". */
export function whereText(f) {
  if (f.quantity === "constant") return "a constant";
  const idx = `[${f.index.join(",")}]`;
  return `${WHERE[f.quantity] || f.quantity} of layer ${f.layer} ${idx}${f.example === null ? "" : `, example ${f.example}`}`;
}

function number(v, testid, label) {
  return el("span", { class: `num ${signClass(v)}`, "data-testid": testid, "data-value": v === null ? "NaN" : String(v), "data-tip": `${label} = ${full(v)}`, text: fmt(v, 4) });
}

function factorChip(f, t, i, data) {
  const hidden = data.quiz && !data.quiz.revealed && data.quiz.t === t && data.quiz.f === i;
  const value = hidden ? el("span", { class: "num quiz-hidden", "data-testid": "deriv-quiz-hidden", text: "?" }) : number(f.value, `deriv-factor-${t}-${i}`, f.symbol);
  const chip = el("span", {
    class: "factor", tabindex: "0", "data-testid": `deriv-chip-${t}-${i}`, "data-quantity": f.quantity,
    "data-where": `${f.quantity}:${f.layer}:${f.index.join(",")}`, title: `${f.symbol}: ${whereText(f)}`,
  }, el("span", { class: "sym", text: f.symbol }), " = ", value);
  const on = () => data.onHover && data.onHover(f);
  const off = () => data.onHover && data.onHover(null);
  chip.addEventListener("mouseenter", on);
  chip.addEventListener("focus", on);
  chip.addEventListener("mouseleave", off);
  chip.addEventListener("blur", off);
  return chip;
}

function termRow(term, t, data) {
  const parts = [];
  if (term.coefficient !== 1) parts.push(el("span", { class: "coef", text: term.coefficient === -1 ? "\u2212" : `${fmt(term.coefficient)} \u00D7` }));
  term.factors.forEach((f, i) => {
    if (i) parts.push(el("span", { class: "times", text: "\u00D7" }));
    parts.push(factorChip(f, t, i, data));
  });
  return el("li", { class: "term", "data-testid": `deriv-term-${t}` }, ...parts, el("span", { class: "eq", text: "=" }), number(term.value, `deriv-term-value-${t}`, "term"));
}

const RULE_TEXT = { sum: "sum of the terms", mean: "mean of the terms over the batch (1/N \u2211\u2099)", g: "g of the term", O: "O of the terms, entry i" };

/** The Jacobian dy_hat/da_L as a small heatmap with its numbers (rows p, columns m). */
function jacobianHeatmap(J, highlightColumn) {
  const n = J.length;
  const cell = Math.max(22, Math.min(46, Math.floor(240 / n)));
  const pad = 26;
  const max = Math.max(...J.flat().map((v) => Math.abs(v ?? 0)), 1e-300);
  const svg = s("svg", { width: pad + n * cell + 4, height: pad + n * cell + 4, class: "jacobian", "data-testid": "deriv-jacobian", role: "img", "aria-label": "The Jacobian dy_hat/da_L" });
  for (let m = 0; m < n; m++) svg.append(label(pad + m * cell + cell / 2, pad - 8, `a${m}`, { "text-anchor": "middle", class: "axis" }));
  for (let p = 0; p < n; p++) {
    svg.append(label(pad - 4, pad + p * cell + cell / 2 + 4, `\u0177${p}`, { "text-anchor": "end", class: "axis" }));
    for (let m = 0; m < n; m++) {
      const v = J[p][m];
      const rect = s("rect", { x: pad + m * cell, y: pad + p * cell, width: cell - 1, height: cell - 1, fill: v === null ? "#999" : divergingColor(v / max), "data-testid": `deriv-jac-${p}-${m}`, "data-value": v === null ? "NaN" : String(v), class: m === highlightColumn ? "col-now" : null }, `dy_hat[${p}]/da_L[${m}] = ${full(v)}`);
      svg.append(rect);
      if (cell >= 30) svg.append(label(pad + m * cell + cell / 2, pad + p * cell + cell / 2 + 4, fmt(v, 2), { "text-anchor": "middle", class: "cell-num", "pointer-events": "none" }));
    }
  }
  return el("figure", { class: "deriv-figure" }, svg, el("figcaption", { text: "\u2202\u0177\u209A/\u2202a\u2098 (row p, column m); softmax couples every output, an element-wise O is diagonal" }));
}

/** g and g' around the current a, with a marked. */
function curvePlot(c) {
  const W = 280, H = 150, P = 24;
  const ys = [...c.g, ...c.g_prime].filter((v) => v !== null && Number.isFinite(v));
  const lo = Math.min(...ys, 0), hi = Math.max(...ys, 1);
  const x0 = c.a[0], x1 = c.a[c.a.length - 1];
  const X = (x) => P + ((x - x0) / (x1 - x0)) * (W - 2 * P);
  const Y = (y) => H - P - ((y - lo) / (hi - lo || 1)) * (H - 2 * P);
  const line = (vals, cls) => s("polyline", { class: cls, fill: "none", points: c.a.map((x, i) => `${X(x).toFixed(1)},${Y(vals[i] ?? 0).toFixed(1)}`).join(" ") });
  const svg = s("svg", { width: W, height: H, class: "gcurve", "data-testid": "deriv-curve", role: "img", "aria-label": `${c.name}: g and g' with a = ${c.at_a}` });
  svg.append(s("line", { x1: P, x2: W - P, y1: Y(0), y2: Y(0), class: "axis-line" }), s("line", { x1: X(0), x2: X(0), y1: P / 2, y2: H - P, class: "axis-line" }));
  svg.append(line(c.g, "g-line"), line(c.g_prime, "gp-line"));
  if (c.at_a !== null) {
    svg.append(s("line", { x1: X(c.at_a), x2: X(c.at_a), y1: P / 2, y2: H - P, class: "a-mark", "data-testid": "deriv-curve-a", "data-value": String(c.at_a) }, `a = ${full(c.at_a)}`));
    svg.append(s("circle", { cx: X(c.at_a), cy: Y(c.at_g ?? 0), r: 4, class: "g-dot" }, `g(a) = ${full(c.at_g)}`));
    svg.append(s("circle", { cx: X(c.at_a), cy: Y(c.at_g_prime ?? 0), r: 4, class: "gp-dot" }, `g'(a) = ${full(c.at_g_prime)}`));
  }
  const legend = el("figcaption", {}, el("span", { class: "key g-key", text: `g = ${c.name}` }), " ", el("span", { class: "key gp-key", text: "g\u2032" }), ` at a = ${fmt(c.at_a, 4)}: g = ${fmt(c.at_g, 4)}, g\u2032 = ${fmt(c.at_g_prime, 4)}`);
  return el("figure", { class: "deriv-figure" }, svg, legend);
}

function quizBox(d, data) {
  const q = data.quiz;
  if (!q) return null;
  const f = d.terms[q.t] && d.terms[q.t].factors[q.f];
  if (!f) return null;
  if (!q.revealed) {
    const input = el("input", { type: "number", step: "any", "data-testid": "deriv-quiz-input", "aria-label": `Your value for ${f.symbol}` });
    return el("form", { class: "deriv-quiz", "data-testid": "deriv-quiz", onsubmit: (e) => { e.preventDefault(); data.onReveal && data.onReveal(input.value === "" ? null : Number(input.value)); } },
      el("span", { text: `Quiz: what is ${f.symbol} (${whereText(f)})? ` }), input, el("button", { type: "submit", class: "small", "data-testid": "deriv-quiz-reveal", text: "Reveal" }));
  }
  return el("p", { class: "deriv-quiz", "data-testid": "deriv-quiz-result", text: `${f.symbol} = ${full(f.value)}${q.verdict ? ` \u2014 your ${fmt(q.guess, 4)}: ${q.verdict}` : ""}` });
}

function pathsView(p, data) {
  const rows = p.paths.map((path, r) => {
    const chain = [`W${p.layer}[${p.i},${p.j}]`, ...path.neurons.map((m, t) => `a${p.layer + t}[${m}]`), `\u0177[${path.output}]`].join(" \u2192 ");
    const tr = el("tr", { "data-testid": `deriv-path-${r}`, tabindex: "0" },
      el("td", { text: String(r + 1) }),
      el("td", { class: "chain", text: chain, title: path.factors.map((f) => `${f.symbol} = ${full(f.value)}`).join("\n") }),
      el("td", { class: "factors" }, path.factors.flatMap((f, i) => [i ? " \u00D7 " : "", number(f.value, null, f.symbol)])),
      el("td", {}, number(path.product, `deriv-path-product-${r}`, "product")),
      el("td", {}, number(path.share, `deriv-path-share-${r}`, "share of the batch mean")));
    const on = () => data.onHover && data.onHover({ path, layer: p.layer, i: p.i, j: p.j });
    tr.addEventListener("mouseenter", on);
    tr.addEventListener("focus", on);
    tr.addEventListener("mouseleave", () => data.onHover && data.onHover(null));
    return tr;
  });
  const head = el("tr", {}, ["#", "path", "factors (loss \u2192 weight)", "product", "share"].map((t) => el("th", { scope: "col", text: t })));
  const rest = p.remainder_count > 0
    ? el("p", { "data-testid": "deriv-paths-rest", text: `The other ${p.count_exact === String(p.remainder_count) ? p.count_exact : p.remainder_count.toLocaleString()} path(s) sum to ${full(p.remainder_sum)} (${p.remainder_method === "summed" ? "added one by one" : "total minus the listed ones"}).` })
    : null;
  return el("div", { class: "deriv-paths", "data-testid": "deriv-paths" },
    el("p", { class: "hint", text: `${p.count_exact} path(s) from W${p.layer}[${p.i},${p.j}] to the loss, one neuron per layer above; ${p.paths.length} listed, largest first (${p.ranked_by === "share" ? "by their share" : "by this example's product"}).` }),
    el("table", { class: "nums paths-table" }, el("thead", {}, head), el("tbody", {}, rows)),
    rest,
    el("p", { class: "result" }, "Sum over all paths: ", number(p.total, "deriv-paths-total", "sum over all paths"), " = \u2207W", el("sub", { text: String(p.layer) }), `[${p.i},${p.j}] = `, number(p.grad_W, "deriv-paths-grad", `grad_W_${p.layer}[${p.i},${p.j}]`)));
}

export function render(element, data) {
  const d = data.derivation;
  const parts = [];
  if (data.error) parts.push(el("p", { class: "error", role: "alert", "data-testid": "deriv-error", text: data.error }));
  if (!d) {
    parts.push(el("p", { class: "empty", "data-testid": "deriv-empty", text: data.loading ? "Deriving\u2026" : "Click any number of a, h, \u2207a, \u2207h, \u2207W or \u2207b (in the diagram, the equations or the layer tables) to see how the notes derive it, with every factor's value." }));
    element.replaceChildren(...parts.filter(Boolean));
    return;
  }
  const shown = d.terms.slice(0, MAX_TERMS_SHOWN);
  parts.push(
    el("div", { class: "deriv-head" }, el("code", { class: "formula", "data-testid": "deriv-formula", text: d.formula }),
      d.kind ? el("span", { class: "badge", "data-testid": "deriv-kind", text: d.kind === "shortcut" ? "the notes' shortcut" : "chain rule through O's Jacobian" }) : null,
      el("button", { type: "button", class: "small", "data-testid": "deriv-close", onclick: () => data.onClose && data.onClose(), text: "Close" })),
  );
  const main = el("div", { class: "deriv-main" },
    el("ol", { class: "terms", "data-testid": "deriv-terms" }, shown.map((t, i) => termRow(t, i, data))),
    d.terms.length > shown.length ? el("p", { class: "hint", text: `\u2026 and ${d.terms.length - shown.length} more term(s), all in the result.` }) : null,
    el("p", { class: "result" }, `Result (${RULE_TEXT[d.rule]}): `, number(d.value, "deriv-value", `${d.quantity}_${d.layer}[${d.index}]`),
      el("span", { class: "muted" }, " \u2014 the backward trace has ", number(d.trace_value, "deriv-trace-value", "trace"))),
    quizBox(d, data));
  const figs = [];
  if (d.jacobian) figs.push(jacobianHeatmap(d.jacobian, d.quantity === "grad_a" ? d.index[0] : null));
  if (d.curve) figs.push(curvePlot(d.curve));
  parts.push(el("div", { class: "deriv-body" }, main, figs.length ? el("div", { class: "deriv-figs" }, figs) : null));
  if (d.quantity === "grad_W") {
    if (data.paths) parts.push(pathsView(data.paths, data));
    else parts.push(el("button", { type: "button", class: "small", "data-testid": "deriv-show-paths", onclick: () => data.onPaths && data.onPaths(), text: `Every path from W${d.layer}[${d.index.join(",")}] to the loss` }));
  }
  element.replaceChildren(...parts.filter(Boolean));
}
