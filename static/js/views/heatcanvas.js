// A matrix drawn as a heatmap on a canvas (one cell per entry, diverging colours centred on 0, or
// grey levels), with the exact value of the cell under the pointer as its tooltip (data-tip,
// read by the page's tooltip) and, when editable, a click that asks to edit that parameter.
// Canvases keep thousands of cells cheap to redraw while training plays.

import { divergingColor, full } from "../format.js";

/**
 * heatmap(canvas, {rows, label, scale, grey, edit, cell, testid})
 * - rows: a matrix (array of rows; null entries are non-finite), or null (nothing known yet)
 * - label(i, j): the entry's name, e.g. "W_2[3,4]"; cell: CSS pixels per cell
 * - scale: |value| drawn at full colour (default: max |value|); grey: draw lo..hi as black..white
 * - edit: "W:k" or "b:k" makes a click dispatch "edit-parameter" for that entry
 * - shape: [n, m] of the pending matrix when rows is null; cellHeight: taller cells (strips)
 */
export function heatmap(canvas, { rows, label, scale = null, grey = false, edit = null, cell = 6, cellHeight = null, testid = null, shape = null }) {
  const n = rows ? rows.length : shape ? shape[0] : 1;
  const m = rows && rows.length ? rows[0].length : shape ? shape[1] : 1;
  const w = m * cell;
  const h = n * (cellHeight || cell);
  if (canvas.width !== m || canvas.height !== n) {
    canvas.width = m;
    canvas.height = n;
  }
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  if (testid) canvas.dataset.testid = testid;
  canvas._rows = rows;
  canvas._label = label;
  canvas._edit = edit;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(m, n);
  let lo = Infinity;
  let hi = -Infinity;
  let big = 0;
  if (rows) {
    for (const r of rows) for (const v of r) if (v !== null) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (Math.abs(v) > big) big = Math.abs(v);
    }
  }
  const s = scale || big || 1;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const v = rows ? rows[i][j] : undefined;
      let rgb;
      if (v === undefined) rgb = [232, 234, 238];
      else if (v === null) rgb = [200, 40, 40];
      else if (grey) {
        const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
        const g = Math.round(255 * (1 - t)); // high values dark, as ink on paper
        rgb = [g, g, g];
      } else rgb = divergingColor(v / s).slice(4, -1).split(",").map(Number);
      const o = (i * m + j) * 4;
      img.data[o] = rgb[0];
      img.data[o + 1] = rgb[1];
      img.data[o + 2] = rgb[2];
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  canvas.style.imageRendering = "pixelated";
  canvas.dataset.scale = String(s);
  bind(canvas);
  return canvas;
}

/** The entry under a pointer event: [i, j], or null outside. */
function cellAt(canvas, event) {
  const box = canvas.getBoundingClientRect();
  const j = Math.floor(((event.clientX - box.left) / box.width) * canvas.width);
  const i = Math.floor(((event.clientY - box.top) / box.height) * canvas.height);
  if (i < 0 || j < 0 || i >= canvas.height || j >= canvas.width) return null;
  return [i, j];
}

/** The tooltip text of entry (i, j): "label = exact value" (what a hover shows). */
export function cellTip(canvas, i, j) {
  const rows = canvas._rows;
  const name = canvas._label ? canvas._label(i, j) : `[${i},${j}]`;
  if (!rows) return `${name}: not computed yet at this step`;
  const v = rows[i][j];
  return `${name} = ${v === null ? "not finite" : full(v)}${canvas._edit ? " (click to edit)" : ""}`;
}

function bind(canvas) {
  if (canvas._bound) return;
  canvas._bound = true;
  canvas.addEventListener("mousemove", (event) => {
    const at = cellAt(canvas, event);
    if (!at) return;
    canvas.dataset.tip = cellTip(canvas, at[0], at[1]);
    canvas.dataset.cell = `${at[0]},${at[1]}`;
  });
  canvas.addEventListener("click", (event) => {
    const at = cellAt(canvas, event);
    if (!at || !canvas._edit || !canvas._rows) return;
    const [name, layer] = canvas._edit.split(":");
    const [i, j] = at;
    canvas.dispatchEvent(new CustomEvent("edit-parameter", {
      bubbles: true,
      detail: { name, layer: Number(layer), i: name === "b" ? j : i, j: name === "b" ? null : j, value: Number(canvas._rows[i][j]), clientX: event.clientX, clientY: event.clientY },
    }));
  });
}
