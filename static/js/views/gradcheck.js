// Live gradient check (POST /gradcheck) for the layer the student picks: beside every entry of
// grad_W_k and grad_b_k, the central finite difference (L(theta + eps) - L(theta - eps)) / (2 eps)
// and the relative error |numeric - backprop| / (|numeric| + |backprop|), colour-coded (with a
// symbol and a word, not colour alone). Also the teaching fault: backprop leaves out g'(a_k) of
// one hidden layer, on purpose, and the check shows which gradients it breaks.
// Controls emit "insight-change" {gcLayer | gcEps | fault | faultLayer}; this module never talks to the API.

import { el, fmt } from "../format.js";
import { FINE, SUSPICIOUS, VERDICT_TEXT, errorLine, num, select, sub, verdict } from "../insightkit.js";

const EPS = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8];

function emit(element, detail) {
  element.dispatchEvent(new CustomEvent("insight-change", { bubbles: true, detail }));
}

function build(element, d) {
  const { L } = d;
  const refs = {};
  refs.layer = select("Layer k", {
    testid: "gc-layer", aria: "Layer whose gradients are checked",
    options: Array.from({ length: L }, (_, i) => [i + 1, `${i + 1}${i + 1 === L ? " (output)" : ""}`]),
    value: d.layer, onchange: (v) => emit(element, { gcLayer: Number(v) }),
  });
  refs.eps = select("\u03B5", {
    testid: "gc-eps", aria: "Finite-difference step epsilon",
    options: EPS.map((e) => [e, e.toExponential(0)]), value: d.eps, onchange: (v) => emit(element, { gcEps: Number(v) }),
  });
  refs.where = el("span", { class: "muted", "data-testid": "gc-where" });
  refs.summary = el("div", { class: "gc-summary", "data-testid": "gc-summary", "aria-live": "polite" });

  // The teaching fault: a red-bordered box, clearly not a normal setting.
  const hidden = Math.max(L - 1, 0);
  refs.faultOn = el("input", { type: "checkbox", "data-testid": "fault-on", "aria-describedby": "fault-why", disabled: hidden ? null : true });
  refs.faultLayer = el("select", { "data-testid": "fault-layer", "aria-label": "Hidden layer whose g' backprop leaves out", disabled: hidden ? null : true },
    Array.from({ length: hidden }, (_, i) => el("option", { value: String(i + 1), text: String(i + 1) })));
  refs.faultOn.addEventListener("change", () => emit(element, { fault: refs.faultOn.checked ? Number(refs.faultLayer.value) : null }));
  refs.faultLayer.addEventListener("change", () => emit(element, { faultLayer: Number(refs.faultLayer.value) }));
  const fault = el("fieldset", { class: "fault-box", "data-testid": "fault-box" },
    el("legend", { text: "Teaching fault: break backprop" }),
    el("label", { class: "inline check" }, refs.faultOn, el("span", { html: "leave out g\u2032(a<sub>k</sub>) in hidden layer k =" }), refs.faultLayer),
    el("p", { class: "hint", id: "fault-why", html: hidden
      ? "On purpose, for learning only: backprop then computes \u2207a<sub>k</sub> = \u2207h<sub>k</sub> instead of \u2207h<sub>k</sub> \u2299 g\u2032(a<sub>k</sub>), so \u2207W<sub>k</sub>, \u2207b<sub>k</sub> and every gradient below layer k are wrong. The diagram and the layer panels show the broken gradients; updates and training still use the correct ones. Watch the check fail." 
      : "Needs a hidden layer (this network has L = 1)." }));

  const legend = el("p", { class: "hint gc-legend" },
    el("span", { class: "verdict fine", text: VERDICT_TEXT.fine }), ` < ${fmt(FINE)} \u00B7 `,
    el("span", { class: "verdict suspicious", text: VERDICT_TEXT.suspicious }), ` < ${fmt(SUSPICIOUS)} \u00B7 `,
    el("span", { class: "verdict wrong", text: VERDICT_TEXT.wrong }), " otherwise. Central difference (L(\u03B8+\u03B5) \u2212 L(\u03B8\u2212\u03B5)) / 2\u03B5; relative error |num \u2212 bp| / (|num| + |bp|).");
  refs.error = errorLine("gc-error", null);
  // its own scroll area when long: focusable, so a keyboard can scroll it (axe scrollable-region-focusable)
  refs.tables = el("div", { class: "gc-tables", "data-testid": "gc-tables", tabindex: "0", role: "region", "aria-label": "Gradient check, entry by entry" });
  element.replaceChildren(
    el("div", { class: "insight-controls" }, refs.layer, refs.eps, refs.where),
    el("div", { class: "gc-top" }, fault, el("div", {}, refs.summary, legend)),
    refs.error,
    refs.tables,
  );
  element._refs = refs;
}

