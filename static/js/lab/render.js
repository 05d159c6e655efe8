// Draws one lab's store into the page: each view is a stateless render(element, data) called
// through the scheduler's memo (only when one of its inputs changed, by identity). The SVG,
// MathML and table views are drawn in a microtask after the change; the Plotly views (data and
// training) in a following task so they never hold up a step.
//
// While training plays, a frame draws the newest snapshot: the diagram, the decision boundary,
// the summary line and the tooltip on every frame; the equations (numbers written in place) at
// most every 250 ms, the loss curves every 500 ms. A view that is off screen is not drawn while
// playing: its memo keeps the inputs it last drew, so it draws once it is back on screen (the
// scheduler's onScreen) or when training stops. The scheduler times each part (sched.costs).
// "While playing" is s.live: from Play until the stream has closed after Pause and the final
// network is in, so the views are drawn in full once, not at the press and again for each late
// epoch and refresh.

import { isBackward, lastStage, stageName } from "../stages.js";
import * as builderView from "../views/builder.js";
import * as dataplotView from "../views/dataplot.js";
import * as diagramView from "../views/diagram.js";
import * as equationsView from "../views/equations.js";
import * as exampleView from "../views/example.js";
import * as layersView from "../views/layers.js";
import * as lessonView from "../views/lesson.js";
import * as timelineView from "../views/timeline.js";
import * as trainingView from "../views/training.js";
import { refreshTooltip } from "../tooltip.js";
import { renderChrome } from "./chrome.js";
import * as extraViews from "./extras.js";

const LIVE_EQUATIONS_EVERY_MS = 250;
const CURVES_EVERY_MS = 500;

