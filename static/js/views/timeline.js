// The session's timeline: every state the parameters went through (built, edited, updated,
// trained, reset, imported). Clicking an entry dispatches "timeline-go" with its index; going
// back puts back the parameters, the step and epoch counters and the optimiser state.

import { el } from "../format.js";

/** data: {timeline: [{label, step, epoch}], index} */
export function render(element, { timeline, index }) {
  if (!element._bound) {
    element._bound = true;
    element.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-index]");
      if (button) element.dispatchEvent(new CustomEvent("timeline-go", { bubbles: true, detail: { index: Number(button.dataset.index) } }));
    });
  }
  const items = timeline.map((t, i) =>
    el("li", {},
      el("button", {
        type: "button", "data-index": i, "data-testid": `timeline-${i}`, "aria-current": i === index ? "true" : "false",
        "aria-label": `Go back to state ${i + 1}: ${t.label}`, title: `step ${t.step}, epoch ${t.epoch}${t.optimizerState && Object.keys(t.optimizerState).length ? ", with the optimiser state" : ""}`,
        text: `${i + 1}. ${t.label}`,
      })));
  element.replaceChildren(...items);
  const current = element.querySelector('[aria-current="true"]');
  // Keep the current entry visible without scrolling the page itself.
  if (current) element.scrollLeft = Math.max(0, current.offsetLeft - element.clientWidth / 2);
}
