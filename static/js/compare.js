// The compare page (/compare): two instances of the lab (lab/flows.js, each with its own store)
// on the same data, seed and traced example, differing in one choice (hidden activation, output
// + loss, learning rate, init, init seed or optimiser). "Step both" runs one step of each on the
// traced example and shows y_hat, the loss and the gradient norms per layer side by side; "Train
// both" trains both for N epochs and overlays their curves; for 2-input data the two decision
// boundaries are drawn side by side. The page's own store holds the shared settings.
//
// The base configuration uses the main page's URL fields (url.js), so the lab links here with its
// current network; diff, va and vb name the choice and its two values.

import { api } from "./api.js";
import { CHOICES, SIDES, datasetInfo, onFormChange, readDiff, renderForm, sideLabel, sideSetup, valueText } from "./compareform.js";
import * as view from "./compareview.js";
import { createLab } from "./lab/flows.js";
import { createScheduler } from "./scheduler.js";
import { createLabStore } from "./state.js";
import { createStore } from "./store.js";
import { datasetSpec, fromQuery, toQuery } from "./url.js";
import { adaptToDataset } from "./views/builder.js";

const $ = (id) => document.getElementById(id);
const SURFACE_RESOLUTION = 40;

const store = createStore(
  { meta: null, datasets: [], config: null, training: null, diff: { choice: "activation", a: null, b: null }, row: 0, data: null, busy: false, error: null, built: false },
  {
    loaded: (_s, patch) => patch,
    settingsChanged: (_s, patch) => ({ ...patch, error: null }),
    rowSet: (_s, row) => ({ row, error: null }),
    dataLoaded: (_s, data, row) => ({ data, row, built: true }),
    busySet: (_s, busy) => ({ busy }),
    failed: (_s, error) => ({ error: error || null }),
  },
);
const cmp = store.state;
const act = store.actions;
const sched = createScheduler();
const labs = {};
for (const side of SIDES) {
  labs[side] = createLab({ store: createLabStore(), sched, traces: false, surfaceResolution: SURFACE_RESOLUTION });
  labs[side].store.subscribe(() => sched.soon("render", render));
}
store.subscribe(() => sched.soon("render", render));

const example = () => ({ kind: "row", split: "train", row: cmp.row, x: null, y: null });
const bothBuilt = () => SIDES.every((s) => labs[s].state.network);

function writeUrl() {
  const q = new URLSearchParams(toQuery(cmp.config, cmp.training, example()).slice(1));
  q.set("diff", cmp.diff.choice);
  q.set("va", String(cmp.diff.a));
  q.set("vb", String(cmp.diff.b));
  const search = `?${q.toString()}`;
  if (search !== location.search) history.replaceState(null, "", search);
  $("link-lab").href = `/${toQuery(cmp.config, cmp.training, example())}`;
}

// ---------------------------------------------------------------------------------------------
// Both labs together.

let buildSeq = 0;

/** Create both networks (and fetch the shared data once) for the current choices. */
async function build() {
  const seq = ++buildSeq;
  writeUrl();
  act.busySet(true);
  act.failed(null);
  try {
    const spec = datasetSpec(cmp.config);
    const same = cmp.data && JSON.stringify(cmp.data.spec) === JSON.stringify({ ...cmp.data.spec, ...spec });
    const data = same ? cmp.data : await api.dataset(spec);
    if (seq !== buildSeq) return;
    const row = Math.min(cmp.row, data.X_train.length - 1);
    const ex = { kind: "row", split: "train", row, x: null, y: null };
    const built = await Promise.all(SIDES.map((s) => {
      const lab = labs[s];
      lab.store.actions.started({ ...sideSetup(cmp, s), example: ex });
      return lab.build({ keepExample: true, data });
    }));
    if (seq !== buildSeq) return;
    act.dataLoaded(data, row);
    const failed = SIDES.find((s, i) => !built[i]);
    if (failed) act.failed(`${failed.toUpperCase()} (${sideLabel(cmp, failed)}): ${labs[failed].state.errors.build}`);
    document.body.dataset.ready = "1";
  } catch (err) {
    if (seq === buildSeq) act.failed(err.message);
  } finally {
    if (seq === buildSeq) act.busySet(false);
  }
}

