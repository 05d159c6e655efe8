// The lab page: one store (state.js, written only by its named actions), one scheduler (every
// throttle and memo), one lab (lab/flows.js: the round trips to the API), the renderer
// (lab/render.js: stateless views drawn from the store) and the controls that call the flows.

import { api, ApiError } from "./api.js";
import { bindControls } from "./controls.js";
import * as derivation from "./derive.js";
import { createEditor } from "./editor.js";
import * as insight from "./insight.js";
import { projectionFetches } from "./lab/fetchextras.js";
import { createLab } from "./lab/flows.js";
import { createRenderer } from "./lab/render.js";
import * as quiz from "./quiz.js";
import { createScheduler } from "./scheduler.js";
import { createShare } from "./share.js";
import { createLabStore } from "./state.js";
import { DEFAULT_TRAINING, fromLesson, fromQuery, toQuery } from "./url.js";

const $ = (id) => document.getElementById(id);
const perf = (window.__perf = { interactive: null, plotsReady: null, steps: [], frames: [], trainingFps: null, coreRenders: [], plotRenders: [], frameParts: [] });

const store = createLabStore();
const sched = createScheduler();
const s = store.state;
const act = store.actions;
const lab = createLab({ store, sched, fault: (net) => insight.faultLayer(net), perf, extras: (l, opts) => projectionFetches(l, opts), dropOnFailedBuild: true });
const renderer = createRenderer({ store, sched, $, perf, onError: (message) => act.errorSet("step", message) });
lab.player.hooks.frame = () => {
  const t1 = performance.now();
  renderer.now();
  const t2 = performance.now();
  renderer.plots();
  // More than two inputs: the projected points move with the training (a request every 500 ms).
  if (s.network && s.network.config.sizes[0] > 2 && s.data) sched.throttle("projection-live", 500, true, () => lab.refreshExtras());
  return { core: Math.round(t2 - t1), plots: Math.round(performance.now() - t2) };
};
lab.player.hooks.finished = () => renderer.plots(); // the curves' last points, held back while playing

// Page-wide handles for the classroom helpers (projector, tests): read the state, never write it.
window.__lab = { store, sched, lab };

function writeUrl() {
  if (!s.config) return;
  const q = toQuery(s.config, s.training, s.example, s.lesson ? s.lesson.id : null, s.quiz);
  if (q !== location.search) history.replaceState(null, "", q);
  $("link-compare").href = `/compare${toQuery(s.config, s.training, s.example)}`; // this network, on the compare page
}

// Plotly is loaded after the page is interactive (the file is preloaded by the template): the
// stepper, diagram, equations and layer panels do not need it; the data and training plots follow.
function loadPlotly() {
  if (window.Plotly) return Promise.resolve();
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = $("main-js").dataset.plotlySrc;
    script.onload = resolve;
    script.onerror = () => {
      act.errorSet("train", "The plotting library could not be loaded: the data and training plots are unavailable.");
      resolve();
    };
    document.head.append(script);
  });
}

const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

async function init() {
  const parsed = fromQuery(location.search);
  try {
    const [meta, datasets, lessons, lesson] = await Promise.all([
      api.meta(),
      api.datasets(),
      api.lessons().catch(() => []),
      parsed.lesson ? api.lesson(parsed.lesson).catch(() => null) : null,
    ]);
    act.loaded({ meta, datasets, lessons, lesson });
    if (parsed.lesson && !lesson) act.errorSet("lesson", `There is no lesson "${parsed.lesson}".`);
    if (lesson && !parsed.hasConfig) {
      // A lesson link (/?lesson=id) opens the lesson's own network, data, training and example.
      const fromIt = fromLesson(lesson);
      parsed.config = fromIt.config;
      parsed.training = fromIt.training;
      if (fromIt.example) parsed.example = fromIt.example;
    }
  } catch (err) {
    act.errorSet("build", err instanceof ApiError ? err.message : String(err));
    return;
  }
  const optimizers = s.meta.optimizers || ["sgd"];
  const training = { ...DEFAULT_TRAINING, ...parsed.training };
  if (!optimizers.includes(training.optimizer)) training.optimizer = "sgd";
  act.started({ config: parsed.config, training, example: parsed.example || s.example });
  quiz.init({ ...parsed.quiz, writeUrl, store });
  const editor = createEditor($("editor-host"), lab);
  const share = createShare({ lab, $, writeUrl });
  bindControls({ lab, sched, renderer, editor, share, quiz, $, perf, writeUrl });
  insight.init({ retrace: () => lab.refreshTrace(), store, sched });
  derivation.init({ store });
  writeUrl();
  const built = lab.build({ keepExample: !!parsed.example });
  await built;
  writeUrl();
  await renderer.now();
  await nextPaint();
  perf.interactive = performance.now();
  performance.mark("interactive");
  document.body.dataset.ready = "1";
  await loadPlotly();
  await renderer.plots(true);
  await nextPaint();
  perf.plotsReady = performance.now();
  performance.mark("plots-ready");
}

window.addEventListener("pagehide", () => lab.player.stop());
init();
