// Small helpers shared by the Insight views: numbers shown short with their exact value kept
// (data-value, title), subscripts, selects, the colour of a gradient-check verdict, and waiting
// for Plotly (loaded after the page is interactive).

import { el, fmt, full, signClass } from "./format.js";

const SUB = "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089";

/** 12 -> "₁₂" */
export const sub = (n) => String(n).split("").map((d) => SUB[Number(d)] ?? d).join("");

/**
 * A number as the page shows numbers: 3 significant digits, the exact value in data-value and
 * in the hover title ("label = exact"), blue/orange by sign unless signed is false.
 */
export function num(tag, value, { label = "", testid = null, signed = true, cls = "", digits = 3 } = {}) {
  const node = el(tag, { "data-testid": testid, class: cls || null });
  node.textContent = fmt(value, digits);
  node.dataset.value = value === null || value === undefined ? "NaN" : String(value);
  node.title = label ? `${label} = ${full(value)}` : full(value);
  const c = signed ? signClass(value) : value === null ? "nonfinite" : "";
  if (c) node.classList.add(c);
  return node;
}

/** A labelled <select>; options: [[value, text], ...]. */
export function select(labelText, { testid, aria, options, value, onchange }) {
  const s = el("select", { "data-testid": testid, "aria-label": aria });
  for (const [v, t] of options) s.append(el("option", { value: String(v), text: t, selected: String(v) === String(value) ? true : null }));
  s.addEventListener("change", () => onchange(s.value));
  return el("label", { class: "inline" }, labelText, s);
}

// Gradient check: the relative error |numeric - backprop| / (|numeric| + |backprop|).
export const FINE = 1e-7;
export const SUSPICIOUS = 1e-4;

/** "fine" below 1e-7, "suspicious" below 1e-4, else (and non-finite) "wrong". */
export function verdict(relErr) {
  if (relErr === null || relErr === undefined || !Number.isFinite(relErr)) return "wrong";
  if (relErr < FINE) return "fine";
  if (relErr < SUSPICIOUS) return "suspicious";
  return "wrong";
}

export const VERDICT_TEXT = { fine: "\u2713 fine", suspicious: "? suspicious", wrong: "\u2717 wrong" };

/** An inline error line next to its cause (never alert()). */
export function errorLine(testid, message) {
  const p = el("p", { class: "error", "data-testid": testid, role: "alert" });
  p.hidden = !message;
  p.textContent = message || "";
  return p;
}

/** Resolves with window.Plotly once main.js has loaded it (null after 20 s without it). */
export function whenPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const timer = setInterval(() => {
      if (window.Plotly || Date.now() - t0 > 20_000) {
        clearInterval(timer);
        resolve(window.Plotly || null);
      }
    }, 100);
  });
}

export const PLOT_CONFIG = { displayModeBar: false, responsive: true };

/** A short description of the traced example, e.g. "train row 3" or "the typed input". */
export function exampleText(example) {
  if (!example) return "";
  return example.kind === "row" ? `${example.split} row ${example.row}` : "the typed input";
}