/** Run one flow on both labs; report the first side's error with its label. */
async function both(what, where, fn) {
  if (!bothBuilt() || cmp.busy) return;
  act.busySet(true);
  act.failed(null);
  try {
    await Promise.all(SIDES.map((s) => fn(labs[s])));
    for (const s of SIDES) {
      const e = labs[s].state.errors[where];
      if (e) {
        act.failed(`${what}: ${e}`);
        break;
      }
    }
  } finally {
    act.busySet(false);
  }
}

const stepBoth = () => both("Step", "step", (lab) => lab.step("step both"));
const resetBoth = () => both("Reset", "step", (lab) => lab.reset());

function epochsWanted() {
  const input = $("cmp-epochs");
  const n = Number(input.value);
  const max = cmp.meta.limits.max_epochs;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    act.failed(`Epochs must be a whole number from 1 to ${max}; "${input.value}" is not.`);
    return null;
  }
  return n;
}

function trainBoth() {
  if (!bothBuilt() || cmp.busy) return;
  const epochs = epochsWanted();
  if (epochs !== null) both("Training", "train", (lab) => lab.train(epochs));
}

function chooseRow(row) {
  act.rowSet(row);
  for (const s of SIDES) labs[s].chooseExample(example());
  writeUrl();
}

// ---------------------------------------------------------------------------------------------
// Drawing and events.

function render() {
  if (!cmp.meta) return;
  renderForm(cmp);
  // The two sides are drawn together: both built, or neither.
  const sides = {};
  for (const s of SIDES) sides[s] = bothBuilt() ? labs[s].state : null;
  view.render({
    ...cmp, sides, labels: { a: sideLabel(cmp, "a"), b: sideLabel(cmp, "b") },
    choiceTitle: CHOICES[cmp.diff.choice].title, valueText: (v) => valueText(cmp.diff.choice, v),
    busy: cmp.busy || SIDES.some((s) => labs[s].state.busy),
  });
}

function bind() {
  const form = $("cmp-form");
  form.addEventListener("submit", (e) => e.preventDefault());
  form.addEventListener("change", (e) => {
    const change = onFormChange(cmp, e.target);
    if (!change) return;
    if (change.error) act.failed(change.error);
    else if ("row" in change) chooseRow(change.row);
    else {
      act.settingsChanged(change);
      sched.debounce("build", 60, build);
    }
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target.matches("input")) {
      e.preventDefault();
      e.target.blur();
    }
  });
  $("cmp-step").addEventListener("click", stepBoth);
  $("cmp-train").addEventListener("click", trainBoth);
  $("cmp-reset").addEventListener("click", resetBoth);
  $("cmp-epochs").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      trainBoth();
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName))) return;
    const action = { s: stepBoth, e: trainBoth, r: resetBoth }[e.key.toLowerCase()];
    if (action) {
      e.preventDefault();
      action();
    }
  });
  // The traced point can be changed by clicking it in either plot.
  document.addEventListener("choose-example", (e) => {
    if (e.detail.split !== "train") {
      act.failed("Step traces a row of the train split: click a round (train) point.");
      return;
    }
    chooseRow(e.detail.row);
  });
  window.addEventListener("pagehide", () => SIDES.forEach((s) => labs[s].forget()));
  window.addEventListener("resize", () => sched.debounce("resize", 100, render));
}

async function init() {
  // On a phone the comparison comes first: the form starts folded under its summary line.
  if (window.matchMedia("(max-width: 900px)").matches) $("cmp-form-box").open = false;
  bind();
  try {
    const [meta, datasets] = await Promise.all([api.meta(), api.datasets()]);
    const parsed = fromQuery(location.search);
    const config = parsed.config;
    if (!config.dataset || !datasetInfo(datasets, config.dataset)) {
      Object.assign(config, adaptToDataset({ ...config, dataset: "moons" }, datasetInfo(datasets, "moons"), meta), { dataset: "moons" });
    }
    const base = { meta, datasets, config, training: parsed.training, row: parsed.example ? parsed.example.row : 0 };
    act.loaded({ ...base, diff: readDiff(base, new URLSearchParams(location.search)) });
    for (const s of SIDES) labs[s].store.actions.loaded({ meta, datasets, lessons: [], lesson: null });
    if (!window.Plotly) await new Promise((resolve) => window.addEventListener("load", resolve, { once: true }));
    render();
    await build();
  } catch (err) {
    act.failed(err.message);
  }
}

init();
