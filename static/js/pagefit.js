// The lab's left column (lessons and form) is sticky inside the scrolling main area on a desktop
// (app.css); its height is the main area's visible height, which the bars above it (divergence
// banner, gradient alert, quiz) change. A ResizeObserver keeps --main-h on <main>: it runs after
// layout, and only when that height changes (never per frame while training plays).
(function () {
  document.addEventListener("DOMContentLoaded", () => {
    const main = document.querySelector("main.main");
    if (!main || typeof ResizeObserver === "undefined") return;
    let last = -1;
    new ResizeObserver(() => {
      const h = main.clientHeight;
      if (h === last) return;
      last = h;
      main.style.setProperty("--main-h", `${h}px`);
    }).observe(main);
  });
})();
