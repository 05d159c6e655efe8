// The diagram's hover tips: the exact values behind the element under the pointer, in the notes'
// names (tooltip.js shows them and asks again after each render, so a tip follows the training).

import { full } from "../format.js";

export const exact = (v) => (v === undefined ? "not computed yet" : v === null ? "non-finite" : full(v));

/** The exact values behind the element under the pointer, in the notes' names. */
function describe(element, node) {
  const data = element._data;
  const reveal = element._reveal;
  if (!data || !reveal) return "";
  const [kind, ks, is, js] = node.getAttribute("data-tip-of").split(":");
  const k = Number(ks);
  const i = Number(is);
  const L = data.sizes.length - 1;
  const act = k === L ? data.output : data.activations[k - 1];
  if (kind === "W") {
    const j = Number(js);
    const gW = reveal.GW(k);
    let t = `W_${k}[${i},${j}] = ${exact(data.W[k - 1][i][j])}   (from h_${k - 1}[${j}] to a_${k}[${i}])`;
    if (gW) t += `\ngrad_W_${k}[${i},${j}] = ${exact(gW[i][j])}`;
    return `${t}\nclick to edit this weight`;
  }
  if (kind === "b") {
    const gb = reveal.GB(k);
    let t = `b_${k}[${i}] = ${exact(data.b[k - 1][i])}`;
    if (gb) t += `\ngrad_b_${k}[${i}] = ${exact(gb[i])}`;
    return `${t}\nclick to edit this bias`;
  }
  if (kind === "x") {
    const gh = reveal.GH(0, i);
    return `h_0[${i}] = x[${i}] = ${exact(reveal.H(0, i))}${gh !== undefined ? `\ngrad_h_0[${i}] = ${exact(gh)}` : ""}`;
  }
  if (kind === "a") {
    const ga = reveal.GA(k, i);
    return `a_${k}[${i}] = ${exact(reveal.A(k, i))}   (pre-activation)${ga !== undefined ? `\ngrad_a_${k}[${i}] = ${exact(ga)}` : ""}`;
  }
  if (kind === "h") {
    const name = k === L ? `h_${L}[${i}] = y_hat[${i}]` : `h_${k}[${i}]`;
    const gh = k < L ? reveal.GH(k, i) : undefined;
    return `${name} = ${act}(a_${k}[${i}]) = ${exact(reveal.H(k, i))}${gh !== undefined ? `\ngrad_h_${k}[${i}] = ${exact(gh)}` : ""}`;
  }
  if (kind === "y") return `target y[${i}] = ${exact(data.trace ? data.trace.y[0][i] : undefined)}`;
  return "";
}

export function bindTips(element) {
  if (element._tipsBound) return;
  element._tipsBound = true;
  // tooltip.js asks again after each render, so a hovered tip follows the training.
  element._describeTip = (node) => (node.hasAttribute("data-tip-of") ? describe(element, node) : node.getAttribute("data-tip") || "");
  element.addEventListener("mouseover", (event) => {
    const node = event.target.closest && event.target.closest("[data-tip-of]");
    if (node) node.setAttribute("data-tip", describe(element, node));
  });
}
