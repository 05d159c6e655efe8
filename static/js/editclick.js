// Clicking any element marked data-edit="W:k:i:j" or "b:k:i:" inside a view asks to edit that
// parameter: the view dispatches an "edit-parameter" event and main.js opens the editor.

export function bindEditClicks(element) {
  if (element.dataset.editBound) return;
  element.dataset.editBound = "1";
  element.addEventListener("click", (event) => {
    const target = event.target.closest("[data-edit]");
    if (!target || !element.contains(target)) return;
    const [name, layer, i, j] = target.dataset.edit.split(":");
    element.dispatchEvent(
      new CustomEvent("edit-parameter", {
        bubbles: true,
        detail: {
          name,
          layer: Number(layer),
          i: Number(i),
          j: j === "" || j === undefined ? null : Number(j),
          value: Number(target.dataset.value),
          clientX: event.clientX,
          clientY: event.clientY,
        },
      }),
    );
  });
}
