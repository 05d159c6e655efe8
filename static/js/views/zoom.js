// The whole of an elided vector or matrix from the equations: a heatmap (diverging colours
// centred on 0) that can be zoomed in and out, with each entry's exact value on hover, in a
// dialog over the page. Esc, the close button or a click outside closes it.

import { el } from "../format.js";
import { heatmap } from "./heatcanvas.js";

const SIZES = [3, 4, 6, 8, 12, 16, 24, 32];

/** Read the entries of a zoomable (r, c, cell(i, j) -> an <mn> with data-value and data-tip). */
function entries({ r, c, cell }) {
  const values = [];
  const labels = [];
  for (let i = 0; i < r; i++) {
    const vr = [];
    const lr = [];
    for (let j = 0; j < c; j++) {
      const node = cell(i, j);
      const raw = node.getAttribute("data-value");
      vr.push(raw === null || raw === "NaN" ? null : Number(raw));
      const tip = node.getAttribute("data-tip") || "";
      lr.push(tip.includes(" = ") ? tip.slice(0, tip.lastIndexOf(" = ")) : `[${i},${j}]`);
    }
    values.push(vr);
    labels.push(lr);
  }
  return { values, labels };
}

export function close() {
  const old = document.getElementById("eq-zoom");
  if (old) old.remove();
}

export function open(zoom) {
  close();
  const { values, labels } = entries(zoom);
  let size = SIZES.reduce((best, s) => (s * zoom.c <= Math.min(720, window.innerWidth - 80) && s * zoom.r <= window.innerHeight - 200 ? s : best), SIZES[0]);
  const canvas = el("canvas", { class: "zoom-cells" });
  const draw = () => {
    heatmap(canvas, { rows: values, label: (i, j) => labels[i][j], cell: size, testid: "eq-zoom-canvas" });
    canvas.dataset.cell = String(size);
  };
  const step = (dir) => () => {
    const i = SIZES.indexOf(size);
    size = SIZES[Math.max(0, Math.min(SIZES.length - 1, i + dir))];
    draw();
  };
  const dialog = el("div", { id: "eq-zoom", class: "zoom-dialog", role: "dialog", "aria-modal": "true", "aria-label": `All ${zoom.r}\u00D7${zoom.c} numbers`, "data-testid": "eq-zoom" },
    el("div", { class: "zoom-head" },
      el("strong", { text: `${labels[0][0].replace(/\[.*$/, "")}: all ${zoom.r}\u00D7${zoom.c} numbers` }),
      el("span", { class: "muted", text: "hover a cell for its exact value \u00B7 blue +, orange \u2212, white 0" }),
      el("button", { type: "button", class: "small", "data-testid": "eq-zoom-out", "aria-label": "Zoom out", onclick: step(-1), text: "\u2212" }),
      el("button", { type: "button", class: "small", "data-testid": "eq-zoom-in", "aria-label": "Zoom in", onclick: step(1), text: "+" }),
      el("button", { type: "button", class: "small", "data-testid": "eq-zoom-close", "aria-label": "Close", onclick: close, text: "\u00D7" })),
    el("div", { class: "zoom-body" }, canvas));
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) close();
  });
  document.body.append(dialog);
  draw();
  dialog.querySelector("[data-testid=eq-zoom-close]").focus();
}

let bound = false;
/** Clicks (and Enter) on an elided vector or matrix inside `element` open it; Esc closes. */
export function bind(element) {
  if (element.dataset.zoomBound) return;
  element.dataset.zoomBound = "1";
  const go = (e) => {
    const node = e.target.closest && e.target.closest(".zoomable");
    if (node && node._zoom && element.contains(node)) open(node._zoom);
  };
  element.addEventListener("click", go);
  element.addEventListener("keydown", (e) => {
    if (e.key === "Enter") go(e);
  });
  if (!bound) {
    bound = true;
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") close();
    });
  }
}
