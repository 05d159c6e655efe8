// Choosing the traced example: a dataset row (split + row number), or a typed input x with its
// label / target. Emits "choose-example" with {kind: "row", split, row} or {kind: "input", x, y}.

import { el, fmt, full } from "../format.js";

function parseNumbers(text) {
  const parts = text.split(/[,\s;]+/).filter(Boolean);
  const values = parts.map(Number);
  return values.every(Number.isFinite) ? values : null;
}

function emit(element, detail) {
  element.dispatchEvent(new CustomEvent("choose-example", { bubbles: true, detail }));
}

function emitError(element, message) {
  element.dispatchEvent(new CustomEvent("example-error", { bubbles: true, detail: { message } }));
}

function build(element, d) {
  const { data, n0, nL, loss } = d;
  const info = data ? data.info : null;
  const classification = info ? info.task === "classification" : loss === "cross_entropy";
  const nClasses = info && info.n_classes ? info.n_classes : nL === 1 ? 2 : nL;
  const parts = [];
  const refs = {};
  if (data) {
    refs.split = el("select", { "data-testid": "ex-split", "aria-label": "Split of the traced row" }, el("option", { value: "train", text: "train" }), el("option", { value: "test", text: "test" }));
    refs.row = el("input", { type: "number", min: 0, step: 1, "data-testid": "ex-row", "aria-label": "Row number of the traced example" });
    const go = () => {
      const split = refs.split.value;
      const row = Number(refs.row.value);
      const n = (split === "train" ? data.X_train : data.X_test).length;
      if (!Number.isInteger(row) || row < 0 || row >= n) {
        emitError(element, `The ${split} split has rows 0 to ${n - 1}; "${refs.row.value}" is not one of them.`);
        return;
      }
      emit(element, { kind: "row", split, row });
    };
    // Enter leaves the field (so the stepping keys F, B, U work right away); leaving it traces the row.
    refs.row.addEventListener("keydown", (e) => {
      if (e.key === "Enter") refs.row.blur();
    });
    refs.row.addEventListener("change", go);
    refs.split.addEventListener("change", go);
    const random = () => {
      const split = refs.split.value;
      const n = (split === "train" ? data.X_train : data.X_test).length;
      emit(element, { kind: "row", split, row: Math.floor(Math.random() * n) });
    };
    parts.push(
      el("label", {}, "split", refs.split),
      el("label", {}, "row", refs.row),
      el("button", { type: "button", class: "small", "data-testid": "ex-random", "aria-label": "Trace a random row", onclick: random, text: "random row" }),
      el("span", { class: "muted", text: "\u00A0or type\u00A0" }),
    );
  }
  refs.x = el("input", { type: "text", "data-testid": "ex-x", "aria-label": `Input x: ${n0} numbers separated by commas`, placeholder: Array.from({ length: Math.min(n0, 3) }, () => "0.5").join(", ") + (n0 > 3 ? ", \u2026" : ""), style: `width:${Math.min(160, 40 + 30 * n0)}px` });
  if (classification) {
    refs.y = el("select", { "data-testid": "ex-y", "aria-label": "Label of the typed input" },
      Array.from({ length: nClasses }, (_, c) => el("option", { value: c, text: info && info.class_names ? `${c}: ${info.class_names[c]}` : String(c) })));
  } else {
    refs.y = el("input", { type: "text", "data-testid": "ex-y", "aria-label": `Target y: ${nL} number(s)`, placeholder: "0" });
  }
  const trace = () => {
    const x = parseNumbers(refs.x.value);
    if (!x || x.length !== n0) {
      emitError(element, `Type x as ${n0} number(s) separated by commas (got "${refs.x.value}").`);
      return;
    }
    let y;
    if (classification) y = [Number(refs.y.value)];
    else {
      const t = parseNumbers(refs.y.value);
      if (!t || t.length !== nL) {
        emitError(element, `Type the target y as ${nL} number(s) (got "${refs.y.value}").`);
        return;
      }
      y = [t];
    }
    emit(element, { kind: "input", x, y });
  };
  refs.x.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      refs.x.blur();
      trace();
    }
  });
  parts.push(
    el("label", {}, `x (${n0})`, refs.x),
    el("label", {}, classification ? "label" : "target y", refs.y),
    el("button", { type: "button", class: "small", "data-testid": "ex-trace-input", title: "Trace the typed input", onclick: trace, text: "trace input" }),
  );
  refs.current = el("p", { class: "current", "data-testid": "example-current" });
  element.replaceChildren(...parts, refs.current);
  element._refs = refs;
}

/** data: {data, example, trace, n0, nL, loss} */
export function render(element, d) {
  const key = `${d.data ? d.data.spec.name + JSON.stringify(d.data.spec) : "none"}|${d.n0}|${d.nL}|${d.loss}`;
  if (element._key !== key) {
    build(element, d);
    element._key = key;
  }
  const refs = element._refs;
  const { example, data, trace } = d;
  if (example.kind === "row" && refs.split && document.activeElement !== refs.row) {
    refs.split.value = example.split;
    refs.row.value = String(example.row);
    refs.row.max = String((example.split === "train" ? data.X_train : data.X_test).length - 1);
  }
  let text;
  const x = trace ? trace.h[0][0] : example.x;
  const shown = x && x.length > 8 ? [...x.slice(0, 6).map((v) => fmt(v)), "\u2026", fmt(x[x.length - 1])] : x ? x.map((v) => fmt(v)) : null;
  const xs = shown ? `x = (${shown.join(", ")})` : "";
  if (example.kind === "row" && data) {
    const Y = example.split === "train" ? data.y_train : data.y_test;
    const y = Y[example.row];
    const info = data.info;
    const ys = Array.isArray(y) ? `y = ${y.map((v) => fmt(v)).join(", ")}` : `label ${y}${info.class_names ? ` (${info.class_names[y]})` : ""}`;
    text = `Tracing ${example.split} row ${example.row}: ${xs}, ${ys}`;
  } else {
    const y = example.y ? (Array.isArray(example.y[0]) ? `y = (${example.y[0].join(", ")})` : `label ${example.y[0]}`) : "";
    text = `Tracing a typed input: ${xs}, ${y}`;
  }
  refs.current.textContent = text;
  refs.current.title = x ? `x = (${x.map(full).join(", ")})` : "";
  refs.current.dataset.kind = example.kind;
  refs.current.dataset.split = example.split || "";
  refs.current.dataset.row = example.kind === "row" ? String(example.row) : "";
}
