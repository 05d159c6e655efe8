// Who is to blame (POST /blame): grad_h_k[j] = sum_i W_{k+1}[i, j] grad_a_{k+1}[i], broken into
// its terms, largest first, under the diagram; and, in the diagram, the edges W_{k+1}[:, j] the
// terms flow back along (colour = sign of the term, width = its size). Controls emit
// "insight-change" {blame: {layer, j} | null}; this module never talks to the API.

import { el, fmt, full } from "../format.js";
import { errorLine, num, sub } from "../insightkit.js";

const SVG = "http://www.w3.org/2000/svg";
const EQ_TERMS = 5; // terms written out in the equation; the table has them all

function emit(element, detail) {
  element.dispatchEvent(new CustomEvent("insight-change", { bubbles: true, detail }));
}

function build(element, d) {
  const { sizes } = d;
  const L = sizes.length - 1;
  const refs = {};
  refs.layer = el("select", { "data-testid": "blame-layer", "aria-label": "Layer k of h_k (0 = the input x)" },
    Array.from({ length: L }, (_, k) => el("option", { value: String(k), text: k === 0 ? "h\u2080 = x" : `h${sub(k)}` })));
  refs.unit = el("select", { "data-testid": "blame-unit", "aria-label": "Unit j" });
  const fillUnits = (k, j) => {
    refs.unit.replaceChildren(...Array.from({ length: sizes[k] }, (_, i) => el("option", { value: String(i), text: String(i) })));
    refs.unit.value = String(Math.min(j, sizes[k] - 1));
  };
  refs.fillUnits = fillUnits;
  refs.layer.addEventListener("change", () => {
    fillUnits(Number(refs.layer.value), 0);
    emit(element, { blame: { layer: Number(refs.layer.value), j: 0 } });
  });
  refs.unit.addEventListener("change", () => emit(element, { blame: { layer: Number(refs.layer.value), j: Number(refs.unit.value) } }));
  refs.close = el("button", { type: "button", class: "small", "data-testid": "blame-close", "aria-label": "Close who is to blame", title: "Close (Esc)", text: "\u00D7" });
  refs.close.addEventListener("click", () => emit(element, { blame: null }));
  refs.title = el("span", { class: "blame-title" });
  refs.eq = el("div", { class: "blame-eq", "data-testid": "blame-eq" });
  refs.error = errorLine("blame-error", null);
  refs.body = el("div", { class: "blame-body" });
  element.replaceChildren(
    el("div", { class: "blame-head" },
      el("strong", { text: "Who is to blame?" }),
      el("label", { class: "inline" }, "\u2207h of", refs.layer), el("label", { class: "inline" }, "unit j", refs.unit),
      refs.title, refs.close),
    refs.eq, refs.error, refs.body);
  element._refs = refs;
}

/**
 * d: {sizes, blame: {layer, j}, result (POST /blame) | null, error, where, fault}
 * Renders into the strip under the diagram (element).
 */
