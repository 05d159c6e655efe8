// Fitting the equation panel's lines to its width (views/equations.js draws them): does any line
// stick out, and breaking a long line of numbers between its terms.

/** Does any equation stick out of the panel (the boxes of its math measured against the panel's
 * client area: a scrolling panel clips at its scrollbar's gutter)? A few px are kept free, so numbers
 * that grow a digit while training plays (updated in place, not refitted) still fit. */
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
