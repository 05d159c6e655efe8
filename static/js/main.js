// Wires the page: reads the URL, builds the network through the API, keeps the one state object
// up to date (setState), and redraws the views whose inputs changed. Stepping reveals the
// backward trace (fetched once per traced example) layer by layer, so a step needs no request.

import { api, ApiError, exampleBody } from "./api.js";
import { el, full } from "./format.js";
import { isBackward, isForward, lastStage, stageName, stageShort } from "./stages.js";
import { setError, setState, state, subscribe } from "./state.js";
import { DEFAULT_TRAINING, configFromNetwork, datasetSpec, fromLesson, fromQuery, networkBody, toQuery } from "./url.js";
import * as insight from "./insight.js";
import * as quiz from "./quiz.js";
import * as builderView from "./views/builder.js";
import * as dataplotView from "./views/dataplot.js";
import * as diagramView from "./views/diagram.js";
import * as equationsView from "./views/equations.js";
import * as exampleView from "./views/example.js";
import * as layersView from "./views/layers.js";
import * as lessonView from "./views/lesson.js";
import * as timelineView from "./views/timeline.js";
import * as trainingView from "./views/training.js";

const $ = (id) => document.getElementById(id);
const perf = (window.__perf = { interactive: null, plotsReady: null, steps: [], frames: [], trainingFps: null, coreRenders: [], plotRenders: [], frameParts: [] });
const SURFACE_RESOLUTION = 48;

// ---------------------------------------------------------------------------------------------
// Rendering: collect the changed keys, redraw once per microtask.

const DEPS = {
  builder: ["config", "training", "meta", "datasets"],
  diagram: ["network", "trace", "stage", "diagramMode", "diverged"],
  equations: ["network", "trace", "stage", "update"],
  layers: ["network", "trace", "stage"],
  dataplot: ["data", "surface", "example", "network"],
  example: ["data", "example", "trace", "network"],
  training: ["history", "network"],
  timeline: ["timeline", "timelineIndex"],
  lesson: ["lessons", "lesson"],
};
let dirty = new Set();
let scheduled = false;
const LIVE_EQUATIONS_EVERY_MS = 250;
let equationsAt = 0;
let equationsHeld = false; // a redraw of the equations is due (held back while training plays)

subscribe((_s, changed) => {
  for (const k of changed) dirty.add(k);
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(() => renderNow());
  }
});

const needs = (view) => DEPS[view].some((k) => dirty.has(k));

// Plotly is loaded after the page is interactive (the file is preloaded by the template): the
// stepper, diagram, equations and layer panels do not need it; the data and training plots follow.
const plotlyReady = () => !!window.Plotly;
function loadPlotly() {
  if (plotlyReady()) return Promise.resolve();
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = $("main-js").dataset.plotlySrc;
    script.onload = resolve;
    script.onerror = () => {
      setError("train", "The plotting library could not be loaded: the data and training plots are unavailable.");
      resolve();
    };
    document.head.append(script);
  });
}

/**
 * Redraw every view whose inputs changed. The SVG/MathML/table views are drawn now; the two
 * Plotly views (data and training) are drawn in a following task so they never hold up a step.
 */
function renderNow() {
  scheduled = false;
  if (!dirty.size) return Promise.resolve();
  const t0 = performance.now();
  const s = state;
  const net = s.network;
  try {
    if (needs("builder") && s.meta && s.config) builderView.render($("builder"), { config: s.config, training: s.training, meta: s.meta, datasets: s.datasets });
    if (net) {
      const cfg = net.config;
      const L = cfg.sizes.length - 1;
      const stage = Math.min(s.stage, lastStage(L));
      if (needs("diagram")) {
        const mode = s.diagramMode === "auto" ? (isBackward(stage, L) ? "gradients" : "values") : s.diagramMode;
        $("diagram-mode").textContent = `(${mode === "gradients" ? "gradients: \u2207W, \u2207b, \u2207a | \u2207h" : "values: W, b, a | h"})`;
        diagramView.render($("diagram"), { sizes: cfg.sizes, W: net.W, b: net.b, activations: cfg.activations, output: cfg.output, trace: s.trace, stage, mode, diverged: s.diverged });
      }
      if (needs("equations") || equationsHeld) {
        // While training plays, the equations (rebuilt MathML) redraw at most every LIVE_EQUATIONS_EVERY_MS.
        equationsHeld = s.playing && t0 - equationsAt < LIVE_EQUATIONS_EVERY_MS;
        if (!equationsHeld) {
          equationsAt = t0;
          $("eq-step").textContent = `\u00B7 ${stageName(stage, L)}`;
          equationsView.render($("equations"), { config: cfg, W: net.W, b: net.b, trace: s.trace, stage, update: s.update });
        }
      }
      if (needs("layers")) layersView.render($("layers"), { sizes: cfg.sizes, activations: cfg.activations, output: cfg.output, W: net.W, b: net.b, trace: s.trace, stage, live: s.playing });
      if (needs("example")) exampleView.render($("example"), { data: s.data, example: s.example, trace: s.trace, n0: cfg.sizes[0], nL: cfg.sizes[L], loss: cfg.loss });
      if (needs("dataplot")) plotsDirty.add("dataplot");
      if (needs("training")) plotsDirty.add("training");
    }
    if (needs("timeline")) timelineView.render($("timeline"), { timeline: s.timeline, index: s.timelineIndex });
    if (needs("lesson")) lessonView.render($("lessons"), { lessons: s.lessons || [], lesson: s.lesson });
    renderChrome();
  } catch (err) {
    console.error(err);
    showStepError(`The page failed to draw: ${err.message}`);
  }
  dirty = new Set();
  $("tooltip").hidden = true; // its text may be out of date now
  perf.coreRenders.push(Math.round(performance.now() - t0));
  if (plotsDirty.size && !plotsTimer) plotsTimer = setTimeout(() => renderPlots(), 0);
  return Promise.resolve();
}

