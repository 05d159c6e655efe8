// The lab page's controls: the stepper (forward, backward, update, full step, epoch, play,
// reset), the stage track, the builder's events, the keys, and the hover tooltip. Every handler
// calls a flow of the lab (lab/flows.js) or a named action of the store; none writes state.

import { lastStage } from "./stages.js";
import { bindTooltip } from "./tooltip.js";
import { trainingProblems } from "./validate.js";

const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

export function bindControls({ lab, sched, renderer, editor, share, quiz, $, perf, writeUrl }) {
  const s = lab.store.state;
  const act = lab.store.actions;
  const L = () => s.network.config.sizes.length - 1;

  /** Run a move and time it: JavaScript work to update every view, and until the frame is painted. */
  async function timed(kind, fn) {
    const t0 = performance.now();
    performance.mark(`${kind}-start`);
    fn();
    await renderer.now();
    const render = performance.now() - t0;
    await nextPaint();
    const ms = performance.now() - t0;
    performance.measure(`${kind}-redraw`, { start: t0, duration: ms });
    perf.steps.push({ kind, stage: s.stage, ms, render });
  }

  async function forward() {
    if ($("btn-forward").disabled) return;
    const next = s.stage >= 2 * L() ? 1 : s.stage + 1;
    const advance = () => timed("forward", () => act.movedTo(next));
    if (quiz.intercept(next, advance)) return; // quiz mode: predict first, then the step runs
    await advance();
  }

  async function backward() {
    if ($("btn-backward").disabled) {
      if (s.trace && s.stage < L()) act.errorSet("step", `Run the forward pass to the output first: press Forward until layer ${L()}.`);
      return;
    }
    const next = s.stage + 1;
    const advance = () => timed("backward", () => act.movedTo(next));
    if (quiz.intercept(next, advance)) return;
    await advance();
  }

  async function update() {
    if ($("btn-update").disabled) {
      if (s.trace) act.errorSet("step", "Finish the backward pass first: the update needs every gradient (press Backward).");
      return;
    }
    await lab.step("update");
  }

  async function fullStep() {
    if (!$("btn-fullstep").disabled) await lab.step("full step");
  }

  async function epoch() {
    if (!$("btn-epoch").disabled) await lab.train(1);
  }

  async function togglePlay() {
    if (!s.playing && $("btn-play").disabled) return;
    await lab.player.toggle();
  }

  const reset = () => lab.reset();
  const keyActions = { f: forward, b: backward, u: update, s: fullStep, e: epoch, r: reset, " ": togglePlay };

  $("btn-forward").addEventListener("click", forward);
  $("btn-backward").addEventListener("click", backward);
  $("btn-update").addEventListener("click", update);
  $("btn-fullstep").addEventListener("click", fullStep);
  $("btn-epoch").addEventListener("click", epoch);
  $("btn-play").addEventListener("click", togglePlay);
  $("btn-reset").addEventListener("click", reset);
  document.addEventListener("reset-network", reset);
  $("btn-export").addEventListener("click", share.exportNetwork);
  $("btn-copy-link").addEventListener("click", share.copyLink);
  $("f-import").addEventListener("change", (e) => {
    const file = e.target.files && e.target.files[0];
    if (file) share.importNetwork(file);
    e.target.value = "";
  });
  $("f-diagram-mode").addEventListener("change", (e) => act.diagramModeSet(e.target.value));
  $("f-layer-view").addEventListener("change", (e) => act.layerViewSet(e.target.value));
  $("f-top-edges").addEventListener("change", (e) => act.topEdgesSet(Number(e.target.value)));
  $("f-projection-layer").addEventListener("change", (e) => {
    act.projectionLayerSet(Number(e.target.value));
    lab.refreshExtras();
  });
  $("stage-track").addEventListener("click", (e) => {
    const b = e.target.closest("button[data-stage]");
    if (!b || b.disabled) return;
    const i = Math.min(Number(b.dataset.stage), lastStage(L()));
    timed("jump", () => act.movedTo(i));
  });

  const builder = $("builder");
  builder.addEventListener("config-change", (e) => {
    act.configSet(e.detail);
    // The link is written once the network it describes is built (the URL then names what is shown).
    sched.debounce("build", 60, async () => {
      await lab.build({ keepExample: true });
      writeUrl();
    });
  });
  builder.addEventListener("training-change", (e) => {
    const problems = trainingProblems(e.detail);
    if (problems.length) {
      act.trainingRefused(`Not changed: ${problems.join("; ")}.`);
      return;
    }
    act.trainingSet(e.detail);
    writeUrl();
  });

  document.addEventListener("choose-example", (e) => {
    lab.chooseExample(e.detail);
    writeUrl();
  });
  document.addEventListener("example-error", (e) => act.errorSet("example", e.detail.message));
  document.addEventListener("edit-parameter", (e) => editor.open(e.detail));
  document.addEventListener("timeline-go", (e) => lab.goToTimeline(e.detail.index));
  document.addEventListener("open-lesson", (e) => share.openLesson(e.detail.id));
  document.addEventListener("lesson-network", (e) => share.loadLessonNetwork(e.detail.setup));

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape") {
      editor.close();
      return;
    }
    const t = e.target;
    if (t && (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName))) return;
    // Space and Enter on a focused button, link or summary press that control, as everywhere else.
    if ((e.key === " " || e.key === "Enter") && t && t.closest && t.closest("button, a[href], summary, [role='button'], [role='tab']")) return;
    const action = keyActions[e.key.toLowerCase()];
    if (action) {
      e.preventDefault();
      action();
    }
  });

  bindTooltip($("tooltip")); // hover tooltips (tooltip.js): their text follows the values drawn

  new ResizeObserver(() => sched.debounce("resize", 80, () => renderer.resized())).observe($("diagram"));
}