export function render(element, d) {
  const key = d.sizes.join(",");
  if (element._key !== key) {
    build(element, d);
    element._key = key;
  }
  const r = element._refs;
  const { layer: k, j } = d.blame;
  if (document.activeElement !== r.layer) r.layer.value = String(k);
  if (r.unit.options.length !== d.sizes[k] || document.activeElement !== r.unit) r.fillUnits(k, j);
  r.title.textContent = `(${d.where}; correct backprop${d.fault ? ", the teaching fault is not applied here" : ""})`;
  r.error.hidden = !d.error;
  r.error.textContent = d.error || "";
  const res = d.result;
  if (!res || res.layer !== k || res.j !== j) {
    r.eq.replaceChildren(el("span", { class: "muted", text: d.error ? "" : "Computing\u2026" }));
    r.body.replaceChildren();
    return;
  }
  const above = k + 1;
  const terms = res.terms;
  const sum = terms.reduce((acc, t) => acc + (t.term ?? NaN), 0);
  const gh = k === 0 ? `\u2207h${sub(0)}[${j}]` : `\u2207h${sub(k)}[${j}]`;
  const shown = terms.slice(0, EQ_TERMS).map((t, n) => {
    const v = t.term;
    const s = n === 0 ? fmt(v) : v !== null && v < 0 ? `\u2212 ${fmt(-v)}` : `+ ${fmt(v)}`;
    return el("span", { class: `term ${v === null ? "nonfinite" : v > 0 ? "pos" : v < 0 ? "neg" : ""}`, title: `W_${above}[${t.i},${j}] grad_a_${above}[${t.i}] = ${full(v)}`, text: ` ${s}` });
  });
  r.eq.replaceChildren(
    el("span", { html: `${gh} = \u03A3<sub>i</sub> W${sub(above)}[i,${j}] \u2207a${sub(above)}[i] =` }),
    ...shown,
    terms.length > EQ_TERMS ? el("span", { class: "muted", text: ` + \u2026 (${terms.length - EQ_TERMS} more)` }) : "",
    el("span", { text: " = " }),
    num("b", res.grad_h, { label: `grad_h_${k}[${j}]`, testid: "blame-grad-h" }),
  );
  const m = Math.max(...terms.map((t) => Math.abs(t.term ?? 0)), 1e-300);
  let running = 0;
  const rows = terms.map((t, n) => {
    running += t.term ?? NaN;
    const w = Math.abs(t.term ?? 0) / m;
    const bar = el("span", { class: `bar ${t.term >= 0 ? "pos" : "neg"}`, style: `width:${(100 * w).toFixed(1)}%` });
    return el("tr", { "data-testid": `blame-term-${n}`, "data-i": String(t.i) },
      el("td", { class: "txt", text: String(n + 1) }),
      el("td", { class: "txt", text: `${t.i}` }),
      num("td", t.weight, { label: `W_${above}[${t.i},${j}]`, testid: `blame-w-${t.i}` }),
      num("td", t.grad_a, { label: `grad_a_${above}[${t.i}]`, testid: `blame-ga-${t.i}` }),
      num("td", t.term, { label: `term W_${above}[${t.i},${j}] grad_a_${above}[${t.i}]`, testid: `blame-t-${t.i}` }),
      el("td", { class: "barcell", "aria-hidden": "true" }, bar),
      num("td", running, { label: `sum of the ${n + 1} largest terms`, testid: `blame-cum-${n}` }));
  });
  const table = el("table", { class: "nums blame-table", "data-testid": "blame-table" },
    el("thead", {}, el("tr", {},
      el("th", { text: "#" }), el("th", { text: "i" }),
      el("th", { html: `W<sub>${above}</sub>[i,${j}]` }), el("th", { html: `\u2207a<sub>${above}</sub>[i]` }),
      el("th", { text: "term" }), el("th", { text: "|term|" }), el("th", { text: "running sum" }))),
    el("tbody", {}, rows));
  const total = num("b", sum, { label: "sum of the terms", testid: "blame-sum" });
  r.body.replaceChildren(table, el("p", { class: "hint" }, "Sum of the terms: ", total, `; the edges they flow back along (W${sub(above)}[:, ${j}]) are highlighted in the diagram, wider = larger term.`));
}

/** Remove the highlight from the diagram. */
export function clearHighlight(diagram) {
  const svg = diagram.querySelector("svg");
  if (!svg) return;
  svg.classList.remove("blaming");
  svg.querySelectorAll(".blame-overlay").forEach((g) => g.remove());
}

/**
 * Highlight, in the diagram's SVG, the edges W_{k+1}[i, j] the terms flow along (colour = sign of
 * the term, width = |term| relative to the largest) and ring the neuron h_k[j].
 */
export function highlight(diagram, blame, result) {
  clearHighlight(diagram);
  const svg = diagram.querySelector("svg");
  if (!svg || !blame) return;
  const { layer: k, j } = blame;
  const g = document.createElementNS(SVG, "g");
  g.setAttribute("class", "blame-overlay");
  g.setAttribute("data-testid", "blame-overlay");
  g.setAttribute("pointer-events", "none");
  const terms = result && result.layer === k && result.j === j ? result.terms : [];
  const m = Math.max(...terms.map((t) => Math.abs(t.term ?? 0)), 1e-300);
  for (const t of terms) {
    const hit = svg.querySelector(`[data-testid="edge-${k + 1}-${t.i}-${j}"]`);
    if (!hit) continue;
    const line = document.createElementNS(SVG, "line");
    for (const a of ["x1", "y1", "x2", "y2"]) line.setAttribute(a, hit.dataset[a]);
    const w = Math.abs(t.term ?? 0) / m;
    line.setAttribute("class", `blame-edge ${t.term === null ? "nonfinite" : t.term >= 0 ? "pos" : "neg"}`);
    line.setAttribute("stroke-width", (1.5 + 6 * w).toFixed(2));
    line.setAttribute("data-testid", `blame-edge-${k + 1}-${t.i}-${j}`);
    line.setAttribute("data-value", t.term === null ? "NaN" : String(t.term));
    g.append(line);
  }
  const node = svg.querySelector(`[data-testid="dg-h-${k}-${j}"]`);
  if (node) {
    const box = node.getBBox();
    const cx = k === 0 ? box.x + box.width / 2 : box.x;
    const ring = document.createElementNS(SVG, "circle");
    ring.setAttribute("cx", cx.toFixed(1));
    ring.setAttribute("cy", (box.y + box.height / 2).toFixed(1));
    ring.setAttribute("r", (box.height / 2 + 4).toFixed(1));
    ring.setAttribute("class", "blame-ring");
    ring.setAttribute("data-testid", "blame-ring");
    g.append(ring);
  }
  const neurons = svg.querySelector("g.neurons");
  svg.insertBefore(g, neurons ? neurons.nextSibling : null);
  svg.classList.add("blaming");
}
