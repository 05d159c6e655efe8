// Fitting the equation panel's lines to its width (views/equations.js draws them): does any line
// stick out, and breaking a long line of numbers between its terms.

/** Does any equation stick out of the panel (the boxes of its math measured against the panel's
 * client area: a scrolling panel clips at its scrollbar's gutter)? A few px are kept free for
 * numbers that grow while training plays (written in place; longer ones refit: noteLongest). */
const LIVE_SLACK_PX = 4;
export function overflows(element) {
  const box = element.getBoundingClientRect();
  const left = box.left + element.clientLeft;
  const right = left + element.clientWidth;
  for (const node of element.querySelectorAll(".eq-block, .numbers, .result, math, mtable")) {
    const r = node.getBoundingClientRect();
    // (the blocks span the panel's width by design: only the math inside them keeps the slack)
    const slack = node.matches(".eq-block, .numbers") ? 0 : LIVE_SLACK_PX;
    if (r.right > right - slack + 0.5 || r.left < left - 0.5) return true;
  }
  return false;
}

// While training plays the numbers are written in place, and a number longer than any it showed
// before (-0.998 where 0.85 was) can push its equation out of the panel. Each number's longest
// text since Play (by its label) is kept: only such a new longest text costs a measure, and a
// refit measures every number at its longest, so the ones that shrank again still fit when they
// grow back (the refits stop once the lengths stop growing; nothing is measured per frame).
const labelOf = (node, i) => (node.getAttribute("data-tip") || "").split(" = ")[0] || `#${i}`;

/** Note each shown number's text; true when one is longer than it has been since Play. */
export function noteLongest(element, numbers) {
  const longest = (element._longest ||= new Map());
  let grew = false;
  numbers.forEach((node, i) => {
    const key = labelOf(node, i);
    const text = node.textContent;
    const before = longest.get(key);
    if (before === undefined || text.length > before.length) {
      longest.set(key, text);
      if (before !== undefined) grew = true;
    }
  });
  return grew;
}

/** Forget the numbers' longest texts (paused: the panel is fitted to the numbers it shows). */
export function forgetLongest(element) {
  element._longest = null;
}

// The widest a number of this magnitude reads: negative, with its three digits (0.85 -> -0.850);
// a zero (a bias at its start) or a tiny number as a tiny one with an exponent (-1.00e-4).
function widest(node) {
  const v = Math.abs(Number(node.getAttribute("data-value")));
  if (!Number.isFinite(v)) return "";
  return (v < 1e-3 ? "\u22121.00e\u22124" : `\u2212${v.toPrecision(3)}`).replace("-", "\u2212");
}

/**
 * measure() with every number showing its longest text since Play (live: or the widest its
 * magnitude reads, whichever is longer, so that the fit at Play leaves room for the signs and
 * digits training brings); their texts are restored after.
 */
export function asLongest(element, live, measure) {
  const longest = live ? element._longest || new Map() : null;
  if (!longest) return measure();
  const shown = [];
  element.querySelectorAll("mn[data-value]").forEach((node, i) => {
    const seen = longest.get(labelOf(node, i)) || "";
    const wide = widest(node);
    const text = seen.length > wide.length ? seen : wide;
    if (text.length > node.textContent.length) {
      shown.push([node, node.textContent]);
      node.textContent = text;
    }
  });
  try {
    return measure();
  } finally {
    for (const [node, text] of shown) node.textContent = text;
  }
}

const MATHML = "http://www.w3.org/1998/Math/MathML";

/**
 * A line of numbers wider than the panel is broken between its terms (at the top level of the
 * line, as one breaks a long formula by hand): each piece becomes its own <math> line.
 */
export function wrapLongLines(element) {
  const width = element.clientWidth;
  for (const block of element.querySelectorAll(".numbers, .result, .eq-block")) {
    const math = block.querySelector(":scope > math");
    if (!math || math.getBoundingClientRect().width <= block.clientWidth + 0.5) continue;
    let terms = [...math.children];
    while (terms.length === 1 && terms[0].tagName === "mrow") terms = [...terms[0].children];
    if (terms.length === 2 && terms[1].tagName === "mrow") terms = [terms[0], ...terms[1].children];
    if (terms.length < 2) continue;
    // An operator starts a line with the term after it (a line never ends with "=" or "+").
    const groups = [];
    for (const term of terms) {
      const last = groups[groups.length - 1];
      if (last && last.length === 1 && last[0].tagName === "mo") last.push(term);
      else groups.push([term]);
    }
    const label = math.getAttribute("aria-label") || "";
    block.classList.add("wrapped"); // the lines' final layout while they are measured
    const lines = [];
    let line = null;
    const room = Math.min(width, block.clientWidth) - 24; // the continuation lines are indented
    for (const group of groups) {
      if (!line) {
        line = document.createElementNS(MATHML, "math");
        line.setAttribute("aria-label", lines.length ? `${label} (continued)` : label);
        line.setAttribute("class", lines.length ? "cont" : "");
        block.append(line);
        lines.push(line);
      }
      const before = line.childNodes.length;
      line.append(...group);
      // The width of the terms themselves (a <math> box may be stretched or capped by its line).
      const span = group[group.length - 1].getBoundingClientRect().right - line.firstElementChild.getBoundingClientRect().left;
      if (before > 0 && span > room) {
        for (const node of group) line.removeChild(node);
        line = document.createElementNS(MATHML, "math");
        line.setAttribute("aria-label", `${label} (continued)`);
        line.setAttribute("class", "cont");
        block.append(line);
        lines.push(line);
        line.append(...group);
      }
    }
    math.remove();
    block.classList.add("wrapped");
  }
}
