// Lessons (GET /lessons): a picker, and the open lesson's explanation, what to look at, and the
// networks it compares with. Choosing emits "open-lesson" {id}; a comparison emits
// "lesson-network" {setup: {network, training, label}} (the lesson itself or one of lesson.compare).

import { el } from "../format.js";

function bind(element) {
  if (element._bound) return;
  element._bound = true;
  element.addEventListener("change", (event) => {
    if (event.target.matches("select[data-testid='f-lesson']")) {
      element.dispatchEvent(new CustomEvent("open-lesson", { bubbles: true, detail: { id: event.target.value } }));
    }
  });
  element.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-compare]");
    if (!button) return;
    const lesson = element._lesson;
    const i = Number(button.dataset.compare);
    const setup = i < 0 ? { network: lesson.network, training: lesson.training, label: lesson.label } : lesson.compare[i];
    element.dispatchEvent(new CustomEvent("lesson-network", { bubbles: true, detail: { setup } }));
  });
}

/** data: {lessons: [{id, title, summary}], lesson: full lesson or null} */
export function render(element, { lessons, lesson }) {
  bind(element);
  element._lesson = lesson;
  const select = el("select", { "data-testid": "f-lesson", "aria-label": "Open a lesson" },
    el("option", { value: "", text: lessons.length ? "choose a lesson\u2026" : "no lessons" }),
    lessons.map((l) => el("option", { value: l.id, text: l.title, selected: lesson && lesson.id === l.id ? true : null })));
  const parts = [select];
  if (lesson) {
    parts.push(
      el("div", { class: "lesson", "data-testid": "lesson" },
        el("h3", { text: lesson.title }),
        el("p", { class: "hint", text: lesson.summary }),
        el("details", {},
          el("summary", { text: "Why, and what to look at" }),
          el("p", { class: "lesson-text", text: lesson.explanation }),
          el("ul", { class: "lesson-text" }, (lesson.look_at || []).map((t) => el("li", { text: t })))),
        lesson.compare && lesson.compare.length
          ? el("div", { class: "compare" },
              el("span", { class: "hint", text: "Compare: " }),
              el("button", { type: "button", class: "small", "data-compare": -1, "aria-label": `Load ${lesson.label}`, text: lesson.label }),
              lesson.compare.map((c, i) => el("button", { type: "button", class: "small", "data-compare": i, title: c.note || null, "aria-label": `Load ${c.label}`, text: c.label })))
          : null),
      // Projector mode shows only this: the title and what to look at, readable from the back.
      el("section", { class: "lesson-projector", "data-testid": "lesson-projector", "aria-label": `Lesson: ${lesson.title}` },
        el("h2", { text: lesson.title }),
        el("ul", {}, (lesson.look_at || []).map((t) => el("li", { text: t })))),
    );
  }
  element.replaceChildren(...parts);
}
