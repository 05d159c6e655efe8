// The page's hover tooltip for elements without a native one: MathML numbers, the diagram and
// the heatmaps. Its text is the hovered element's data-tip; a view that computes its tips from
// the values it drew (the diagram) sets `_describeTip(node)` on its root element, and the
// renderer calls refreshTooltip after each draw, so the text follows the values while training
// plays (HTML table cells use the title attribute instead).

/** The tip of `node`: from the nearest view that describes its nodes, else its data-tip. */
function tipText(node) {
  for (let host = node; host; host = host.parentElement) {
    if (host._describeTip) {
      const text = host._describeTip(node);
      if (node.getAttribute("data-tip") !== text) node.setAttribute("data-tip", text);
      return text;
    }
  }
  return node.getAttribute("data-tip") || "";
}

/** Show `tip` beside the pointer over any [data-tip] element (mousemove: a heatmap canvas changes its text from cell to cell). */
export function bindTooltip(tip) {
  document.addEventListener("mousemove", (e) => {
    const node = e.target.closest && e.target.closest("[data-tip]");
    if (!node) {
      tip.hidden = true;
      tip._node = null;
      return;
    }
    tip.textContent = tipText(node);
    tip._node = node;
    tip.hidden = false;
    const x = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = e.clientY + 18 + tip.offsetHeight > window.innerHeight ? e.clientY - tip.offsetHeight - 10 : e.clientY + 18;
    tip.style.left = `${Math.max(4, x)}px`;
    tip.style.top = `${Math.max(4, y)}px`;
  });
}

/** After a draw: hide the tip when its element is gone (redrawn), else give it the element's current text. */
export function refreshTooltip(tip) {
  if (!tip || tip.hidden) return;
  const node = tip._node;
  if (!node || !node.isConnected) {
    tip.hidden = true;
    return;
  }
  const text = tipText(node);
  if (tip.textContent !== text) tip.textContent = text;
}