const plotsDirty = new Set();
let plotsTimer = null;
let plotsDrawing = Promise.resolve();

// While training plays, the loss/gradient-norm curves (the costliest figure) redraw at most
// this often (with every epoch's point); the boundary, the diagram, the numbers in the layer
// panels and the newest epoch's numbers above the curves redraw on every frame (the layer
// panels' charts and the equations at most every 250 ms).
const CURVES_EVERY_MS = 500;
let curvesDrawnAt = 0;

/** Draw the Plotly views that changed; resolves when Plotly has drawn them. */
function renderPlots() {
  clearTimeout(plotsTimer);
  plotsTimer = null;
  const s = state;
  const net = s.network;
  if (!net || !plotlyReady() || !plotsDirty.size) return plotsDrawing;
  const cfg = net.config;
  const L = cfg.sizes.length - 1;
  const pending = [];
  const t0 = performance.now();
  try {
    if (plotsDirty.has("dataplot")) {
      pending.push(dataplotView.render($("dataplot"), { data: s.data, surface: s.surface, example: s.example, nL: cfg.sizes[L], output: cfg.output }));
      plotsDirty.delete("dataplot");
    }
    if (plotsDirty.has("training") && !(s.playing && t0 - curvesDrawnAt < CURVES_EVERY_MS)) {
      pending.push(trainingView.render($("training"), { history: s.history, L, live: s.playing }));
      plotsDirty.delete("training");
      curvesDrawnAt = t0;
    } else if (plotsDirty.has("training")) {
      trainingView.renderSummary($("training"), { history: s.history }); // the newest epoch's numbers now
    }
  } catch (err) {
    console.error(err);
    plotsDirty.clear();
  }
  perf.plotRenders.push(Math.round(performance.now() - t0));
  plotsDrawing = Promise.all(pending).catch((err) => console.error(err));
  return plotsDrawing;
}

/** Set a node's text only when it differs (an unchanged text then costs no layout). */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function renderChrome() {
  const s = state;
  const net = s.network;
  const L = net ? net.config.sizes.length - 1 : 0;
  const stage = s.stage;
  const hasTrace = !!s.trace && !!net;
  const hasData = !!(net && net.dataset);
  const busy = s.busy;
  $("btn-forward").disabled = !hasTrace || busy || s.playing || (stage >= L && stage < 2 * L);
  $("btn-backward").disabled = !hasTrace || busy || s.playing || stage < L || stage >= 2 * L;
  $("btn-update").disabled = !hasTrace || busy || s.playing || stage !== 2 * L;
  $("btn-fullstep").disabled = !hasTrace || busy || s.playing;
  $("btn-epoch").disabled = !hasData || busy || s.playing;
  $("btn-play").disabled = !hasData || (busy && !s.playing);
  $("btn-reset").disabled = !net || busy;
  $("btn-play").setAttribute("aria-pressed", s.playing ? "true" : "false");
  setText($("btn-play").querySelector(".play-label"), s.playing ? "Pause" : "Play");
  $("btn-epoch").title = hasData ? "One epoch of minibatch training on the dataset  [E]" : "Training needs a dataset: choose one in Data";

  // Stage track: x F1..FL B_L..B_1 U
  const track = $("stage-track");
  if (net) {
    const key = `${L}|${stage}|${hasTrace}`;
    if (track._key !== key) {
      track._key = key;
      const chips = [];
      for (let i = 0; i <= lastStage(L); i++) {
        if (i === 1 || i === L + 1 || i === 2 * L + 1) chips.push(el("span", { class: "gap" }));
        chips.push(
          el("button", {
            type: "button", "data-stage": i, "data-testid": `stage-${i}`,
            class: i === stage ? "current" : i < stage ? "done" : null,
            "aria-current": i === stage ? "step" : null,
            "aria-label": `Go to ${stageName(i, L)}`, title: stageName(i, L),
            disabled: !hasTrace || (i === lastStage(L) && stage !== i) || s.playing ? true : null,
            text: stageShort(i, L),
          }),
        );
      }
      track.replaceChildren(...chips);
    }
  }
  const status = $("status");
  if (net) {
    setText(status, `${net.n_parameters} parameters \u00B7 step ${net.step} \u00B7 epoch ${net.epoch} \u00B7 ${stageName(stage, L)}`);
    status.dataset.networkId = net.id;
    status.dataset.stage = String(stage);
    status.title = `network ${net.id}`;
  }
  document.body.dataset.stage = String(stage);
  document.body.dataset.networkId = net ? net.id : "";

  for (const where of ["build", "example", "train", "share", "step", "lesson"]) {
    const node = $(`error-${where}`);
    const msg = s.errors[where];
    node.hidden = !msg;
    setText(node, msg || "");
  }
  renderBanner();
}

