// The small editor that sets one weight or bias (opened by a click on it in any view).

import { el, full } from "./format.js";

export function createEditor(host, lab) {
  let opener = null; // what had the focus (a number reached by keyboard gets it back on close)
  const close = () => {
    const hadFocus = host.contains(document.activeElement);
    host.replaceChildren();
    if (hadFocus && opener && opener.isConnected) opener.focus();
    opener = null;
  };

  function open({ name, layer, i, j, value, clientX, clientY }) {
    close();
    opener = document.activeElement && document.activeElement !== document.body ? document.activeElement : null;
    const label = name === "W" ? `W_${layer}[${i},${j}]` : `b_${layer}[${i}]`;
    const input = el("input", { type: "text", inputmode: "decimal", value: full(value), "data-testid": "editor-input", "aria-label": `New value of ${label}` });
    const error = el("p", { class: "error", role: "alert", "data-testid": "editor-error", hidden: true });
    let pending = false; // one PATCH per submission, however it was asked for (Enter, Set, twice)
    const submit = async () => {
      if (pending) return;
      const v = Number(input.value.trim());
      if (input.value.trim() === "" || !Number.isFinite(v)) {
        error.hidden = false;
        error.textContent = `"${input.value}" is not a finite number.`;
        return;
      }
      pending = true;
      try {
        await lab.editParameter({ name, layer, i, j: name === "W" ? j : null, value: v }, label);
        close();
      } catch (err) {
        error.hidden = false;
        error.textContent = err.message;
      } finally {
        pending = false;
      }
    };
    // Enter submits the form (implicit submission): no keydown handler of its own, or it would run twice.
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") close();
    });
    const x = Math.min(clientX + 8, window.innerWidth - 250);
    const y = Math.min(clientY + 8, window.innerHeight - 110);
    const box = el("form", { class: "editor", "data-testid": "editor", role: "dialog", "aria-label": `Edit ${label}`, style: `left:${x}px;top:${y}px`, onsubmit: (e) => { e.preventDefault(); submit(); } },
      el("label", { html: `${name === "W" ? `W<sub>${layer}</sub>[${i},${j}]` : `b<sub>${layer}</sub>[${i}]`} = ` }),
      el("div", { class: "row" }, input,
        el("button", { type: "submit", class: "small primary", "data-testid": "editor-save", text: "Set" }),
        el("button", { type: "button", class: "small", "data-testid": "editor-cancel", onclick: close, text: "Cancel" })),
      el("span", { class: "hint", text: "Enter to set, Esc to cancel. Every view recomputes." }),
      error);
    host.append(box);
    input.focus();
    input.select();
  }

  return { open, close };
}
