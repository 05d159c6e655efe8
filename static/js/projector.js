// Projector mode, for a class watching one screen: the controls are hidden (the keys still work:
// F, B, U, S, E, Space, R), the type is larger and the contrast higher. Enter it with the
// "Projector" link in the top bar, or open a link with ?projector=1 (e.g. /?lesson=xor-hidden-layer&projector=1);
// it then stays on in this tab, across reloads, until "Exit projector" (or ?projector=0).
// A classic script in <head>, so the class is set before the page is first drawn.
(function () {
  const KEY = "backprop-lab.projector";
  const root = document.documentElement;

  function remembered() {
    try {
      return sessionStorage.getItem(KEY) === "1";
    } catch {
      return false;
    }
  }

  function remember(on) {
    try {
      if (on) sessionStorage.setItem(KEY, "1");
      else sessionStorage.removeItem(KEY);
    } catch {
      // storage refused (private mode): the mode lasts until the next reload
    }
  }

  function label(link, on) {
    link.textContent = on ? "Exit projector" : "Projector";
    link.title = on ? "Back to the full page with its controls" : "Larger type, high contrast, no controls: for a projector";
    link.setAttribute("aria-pressed", String(on));
  }

  function set(on) {
    root.classList.toggle("projector", on);
    remember(on);
    const link = document.getElementById("projector-link");
    if (link) label(link, on);
    window.dispatchEvent(new Event("resize")); // the plots take the new width
  }

  const asked = new URLSearchParams(location.search).get("projector");
  if (asked === "1" || asked === "0") remember(asked === "1");
  root.classList.toggle("projector", remembered());

  document.addEventListener("DOMContentLoaded", () => {
    const bar = document.querySelector(".topbar");
    if (!bar) return;
    const keys = document.createElement("p");
    keys.className = "projector-keys";
    keys.dataset.testid = "projector-keys";
    keys.textContent = "F forward \u00b7 B backward \u00b7 U update \u00b7 S step \u00b7 E epoch \u00b7 Space play \u00b7 R reset";
    const link = document.createElement("a");
    link.id = "projector-link";
    link.className = "projector-link";
    link.dataset.testid = "projector-link";
    link.href = "?projector=1";
    link.setAttribute("role", "button");
    label(link, root.classList.contains("projector"));
    link.addEventListener("click", (event) => {
      event.preventDefault(); // toggle in place: the network and the URL stay as they are
      set(!root.classList.contains("projector"));
    });
    bar.append(keys, link);
  });
})();