function renderBanner() {
  const banner = $("banner");
  const d = state.diverged;
  if (!d) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  banner.hidden = false;
  if (banner._key === d) return;
  banner._key = d;
  banner.replaceChildren(
    el("strong", { text: "Diverged." }),
    el("span", { "data-testid": "diverged-message", text: `${d.where ? `${d.where}: ` : ""}${d.message}. Lower the learning rate (\u03B7 = ${state.training.eta}) or reset.` }),
    el("button", { type: "button", "data-testid": "btn-diverged-reset", class: "primary", onclick: () => resetNetwork(), text: "Reset network" }),
    el("button", { type: "button", class: "small", onclick: () => setState({ diverged: null }), "aria-label": "Dismiss", text: "Dismiss" }),
  );
  banner.setAttribute("role", "alert");
  banner.dataset.testid = "banner";
}

function showStepError(message) {
  setError("step", message);
}

const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

/** Run a step and time it: JavaScript work to update every view, and until the frame is painted. */
async function timed(kind, fn) {
  const t0 = performance.now();
  performance.mark(`${kind}-start`);
  fn();
  await renderNow();
  const render = performance.now() - t0;
  await nextPaint();
  const ms = performance.now() - t0;
  performance.measure(`${kind}-redraw`, { start: t0, duration: ms });
  perf.steps.push({ kind, stage: state.stage, ms, render });
}

// ---------------------------------------------------------------------------------------------
// Talking to the API.

let buildSeq = 0;
let traceSeq = 0;

function defaultExample(data, config) {
  if (data) return { kind: "row", split: "train", row: 0, x: null, y: null };
  const n0 = config.sizes[0];
  const nL = config.sizes[config.sizes.length - 1];
  const x = Array.from({ length: n0 }, (_, i) => (i % 2 ? -0.5 : 0.5));
  const y = config.loss === "cross_entropy" ? [0] : [Array.from({ length: nL }, () => 0)];
  return { kind: "input", split: null, row: null, x, y };
}

function exampleFits(example, data) {
  if (!example || example.kind !== "row" || !data) return false;
  const n = (example.split === "train" ? data.X_train : data.X_test).length;
  return example.row >= 0 && example.row < n;
}

function writeUrl() {
  if (!state.config) return;
  const q = toQuery(state.config, state.training, state.example, state.lesson ? state.lesson.id : null, state.quiz);
  if (q !== location.search) history.replaceState(null, "", q);
  $("link-compare").href = `/compare${toQuery(state.config, state.training, state.example)}`; // this network, on the compare page
}

function sameSpec(a, b) {
  if (!a || !b) return false;
  const keys = ["name", "seed", "n", "noise", "test_fraction", "standardize", "n_classes"];
  return keys.every((k) => (a[k] ?? null) === (b[k] ?? null));
}

/** Create the network for the current config (and fetch its data), replacing the old one. */
async function build({ keepExample = false } = {}) {
  const seq = ++buildSeq;
  stopPlaying();
  const config = state.config;
  setError("build", null);
  writeUrl();
  const spec = config.dataset ? datasetSpec(config) : null;
  try {
    const dataPromise = spec ? (sameSpec(state.data && state.data.spec, spec) ? Promise.resolve(state.data) : api.dataset(spec)) : Promise.resolve(null);
    const [network, data] = await Promise.all([api.createNetwork(networkBody(config)), dataPromise]);
    if (seq !== buildSeq) {
      api.deleteNetwork(network.id).catch(() => {});
      return;
    }
    const old = state.network;
    if (old) api.deleteNetwork(old.id).catch(() => {});
    const example = keepExample && (exampleFits(state.example, data) || (!data && state.example.kind === "input" && state.example.x && state.example.x.length === config.sizes[0]))
      ? state.example
      : defaultExample(data, config);
    setState({ network, data, example, trace: null, surface: null, stage: 0, update: null, history: [], diverged: null, timeline: [], timelineIndex: -1 });
    writeUrl();
    pushTimeline("built");
    const surface = refreshSurface();
    await refreshTrace();
    return surface;
  } catch (err) {
    if (seq === buildSeq) setError("build", err.message);
  }
}