function tensorTable(t, k, broken) {
  const isW = t.name === "W";
  const idx = (e) => e.index.join(",");
  const label = (e, q) => `${q}_${k}[${idx(e)}]`;
  const rows = t.entries.map((e) => {
    const key = `gc-${t.name}-${k}-${e.index.join("-")}`;
    const v = verdict(e.relative_error);
    const err = num("td", e.relative_error, { label: `relative error of ${label(e, `grad_${t.name}`)}`, testid: `${key}-error`, signed: false, cls: `verdict ${v}`, digits: 2 });
    err.dataset.verdict = v;
    err.textContent = `${VERDICT_TEXT[v].split(" ")[0]} ${err.textContent}`;
    return el("tr", { "data-testid": key },
      el("th", { scope: "row", html: `${isW ? "W" : "b"}<sub>${k}</sub>[${idx(e)}]` }),
      num("td", e.backprop, { label: `backprop grad_${t.name}_${k}[${idx(e)}]${broken ? " (broken)" : ""}`, testid: `${key}-backprop`, cls: broken ? "broken" : "" }),
      num("td", e.numeric, { label: `central difference for ${t.name}_${k}[${idx(e)}]`, testid: `${key}-numeric` }),
      err);
  });
  const name = `${isW ? "\u2207W" : "\u2207b"}<sub>${k}</sub>`;
  return el("table", { class: "nums gc-table", "data-testid": `gc-table-${t.name}` },
    el("caption", { html: `${name}: ${t.entries.length} entr${t.entries.length === 1 ? "y" : "ies"}${t.sampled ? ` (a seeded sample of ${t.size})` : ""}` }),
    el("thead", {}, el("tr", {}, el("th", { text: "entry" }), el("th", { html: broken ? "backprop <b class='broken-tag'>broken</b>" : "backprop" }), el("th", { text: "central diff." }), el("th", { text: "rel. error" }))),
    el("tbody", {}, rows));
}

/**
 * d: {L, sizes, layer, eps, fault (null or k), faultLayer, result (POST /gradcheck) | null,
 *     busy, error, where (text: which example)}
 */
export function render(element, d) {
  const key = `${d.L}`;
  if (element._key !== key) {
    build(element, d);
    element._key = key;
  }
  const r = element._refs;
  r.layer.querySelector("select").value = String(d.layer);
  r.eps.querySelector("select").value = String(d.eps);
  r.faultOn.checked = !!d.fault;
  if (d.faultLayer) r.faultLayer.value = String(d.faultLayer);
  r.where.textContent = `on ${d.where}${d.busy ? " \u00B7 checking\u2026" : ""}`;
  r.error.hidden = !d.error;
  r.error.textContent = d.error || "";
  element.classList.toggle("faulty", !!d.fault);
  const res = d.result;
  if (!res) {
    r.summary.replaceChildren(el("span", { class: "muted", text: d.busy ? "Checking\u2026" : "" }));
    r.tables.replaceChildren();
    return;
  }
  const k = res.layer;
  const broken = !!res.fault && k <= res.fault;
  r.summary.replaceChildren(
    el("span", { html: `Layer ${k}${res.fault ? `, teaching fault in layer ${res.fault}` : ""}: ` }),
    ...res.tensors.map((t) => {
      const v = verdict(t.max_relative_error);
      const node = num("span", t.max_relative_error, { label: `largest relative error of grad_${t.name}_${k}`, testid: `gc-max-${t.name}`, signed: false, cls: `verdict ${v}`, digits: 2 });
      node.dataset.verdict = v;
      node.textContent = `max ${t.name === "W" ? "\u2207W" : "\u2207b"}${sub(k)} error ${node.textContent} ${VERDICT_TEXT[v]}`;
      return node;
    }),
  );
  r.summary.dataset.layer = String(k);
  r.summary.dataset.fault = res.fault ? String(res.fault) : "";
  r.tables.replaceChildren(...res.tensors.map((t) => tensorTable(t, k, broken)));
}
