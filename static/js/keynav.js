// Keyboard reach for the numbers a student edits: one tab stop per group (the diagram, each
// table of a layer panel), arrow keys within it, Enter or Space to act on the focused item.
// Items are laid out by position [row, column]: Up/Down move within a column (in the diagram, the
// units of one layer), Left/Right to the next column, to the item nearest the same row.

/** Make `selector` items in `container` reachable: one with tabindex 0, the rest -1 (roving). */
export function refreshRoving(container, selector) {
  const items = [...container.querySelectorAll(selector)];
  if (!items.length) return;
  const current = items.find((n) => n.getAttribute("tabindex") === "0") || items[0];
  for (const n of items) n.setAttribute("tabindex", n === current ? "0" : "-1");
}

function move(items, from, key, posOf) {
  const [row, col] = posOf(from);
  if (key === "ArrowUp" || key === "ArrowDown") {
    const want = row + (key === "ArrowUp" ? -1 : 1);
    return items.find((n) => { const [r, c] = posOf(n); return c === col && r === want; }) || null;
  }
  const cols = [...new Set(items.map((n) => posOf(n)[1]))].sort((a, b) => a - b);
  const next = cols[cols.indexOf(col) + (key === "ArrowLeft" ? -1 : 1)];
  if (next === undefined) return null;
  let best = null;
  for (const n of items) {
    const [r, c] = posOf(n);
    if (c === next && (!best || Math.abs(r - row) < Math.abs(posOf(best)[0] - row))) best = n;
  }
  return best;
}

/**
 * bindRoving(container, selector, posOf, activate): arrow keys move the focus among the items,
 * Enter / Space call activate(item). Call refreshRoving after every render that rebuilds items.
 */
export function bindRoving(container, selector, posOf, activate) {
  if (container._roving && container._roving.has(selector)) return;
  container._roving = container._roving || new Set();
  container._roving.add(selector);
  container.addEventListener("keydown", (e) => {
    const item = e.target.closest && e.target.closest(selector);
    if (!item || !container.contains(item) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      e.stopPropagation();
      activate(item);
      return;
    }
    if (!["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"].includes(e.key)) return;
    e.preventDefault();
    const scope = item.closest("table") || container;
    const items = [...scope.querySelectorAll(selector)];
    const next = move(items, item, e.key, posOf);
    if (!next) return;
    item.setAttribute("tabindex", "-1");
    next.setAttribute("tabindex", "0");
    next.focus();
  });
}

/** Click an element as the keyboard would: at its own place (the editor opens beside it). */
export function pressAt(node) {
  const r = node.getBoundingClientRect();
  node.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: r.right, clientY: r.bottom }));
}