async function refreshTrace() {
  const seq = ++traceSeq;
  const net = state.network;
  if (!net) return;
  try {
    const trace = await api.backward(net.id, state.example, insight.faultLayer(net));
    if (seq !== traceSeq || state.network !== net) return;
    setError("example", null);
    const patch = { trace };
    // Keep the first report (where training diverged); a trace only reports when nothing did.
    if (trace.diverged && !state.diverged) patch.diverged = { ...trace.diverged, where: "Tracing this example" };
    setState(patch);
  } catch (err) {
    if (seq !== traceSeq) return;
    setState({ trace: null });
    setError("example", err.message);
  }
}

async function refreshSurface() {
  const net = state.network;
  if (!net || !net.dataset || net.config.sizes[0] > 2) {
    if (state.surface) setState({ surface: null });
    return;
  }
  try {
    const surface = await api.surface(net.id, SURFACE_RESOLUTION);
    if (state.network === net) setState({ surface });
  } catch (err) {
    setError("train", `Could not draw the decision boundary: ${err.message}`);
  }
}

async function refreshNetwork() {
  const net = state.network;
  const fresh = await api.getNetwork(net.id);
  if (state.network && state.network.id === fresh.id) setState({ network: fresh });
}

function pushTimeline(label) {
  const n = state.network;
  const entry = { label, W: n.W, b: n.b, step: n.step, epoch: n.epoch, historyLength: state.history.length };
  const timeline = [...state.timeline, entry].slice(-300);
  setState({ timeline, timelineIndex: timeline.length - 1 });
}

function optimizer() {
  const t = state.training;
  return { name: t.optimizer, eta: t.eta, beta: t.beta, beta1: t.beta1, beta2: t.beta2, eps: t.eps, l2: t.l2 };
}

/** Where a training run diverged: the epoch it was in and the update (step) it reached. */
function trainingWhere(res) {
  return `Training, during epoch ${res.epoch + 1} (after update ${res.step})`;
}

function divergedFrom(d, where) {
  return d ? { ...d, where } : null;
}

// ---------------------------------------------------------------------------------------------
// Actions.

function L() {
  return state.network.config.sizes.length - 1;
}

async function forward() {
  if ($("btn-forward").disabled) return;
  setError("step", null);
  const l = L();
  const next = state.stage >= 2 * l ? 1 : state.stage + 1;
  const advance = () => timed("forward", () => setState({ stage: next, update: null }));
  if (quiz.intercept(next, advance)) return; // quiz mode: predict first, then the step runs
  await advance();
}

async function backward() {
  if ($("btn-backward").disabled) {
    if (state.trace && state.stage < L()) setError("step", `Run the forward pass to the output first: press Forward until layer ${L()}.`);
    return;
  }
  setError("step", null);
  const next = state.stage + 1;
  const advance = () => timed("backward", () => setState({ stage: next }));
  if (quiz.intercept(next, advance)) return; // quiz mode: predict first, then the step runs
  await advance();
}

function goToStage(i) {
  setError("step", null);
  return timed("jump", () => setState({ stage: i, update: null }));
}

async function applyStep(label) {
  const net = state.network;
  const opt = optimizer();
  setState({ busy: true });
  try {
    const res = await api.step(net.id, state.example, opt);
    const network = { ...net, W: res.W_after, b: res.b_after, step: res.step };
    setState({
      network,
      stage: lastStage(L()),
      update: { ...res, optimizer: opt },
      diverged: divergedFrom(res.diverged, `Update at step ${res.step}`),
    });
    setError("step", null);
    pushTimeline(`${label} (step ${res.step})`);
    await Promise.all([refreshTrace(), refreshSurface()]);
    await refreshNetwork();
  } catch (err) {
    setError("step", err.message);
  } finally {
    setState({ busy: false });
  }
}

async function update() {
  if ($("btn-update").disabled) {
    if (state.trace) setError("step", "Finish the backward pass first: the update needs every gradient (press Backward).");
    return;
  }
  await applyStep("update");
}

async function fullStep() {
  if ($("btn-fullstep").disabled) return;
  await applyStep("full step");
}