export function createRenderer({ store, sched, $, perf, onError, extras = extraViews }) {
  const s = store.state;
  const plotlyReady = () => !!window.Plotly;
  let plotsDrawing = Promise.resolve();
  const pendingPlots = new Set();

  let changed = false; // a store change not drawn yet (a frame draws itself, then the microtask has nothing to do)
  const wake = () => {
    changed = true;
    sched.soon("render", () => changed && core());
  };
  /**
   * Draw the view in element `id` now? Always when paused; while playing only when on screen.
   * (Asked when paused too, so each view is watched before Play: its first frame knows.)
   */
  const shows = (id) => {
    const onScreen = sched.onScreen($(id), wake);
    return !s.live || onScreen;
  };

  function core() {
    changed = false;
    const t0 = performance.now();
    const net = s.network;
    try {
      if (s.meta && s.config) sched.memo("builder", [s.config, s.training, s.meta, s.datasets], () => builderView.render($("builder"), { config: s.config, training: s.training, meta: s.meta, datasets: s.datasets }));
      if (net) {
        const cfg = net.config;
        const L = cfg.sizes.length - 1;
        const stage = Math.min(s.stage, lastStage(L));
        sched.timed("extras", () => extras.render({ s, sched, $ }));
        const wide = extras.layerViewShown(s);
        if (!wide && shows("diagram")) sched.memo("diagram", [net, s.trace, stage, s.diagramMode, s.diverged, s.layerView, s.topEdges, s.live], () => {
          const mode = s.diagramMode === "auto" ? (isBackward(stage, L) ? "gradients" : "values") : s.diagramMode;
          const modeText = `(${mode === "gradients" ? "gradients: \u2207W, \u2207b, \u2207a | \u2207h" : "values: W, b, a | h"})`;
          if ($("diagram-mode").textContent !== modeText) $("diagram-mode").textContent = modeText; // no relayout per frame
          diagramView.render($("diagram"), { sizes: cfg.sizes, W: net.W, b: net.b, activations: cfg.activations, output: cfg.output, trace: s.trace, stage, mode, diverged: s.diverged, layerView: s.layerView, topEdges: s.topEdges, live: s.live, maxWidth: s.meta && s.meta.limits ? s.meta.limits.max_width : null });
        });
        const eqInputs = [net, s.trace, stage, s.update];
        if (!sched.memoSame("equations", eqInputs) && shows("equations")) {
          const drawEquations = () => sched.throttle("equations", LIVE_EQUATIONS_EVERY_MS, s.live, () => {
            if (!s.network) return;
            const depth = s.network.config.sizes.length - 1;
            sched.memo("equations", [s.network, s.trace, Math.min(s.stage, lastStage(depth)), s.update], () => {
              const st = Math.min(s.stage, lastStage(depth));
              $("eq-step").textContent = `\u00B7 ${stageName(st, depth)}`;
              equationsView.render($("equations"), { config: s.network.config, W: s.network.W, b: s.network.b, trace: s.trace, stage: st, update: s.update, live: s.live });
            });
          });
          // While playing, drawing the equations in full (Play shows the output layer's: a new
          // stage) fits them to the panel by drawing them up to four times: that runs in a task of
          // its own, not in the one that draws the frame (together they would be a long task).
          const full = s.live && equationsView.drawsInFull($("equations"), { config: cfg, trace: s.trace, stage, update: s.update, live: true });
          if (full) sched.debounce("equations-full", 0, drawEquations);
          else drawEquations();
        }
        // Paused with a traced example: fit the equations Play will show (the output layer's) now,
        // while idle, so that Play's first frame draws them once instead of fitting them.
        if (!s.live && s.trace && shows("equations")) {
          sched.idle("equations-prefit", 300, () => {
            const n = s.network;
            if (s.live || !n || !s.trace) return;
            sched.timed("equations-prefit", () => equationsView.prefit($("equations"), { config: n.config, W: n.W, b: n.b, trace: s.trace, stage: n.config.sizes.length - 1, update: null, live: true }));
          });
        }
        if (shows("layers")) sched.memo("layers", [net, s.trace, stage, s.live], () => layersView.render($("layers"), { sizes: cfg.sizes, activations: cfg.activations, output: cfg.output, W: net.W, b: net.b, trace: s.trace, stage, live: s.live }));
        if (shows("example")) sched.memo("example", [s.data, s.example, s.trace, net], () => exampleView.render($("example"), { data: s.data, example: s.example, trace: s.trace, n0: cfg.sizes[0], nL: cfg.sizes[L], loss: cfg.loss }));
        if (!sched.memoSame("dataplot", [s.data, s.surface, s.example, net, s.projection, s.projectionLayer]) && shows("dataplot")) pendingPlots.add("dataplot");
        if (!sched.memoSame("training", [s.history, net]) && shows("training")) pendingPlots.add("training");
      }
      // A refused build leaves no network: the old one's views are hidden (room.css), not shown as current.
      const unbuilt = !net && !!s.errors.build;
      const unbuiltMark = unbuilt ? "1" : "";
      if (document.body.dataset.unbuilt !== unbuiltMark) document.body.dataset.unbuilt = unbuiltMark; // body[data-unbuilt] rules: a rewrite restyles
      if (unbuilt) $("status").textContent = "No network: the form above describes one that could not be built.";
      sched.memo("timeline", [s.timeline, s.timelineIndex], () => timelineView.render($("timeline"), { timeline: s.timeline, index: s.timelineIndex }));
      sched.memo("lesson", [s.lessons, s.lesson], () => lessonView.render($("lessons"), { lessons: s.lessons || [], lesson: s.lesson }));
      sched.timed("chrome", () => renderChrome(s, $, store.actions));
    } catch (err) {
      console.error(err);
      onError(`The page failed to draw: ${err.message}`);
    }
    // The hovered element's text, from the values just drawn (it follows the training).
    sched.timed("tooltip", () => refreshTooltip($("tooltip")));
    if (perf) perf.coreRenders.push(Math.round(performance.now() - t0));
    if (pendingPlots.size) sched.debounce("plots", 0, plots);
  }

  /** Draw the Plotly views that changed; resolves when Plotly has drawn them. */
  function plots() {
    sched.cancel("plots");
    const net = s.network;
    if (!net || !plotlyReady() || !pendingPlots.size) return plotsDrawing;
    const cfg = net.config;
    const L = cfg.sizes.length - 1;
    const pending = [];
    const t0 = performance.now();
    try {
      let drewData = false;
      if (pendingPlots.has("dataplot")) {
        pendingPlots.delete("dataplot");
        drewData = sched.memo("dataplot", [s.data, s.surface, s.example, net, s.projection, s.projectionLayer], () => {
          pending.push(dataplotView.render($("dataplot"), { data: s.data, surface: s.surface, example: s.example, nL: cfg.sizes[L], output: cfg.output, projection: s.projection, projectionLayer: s.projectionLayer, L }));
        });
      }
      // While playing, the curves never share a task with the boundary: they follow in their own.
      // Between two draws of the curves, the summary line is written in this frame's task.
      if (pendingPlots.has("training") && s.live && drewData && sched.due("curves", CURVES_EVERY_MS)) sched.debounce("plots", 0, plots);
      else if (pendingPlots.has("training")) {
        const drew = sched.throttle("curves", CURVES_EVERY_MS, s.live, () => {
          pendingPlots.delete("training");
          sched.memo("training", [s.history, s.network], () => pending.push(trainingView.render($("training"), { history: s.history, L, live: s.live, classifies: s.data && s.data.info ? s.data.info.task === "classification" : cfg.loss === "cross_entropy" })));
        });
        if (!drew) sched.timed("summary", () => trainingView.renderSummary($("training"), { history: s.history })); // the newest epoch's numbers now
      }
    } catch (err) {
      console.error(err);
      pendingPlots.clear();
    }
    if (perf) perf.plotRenders.push(Math.round(performance.now() - t0));
    plotsDrawing = Promise.all(pending).catch((err) => console.error(err));
    return plotsDrawing;
  }

  store.subscribe((_state, _changed, action) => {
    // The live views end: the equations and the curves are drawn in full again (their inputs
    // may be those of the last live frame). Play itself redraws nothing for the flag alone.
    if (action === "liveEnded") {
      sched.invalidate("equations");
      sched.invalidate("training");
    }
    wake();
  });

  return {
    /** Draw what changed now (the core views); the plots follow in a task. */
    now() {
      core();
      return Promise.resolve();
    },
    /** Draw the plots now (those whose inputs changed, or all with force). */
    plots(force = false) {
      if (force) {
        sched.invalidate("dataplot");
        sched.invalidate("training");
        pendingPlots.add("dataplot").add("training");
      }
      return plots();
    },
    /** The views' sizes changed: draw the size-dependent views again. */
    resized() {
      sched.invalidate("diagram");
      sched.invalidate("extras-layers");
      sched.invalidate("extras");
      core();
    },
  };
}
