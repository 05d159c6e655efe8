// The equation panel: draws the current stage's equations (eqsteps.js) and fits them to the panel's
// width; while training plays, writes the new numbers into the equations already drawn.

import { el } from "../format.js";
import { setElision } from "../mathml.js";
import { isBackward, isForward, isUpdate, litLayer } from "../stages.js";
import { algorithm, backwardStep, forwardStep, startStep, updateStep } from "./eqsteps.js";
import { asLongest, forgetLongest, noteLongest, overflows, wrapLongLines } from "./eqfit.js";
import * as zoom from "./zoom.js";

// Widest first: the panel draws with each budget until every equation fits its width; first by
// eliding the middle of wide matrices (down to 2 + ⋯ + 2 columns), then also by breaking long
// lines between their terms, then by eliding further.
const BUDGETS = [
  { rows: 8, cols: 8 }, { rows: 8, cols: 6 }, { rows: 8, cols: 5 }, { rows: 8, cols: 5, wrap: true },
  { rows: 8, cols: 3, wrap: true }, { rows: 5, cols: 3, wrap: true }, { rows: 3, cols: 0, wrap: true }, { rows: 0, cols: 0, wrap: true },
];

/** What the equations' layout depends on (not their numbers): the same key draws the same nodes. */
function layoutKey({ config, trace, stage, update }) {
  return `${config.sizes}|${config.activations}|${config.output}|${config.loss}|${stage}|${!!trace}|${!!update}`;
}

/** Would render(element, data) draw the panel in full and fit it (not only write new numbers)? */
export function drawsInFull(element, data) {
  return !data.live || element._layoutKey !== layoutKey(data) || !element._numbers;
}

/**
 * While training plays: the equations drawn last, with the new numbers written into their nodes
 * (text, value, tip, sign class), the elision and line breaks kept. Measured only when a number
 * is longer than it has been since Play. False when the layout differs or a longer number sticks
 * out (then the whole panel is drawn and fitted again).
 */
function updateNumbers(element, data) {
  if (element._layoutKey !== layoutKey(data) || !element._numbers) return false;
  setElision(BUDGETS[Number(element.dataset.elision) || 0]);
  const scratch = document.createElement("div");
  try {
    draw(scratch, data);
  } finally {
    setElision(BUDGETS[0]);
  }
  const fresh = scratch.querySelectorAll("mn[data-value]");
  const shown = element._numbers;
  if (fresh.length !== shown.length) return false;
  for (let i = 0; i < shown.length; i++) {
    const from = fresh[i];
    const to = shown[i];
    if (to.textContent !== from.textContent) to.textContent = from.textContent;
    for (const name of ["data-value", "data-tip", "class"]) {
      const v = from.getAttribute(name);
      if (to.getAttribute(name) !== v) {
        if (v === null) to.removeAttribute(name);
        else to.setAttribute(name, v);
      }
    }
  }
  // An elided matrix opens its entries from the newest values.
  const zooms = scratch.querySelectorAll(".zoomable");
  element.querySelectorAll(".zoomable").forEach((node, i) => {
    if (zooms[i]) node._zoom = zooms[i]._zoom;
  });
  return !(noteLongest(element, shown) && overflows(element));
}

// The budget that fitted each layout at each panel width: a live full draw starts from it (one
// draw, not up to four); paused, the panel is fitted from the first budget (the fullest view).
const fitted = new Map();

/** Draw with the budgets from `from` on until every equation fits; the index of the one drawn. */
function fit(element, data, from) {
  let i = from;
  for (; i < BUDGETS.length; i++) {
    setElision(BUDGETS[i]);
    draw(element, data);
    element.dataset.elision = String(i);
    const fits = asLongest(element, data.live, () => {
      if (BUDGETS[i].wrap && element.clientWidth) wrapLongLines(element);
      return !element.clientWidth || !overflows(element);
    });
    if (fits) break;
  }
  return Math.min(i, BUDGETS.length - 1);
}

/**
 * Fit the equations of `data` (the stage Play will show) in a hidden twin of the panel, so that
 * the live full draw at Play is drawn once: called while paused, when the page is idle.
 */
export function prefit(element, data) {
  const width = element.getBoundingClientRect().width;
  const key = `${layoutKey(data)}|${element.clientWidth}`;
  if (!width || fitted.has(key) || !element.parentElement) return;
  const twin = document.createElement("div");
  twin.className = element.className;
  twin.setAttribute("aria-hidden", "true");
  twin.style.cssText = `position: fixed; left: 0; top: 0; width: ${width}px; box-sizing: border-box; visibility: hidden; pointer-events: none`;
  element.parentElement.append(twin);
  try {
    if (twin.clientWidth === element.clientWidth) fitted.set(key, fit(twin, { ...data, live: true }, 0));
  } finally {
    setElision(BUDGETS[0]);
    twin.remove();
  }
}

/** data: {config, W, b, trace, stage, update, live} (live: training plays, numbers change in place) */
export function render(element, data) {
  zoom.bind(element);
  // While playing the panel is busy: a screen reader is not read every epoch's numbers.
  if (data.live) element.setAttribute("aria-busy", "true");
  else element.removeAttribute("aria-busy");
  if (data.live && updateNumbers(element, data)) return;
  if (!data.live) forgetLongest(element);
  const key = `${layoutKey(data)}|${element.clientWidth}`;
  fitted.set(key, fit(element, data, data.live ? fitted.get(key) || 0 : 0));
  setElision(BUDGETS[0]);
  element._layoutKey = layoutKey(data);
  element._numbers = [...element.querySelectorAll("mn[data-value]")];
  if (data.live) noteLongest(element, element._numbers);
  // No height is set here: the card takes the diagram's row height and scrolls on a desktop, and
  // grows with its content in one column (app.css, room.css).
  scrollCue(element)();
}

/**
 * The cue under a panel whose equations run below its edge ("more below"), until it is scrolled to
 * the end; clicking it scrolls on. Checked after each full draw, each scroll and each resize.
 */
function scrollCue(element) {
  if (element._cue) return element._cue;
  const cue = el("div", { class: "eq-more", "data-testid": "eq-more", "aria-hidden": "true", text: "\u25BC more below" });
  cue.hidden = true;
  cue.addEventListener("click", () => element.scrollBy({ top: element.clientHeight * 0.8, behavior: "smooth" }));
  element.after(cue);
  element._cue = () => {
    const more = element.scrollHeight - element.scrollTop - element.clientHeight > 2;
    if (cue.hidden === more) cue.hidden = !more;
  };
  element.addEventListener("scroll", element._cue, { passive: true });
  new ResizeObserver(element._cue).observe(element);
  return element._cue;
}

function draw(element, data) {
  const { config, trace, stage, update } = data;
  const L = config.sizes.length - 1;
  const parts = [algorithm(stage, L, config, update)];
  if (!trace) {
    parts.push(el("p", { class: "empty", text: "Choose an example to trace (click a point, pick a row, or type an input)." }));
  } else if (isForward(stage, L)) {
    parts.push(...forwardStep(stage, data));
  } else if (isBackward(stage, L)) {
    parts.push(...backwardStep(litLayer(stage, L), data));
  } else if (isUpdate(stage, L) && update) {
    const redraw = (focus) => {
      render(element, data);
      element.querySelector(`[data-testid="${focus}"]`)?.focus();
    };
    parts.push(...updateStep({ ...data, element, redraw }));
  } else {
    parts.push(...startStep(data));
  }
  element.replaceChildren(...parts);
}