async function trainEpochs(epochs) {
  const net = state.network;
  const body = { epochs, batch_size: state.training.batchSize, optimizer: optimizer() };
  const res = await api.train(net.id, body);
  if (state.network !== net && (!state.network || state.network.id !== net.id)) return null;
  return res;
}

async function epoch() {
  if ($("btn-epoch").disabled) return;
  setState({ busy: true });
  setError("train", null);
  try {
    const res = await trainEpochs(1);
    if (!res) return;
    const history = [...state.history, ...res.history];
    setState({ history, diverged: divergedFrom(res.diverged, trainingWhere(res)), update: null, stage: state.stage > 2 * L() ? 0 : state.stage });
    await refreshNetwork();
    pushTimeline(`epoch ${res.epoch}`);
    await Promise.all([refreshTrace(), refreshSurface()]);
  } catch (err) {
    setError("train", err.message);
  } finally {
    setState({ busy: false });
  }
}

let playToken = 0;
let playLoop = Promise.resolve();

/** Stop training and drop a frame still in flight (the network is being replaced). */
function stopPlaying() {
  playToken++;
  if (liveStream) liveStream.abort();
  if (state.playing) setState({ playing: false });
}

/** Stop training and wait until the frame in flight has finished (before changing parameters). */
async function haltPlaying() {
  stopPlaying();
  await playLoop;
}

async function togglePlay() {
  if (state.playing) {
    // Pause: the server stops between two epochs; every epoch it trained still lands.
    setState({ playing: false });
    if (liveStream) liveStream.pause();
    return;
  }
  if ($("btn-play").disabled) return;
  await playLoop;
  playLoop = runTraining();
}

// While playing, the server trains an epoch at most every PLAY_PACE_MS (a pace the student can
// watch) and sends, with each epoch, the parameters, the decision surface and the traced example
// as that epoch left them: the page makes no other request until the training stops.
const PLAY_PACE_MS = 30;
const PLAY_SURFACE_RESOLUTION = 36;
let liveStream = null; // the running training stream: {pause(), abort()}

/**
 * Continuous training over the training stream (POST .../train/stream with pace_ms and snapshot).
 * Drawing is coalesced with requestAnimationFrame: each frame draws the newest epoch's snapshot
 * (diagram, panels, boundary) and adds every epoch that arrived since the last frame to the
 * history (no epoch is lost). A changed example, fault or training setting restarts the stream.
 */
async function runTraining() {
  const token = ++playToken;
  const net = state.network;
  setError("train", null);
  // While it plays, the diagram and the panels show the whole forward pass of the traced example.
  setState({ playing: true, update: null, stage: L() });
  const frames = [];
  const twoD = net.config.sizes[0] <= 2;
  const live = () => token === playToken;
  let records = []; // epochs that arrived and are not drawn yet
  let snap = null; // the newest snapshot not drawn yet (JSON text: only a drawn one is parsed)
  let frame = 0;
  let lastFrameEnd = performance.now();
  let diverged = null;
  let run = null; // this stream's inputs: {example, fault, training}, and whether a stop was asked
  const stale = () => state.example !== run.example || insight.faultLayer(net) !== run.fault || state.training !== run.training;
  const askStop = () => {
    if (run && !run.stopAsked) {
      run.stopAsked = true;
      api.stopTraining(net.id).catch(() => {});
    }
  };

  const draw = () => {
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    if (!live() || (!records.length && !snap)) return;
    const t1 = performance.now();
    const newEpochs = records.length;
    const patch = { history: state.history.concat(records) };
    records = [];
    if (snap) snap = JSON.parse(snap);
    if (snap && snap.trace && snap.trace.diverged && !diverged) {
      diverged = divergedFrom(snap.trace.diverged, trainingWhere(snap));
      askStop();
    }
    if (snap) {
      patch.network = { ...state.network, W: snap.W, b: snap.b, step: snap.step, epoch: snap.epoch, diverged: snap.diverged };
      if (snap.surface) patch.surface = snap.surface;
      if (snap.trace && !stale()) patch.trace = snap.trace;
      snap = null;
    }
    setState(patch);
    renderNow();
    const t2 = performance.now();
    renderPlots();
    const t3 = performance.now();
    if (newEpochs) frames.push(t3); // a frame that drew at least one new epoch
    perf.frameParts.push({ wait: Math.round(t1 - lastFrameEnd), core: Math.round(t2 - t1), plots: Math.round(t3 - t2) });
    lastFrameEnd = t3;
  };

  const onEvent = (kind, text) => {
    if (!live()) return;
    if (kind === "epoch") records.push(JSON.parse(text));
    else if (kind === "snapshot") snap = text;
    else if (kind === "done") run.done = JSON.parse(text);
    else if (kind === "error") run.failed = JSON.parse(text).detail;
    if (stale()) askStop();
    // Each epoch event is followed by its snapshot: a frame is asked for once both are here.
    if (kind === "snapshot" && !frame) frame = requestAnimationFrame(draw);
  };

  try {
    while (live() && state.playing && !diverged) {
      run = { example: state.example, fault: insight.faultLayer(net), training: state.training, stopAsked: false, done: null, failed: null };
      const controller = new AbortController();
      liveStream = { pause: askStop, abort: () => controller.abort() };
      const limits = (state.meta && state.meta.limits) || {};
      const body = {
        epochs: limits.max_epochs || 100, batch_size: state.training.batchSize, optimizer: optimizer(), pace_ms: PLAY_PACE_MS,
        snapshot: {
          surface_resolution: twoD ? PLAY_SURFACE_RESOLUTION : null,
          trace: run.fault ? { ...exampleBody(run.example), drop_g_prime_layer: run.fault } : exampleBody(run.example),
        },
      };
      await api.trainStream(net.id, body, onEvent, controller.signal);
      liveStream = null;
      draw(); // the epochs that arrived after the last frame
      if (!live()) break;
      if (run.failed) {
        setError("train", run.failed);
        break;
      }
      if (!run.done || run.done.stop_reason === "deleted") break;
      if (run.done.diverged && !diverged) diverged = divergedFrom(run.done.diverged, trainingWhere(run.done));
    }
  } catch (err) {
    setError("train", err.message);
  }
  liveStream = null;
  if (frame) cancelAnimationFrame(frame);
  if (diverged && live()) setState({ diverged });
  if (frames.length > 1) {
    const fps = ((frames.length - 1) * 1000) / (frames[frames.length - 1] - frames[0]);
    perf.trainingFps = fps;
    perf.frames.push({ frames: frames.length, fps });
  }
  if (state.playing && token === playToken) setState({ playing: false });
  plotsDirty.add("training"); // the curves' last points, held back while playing
  renderPlots();
  if (token === playToken && state.network && state.network.id === net.id) {
    // One consistent last frame: the network, its boundary and the trace after the last epoch.
    try {
      await refreshNetwork();
    } catch (err) {
      setError("train", err.message);
    }
    pushTimeline(`trained to epoch ${state.network.epoch}`);
    await Promise.all([refreshTrace(), refreshSurface()]);
  }
}

async function resetNetwork() {
  const net = state.network;
  if (!net) return;
  await haltPlaying();
  setState({ busy: true });
  try {
    const network = await api.reset(net.id);
    setState({ network, history: [], stage: 0, update: null, diverged: null });
    setError("step", null);
    setError("train", null);
    pushTimeline("reset");
    await Promise.all([refreshTrace(), refreshSurface()]);
  } catch (err) {
    setError("step", err.message);
  } finally {
    setState({ busy: false });
  }
}

async function goToTimeline(index) {
  const entry = state.timeline[index];
  const net = state.network;
  if (!entry || !net) return;
  await haltPlaying();
  setState({ busy: true });
  try {
    const network = await api.putParameters(net.id, entry.W, entry.b);
    setState({ network, history: state.history.slice(0, entry.historyLength), stage: 0, update: null, diverged: null, timelineIndex: index });
    await Promise.all([refreshTrace(), refreshSurface()]);
  } catch (err) {
    setError("step", `Could not go back to "${entry.label}": ${err.message}`);
  } finally {
    setState({ busy: false });
  }
}

// ---------------------------------------------------------------------------------------------
// Editing one weight or bias.

function closeEditor() {
  $("editor-host").replaceChildren();
}

function openEditor({ name, layer, i, j, value, clientX, clientY }) {
  closeEditor();
  const label = name === "W" ? `W_${layer}[${i},${j}]` : `b_${layer}[${i}]`;
  const input = el("input", { type: "text", inputmode: "decimal", value: full(value), "data-testid": "editor-input", "aria-label": `New value of ${label}` });
  const error = el("p", { class: "error", role: "alert", "data-testid": "editor-error", hidden: true });
  const submit = async () => {
    const v = Number(input.value.trim());
    if (input.value.trim() === "" || !Number.isFinite(v)) {
      error.hidden = false;
      error.textContent = `"${input.value}" is not a finite number.`;
      return;
    }
    try {
      const network = await api.patchParameter(state.network.id, { name, layer, i, j: name === "W" ? j : null, value: v });
      setState({ network, update: null, stage: state.stage > 2 * L() ? 0 : state.stage });
      closeEditor();
      pushTimeline(`edit ${label}`);
      await Promise.all([refreshTrace(), refreshSurface()]);
    } catch (err) {
      error.hidden = false;
      error.textContent = err.message;
    }
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") submit();
    if (e.key === "Escape") closeEditor();
  });
  const x = Math.min(clientX + 8, window.innerWidth - 250);
  const y = Math.min(clientY + 8, window.innerHeight - 110);
  const box = el("form", { class: "editor", "data-testid": "editor", role: "dialog", "aria-label": `Edit ${label}`, style: `left:${x}px;top:${y}px`, onsubmit: (e) => { e.preventDefault(); submit(); } },
    el("label", { html: `${name === "W" ? `W<sub>${layer}</sub>[${i},${j}]` : `b<sub>${layer}</sub>[${i}]`} = ` }),
    el("div", { class: "row" }, input,
      el("button", { type: "submit", class: "small primary", "data-testid": "editor-save", text: "Set" }),
      el("button", { type: "button", class: "small", "data-testid": "editor-cancel", onclick: closeEditor, text: "Cancel" })),
    el("span", { class: "hint", text: "Enter to set, Esc to cancel. Every view recomputes." }),
    error);
  $("editor-host").append(box);
  input.focus();
  input.select();
}

// ---------------------------------------------------------------------------------------------
// Share and keep.

async function exportNetwork() {
  setError("share", null);
  try {
    const doc = await api.exportNetwork(state.network.id);
    const blob = new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" });
    const a = el("a", { href: URL.createObjectURL(blob), download: `backprop-lab-${doc.config.sizes.join("-")}-seed${doc.config.seed}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 5000);
    $("share-note").textContent = "Exported the network (parameters, counters, optimiser state).";
  } catch (err) {
    setError("share", err.message);
  }
}

async function importNetwork(file) {
  setError("share", null);
  let doc;
  try {
    doc = JSON.parse(await file.text());
  } catch {
    setError("share", `"${file.name}" is not a JSON file.`);
    return;
  }
  stopPlaying();
  try {
    const network = await api.importNetwork(doc);
    const config = configFromNetwork(network);
    const spec = network.dataset;
    const data = spec ? await api.dataset(spec) : null;
    const old = state.network;
    buildSeq++;
    if (old) api.deleteNetwork(old.id).catch(() => {});
    setState({ config, network, data, example: defaultExample(data, config), trace: null, surface: null, stage: 0, update: null, history: [], diverged: null, timeline: [], timelineIndex: -1 });
    writeUrl();
    pushTimeline(`imported ${file.name}`);
    $("share-note").textContent = `Imported ${file.name}: step ${network.step}, epoch ${network.epoch}.`;
    await Promise.all([refreshTrace(), refreshSurface()]);
  } catch (err) {
    setError("share", `Could not import "${file.name}": ${err.message}`);
  }
}

async function copyLink() {
  writeUrl();
  const url = location.href;
  try {
    await navigator.clipboard.writeText(url);
    $("share-note").textContent = "Link copied: it rebuilds this configuration with the same seed.";
  } catch {
    $("share-note").textContent = `Link: ${url}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Lessons.

async function openLesson(id) {
  setError("lesson", null);
  if (!id) {
    setState({ lesson: null });
    writeUrl();
    return;
  }
  try {
    const lesson = await api.lesson(id);
    const { config, training, example } = fromLesson(lesson);
    setState({ lesson, config, training, ...(example ? { example } : {}) });
    await build({ keepExample: !!example });
  } catch (err) {
    setError("lesson", err.message);
  }
}

async function loadLessonNetwork(setup) {
  const { config, training } = fromLesson(state.lesson, setup); // its own training too (e.g. its eta)
  setState({ config, training });
  await build({ keepExample: true });
}

// ---------------------------------------------------------------------------------------------
// Events.

let buildTimer = null;

function bindControls() {
  $("btn-forward").addEventListener("click", forward);
  $("btn-backward").addEventListener("click", backward);
  $("btn-update").addEventListener("click", update);
  $("btn-fullstep").addEventListener("click", fullStep);
  $("btn-epoch").addEventListener("click", epoch);
  $("btn-play").addEventListener("click", togglePlay);
  $("btn-reset").addEventListener("click", resetNetwork);
  $("btn-export").addEventListener("click", exportNetwork);
  $("btn-copy-link").addEventListener("click", copyLink);
  $("f-import").addEventListener("change", (e) => {
    const file = e.target.files && e.target.files[0];
    if (file) importNetwork(file);
    e.target.value = "";
  });
  $("f-diagram-mode").addEventListener("change", (e) => setState({ diagramMode: e.target.value }));
  $("stage-track").addEventListener("click", (e) => {
    const b = e.target.closest("button[data-stage]");
    if (b && !b.disabled) goToStage(Number(b.dataset.stage));
  });

  const builder = $("builder");
  builder.addEventListener("config-change", (e) => {
    setState({ config: e.detail });
    clearTimeout(buildTimer);
    buildTimer = setTimeout(() => build({ keepExample: true }), 60);
  });
  builder.addEventListener("training-change", (e) => {
    const t = e.detail;
    const problems = [];
    if (!(Number.isFinite(t.eta) && t.eta >= 0)) problems.push("the learning rate \u03B7 must be a number \u2265 0");
    if (!(Number.isInteger(t.batchSize) && t.batchSize >= 1)) problems.push("the batch size must be a whole number \u2265 1");
    if (!(Number.isFinite(t.l2) && t.l2 >= 0)) problems.push("L2 \u03BB must be a number \u2265 0");
    for (const [key, label] of [["beta", "\u03B2"], ["beta1", "\u03B2\u2081"], ["beta2", "\u03B2\u2082"]]) {
      if (!(Number.isFinite(t[key]) && t[key] >= 0 && t[key] < 1)) problems.push(`${label} must be a number from 0 up to (not including) 1`);
    }
    if (!(Number.isFinite(t.eps) && t.eps >= 0)) problems.push("\u03B5 must be a number \u2265 0");
    if (problems.length) {
      setError("train", `Not changed: ${problems.join("; ")}.`);
      setState({ training: { ...state.training } });
      return;
    }
    setError("train", null);
    setState({ training: t });
    writeUrl();
  });

  document.addEventListener("choose-example", (e) => {
    setError("example", null);
    setState({ example: e.detail, stage: 0, update: null });
    writeUrl();
    refreshTrace();
  });
  document.addEventListener("example-error", (e) => setError("example", e.detail.message));
  document.addEventListener("edit-parameter", (e) => openEditor(e.detail));
  document.addEventListener("timeline-go", (e) => goToTimeline(e.detail.index));
  document.addEventListener("open-lesson", (e) => openLesson(e.detail.id));
  document.addEventListener("lesson-network", (e) => loadLessonNetwork(e.detail.setup));

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape") {
      closeEditor();
      return;
    }
    const t = e.target;
    if (t && (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName))) return;
    const actions = { f: forward, b: backward, u: update, s: fullStep, e: epoch, r: resetNetwork, " ": togglePlay };
    const action = actions[e.key.toLowerCase()];
    if (action) {
      e.preventDefault();
      action();
    }
  });

  // Hover tooltips for elements without a native one: MathML numbers and the diagram (which
  // computes its text on hover). HTML table cells use the title attribute.
  const tip = $("tooltip");
  document.addEventListener("mouseover", (e) => {
    const node = e.target.closest && e.target.closest("[data-tip]");
    if (!node) {
      tip.hidden = true;
      return;
    }
    tip.textContent = node.getAttribute("data-tip");
    tip.hidden = false;
    const x = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = e.clientY + 18 + tip.offsetHeight > window.innerHeight ? e.clientY - tip.offsetHeight - 10 : e.clientY + 18;
    tip.style.left = `${Math.max(4, x)}px`;
    tip.style.top = `${Math.max(4, y)}px`;
  });

  let resizeTimer = null;
  new ResizeObserver(() => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      dirty.add("network");
      renderNow();
    }, 80);
  }).observe($("diagram"));
}

async function init() {
  const parsed = fromQuery(location.search);
  try {
    const [meta, datasets, lessons, lesson] = await Promise.all([
      api.meta(),
      api.datasets(),
      api.lessons().catch(() => []),
      parsed.lesson ? api.lesson(parsed.lesson).catch(() => null) : null,
    ]);
    setState({ meta, datasets, lessons, lesson });
    if (parsed.lesson && !lesson) setError("lesson", `There is no lesson "${parsed.lesson}".`);
    if (lesson && !parsed.hasConfig) {
      // A lesson link (/?lesson=id) opens the lesson's own network, data, training and example.
      const fromIt = fromLesson(lesson);
      parsed.config = fromIt.config;
      parsed.training = fromIt.training;
      if (fromIt.example) parsed.example = fromIt.example;
    }
  } catch (err) {
    setError("build", err instanceof ApiError ? err.message : String(err));
    return;
  }
  const optimizers = state.meta.optimizers || ["sgd"];
  const training = { ...DEFAULT_TRAINING, ...parsed.training };
  if (!optimizers.includes(training.optimizer)) training.optimizer = "sgd";
  setState({ config: parsed.config, training, example: parsed.example || state.example });
  quiz.init({ ...parsed.quiz, writeUrl });
  bindControls();
  insight.init({ retrace: refreshTrace });
  const surfaceLoaded = await build({ keepExample: !!parsed.example });
  await renderNow();
  await nextPaint();
  perf.interactive = performance.now();
  performance.mark("interactive");
  document.body.dataset.ready = "1";
  await Promise.all([surfaceLoaded, loadPlotly()]);
  plotsDirty.add("dataplot");
  plotsDirty.add("training");
  await renderPlots();
  await nextPaint();
  perf.plotsReady = performance.now();
  performance.mark("plots-ready");
}

init();
