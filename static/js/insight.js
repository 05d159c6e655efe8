// The Insight panel: gradient check (with the teaching fault), gradient health, who is to blame,
// per-example contributions and the learning-rate what-if. It follows the page's one state object
// (network, trace, example, training, history, playing) and keeps its own small `ui` object for
// its controls and results, changed only through apply(). Each tool asks the API only when its
// inputs changed and it is on screen (gradient health always: it feeds the page-wide warning;
// who-is-to-blame whenever its strip under the diagram is open). Nothing runs while training plays.
//
// main.js calls init({retrace}) once, and asks faultLayer(network) for the teaching fault to pass
// to POST /backward (state.fault: the hidden layer whose g' backprop leaves out, or null).

import { el } from "./format.js";
import * as alertMarks from "./insightalert.js";
import { createDrawing } from "./insightdraw.js";
import { createFetchers } from "./insightfetch.js";
import * as blameView from "./views/blame.js";

const $ = (id) => document.getElementById(id);

const TABS = [
  { id: "gradcheck", label: "Gradient check" },
  { id: "health", label: "Gradient health" },
  { id: "blame", label: "Who is to blame?" },
  { id: "contrib", label: "Per-example" },
  { id: "whatif", label: "Learning-rate what-if" },
];
const MAX_BATCH = 32;
const DEBOUNCE_MS = 120;

const UI = {
  tab: "gradcheck",
  gcLayer: 1,
  gcEps: 1e-6,
  faultLayer: 1,
  healthOn: "example",
  whatifOn: "example",
  batch: { start: 0, n: 8 },
  contribLayer: 1,
  contribSelected: null,
  blame: null, // {layer, j}: the strip under the diagram is open
  results: {},
  errors: {},
  busy: {},
};

let retrace = () => Promise.resolve();
let store = null; // the page's store (state.js): read here, written through its actions
let sched = null; // the page's scheduler: the debounce of the API calls
let visible = false;
let shapeKey = "";
const stale = new Set();
const seq = {};
const state = new Proxy({}, { get: (_t, key) => store.state[key] });
/** The panel's controls and results: store.state.insight, written only through set(). */
const ui = new Proxy({}, { get: (_t, key) => store.state.insight[key] });
const set = (patch) => store.actions.insightSet(patch);
const setIn = (key, tab, value) => set({ [key]: { ...ui[key], [tab]: value } });

/** The teaching fault to pass to POST /backward for this network: a hidden layer 1..L-1, or null. */
export function faultLayer(network) {
  const f = store ? store.state.fault : null;
  if (!network || !f) return null;
  const L = network.config.sizes.length - 1;
  return Number.isInteger(f) && f >= 1 && f <= L - 1 ? f : null;
}

const net = () => state.network;
const sizes = () => net().config.sizes;
const Lof = () => sizes().length - 1;
const { FETCH, hasData, trainRows, batchRows, labelOf } = createFetchers({ state, ui, net, faultLayer });
// apply() and showTab() are function declarations below (hoisted): the drawing calls them later.
const { renderTab, renderBlameStrip } = createDrawing({
  state, ui, net, sizes, visible: () => visible, faultLayer, setIn, apply, hasData, trainRows, batchRows, labelOf,
});

function wanted(tab) {
  if (tab === "health") return true; // feeds the page-wide vanishing / exploding warning
  if (tab === "blame") return !!ui.blame;
  return visible && ui.tab === tab;
}

function invalidate(tabs) {
  for (const t of tabs) stale.add(t);
  sched.debounce("insight", DEBOUNCE_MS, runStale);
}

function runStale() {
  if (!net() || state.playing) return;
  for (const tab of [...stale]) {
    if (!wanted(tab)) continue;
    stale.delete(tab);
    fetchTab(tab);
  }
}

async function fetchTab(tab) {
  const n = net();
  const my = (seq[tab] = (seq[tab] || 0) + 1);
  // An answer about a network replaced meanwhile (or a failure because it was deleted) is dropped.
  const current = () => my === seq[tab] && !!net() && net().id === n.id;
  setIn("busy", tab, true);
  renderTab(tab);
  try {
    const res = await FETCH[tab](n);
    if (current()) {
      setIn("results", tab, res);
      setIn("errors", tab, null);
    }
  } catch (err) {
    if (current()) {
      setIn("results", tab, null);
      setIn("errors", tab, err.message);
    }
  }
  if (my !== seq[tab]) return;
  setIn("busy", tab, false);
  renderTab(tab);
  if (tab === "health") renderAlert();
}

const alertContext = () => ({ net, faultLayer, health: ui.results.health, history: state.history, apply, showTab });
const renderAlert = () => alertMarks.renderAlert(alertContext());
const renderFaultStyle = () => alertMarks.renderFaultStyle({ net, faultLayer });

// ---------------------------------------------------------------------------------------------
// Changes from the controls.

function clampBatch(b) {
  const max = Math.max(trainRows(), 1);
  const n = Math.min(Math.max(Math.round(Number(b.n)) || 1, 1), MAX_BATCH, max);
  const start = Math.min(Math.max(Math.round(Number(b.start)) || 0, 0), Math.max(max - n, 0));
  return { start, n };
}

function apply(patch) {
  const L = net() ? Lof() : 1;
  const touched = new Set();
  const next = {};
  if ("gcLayer" in patch) {
    next.gcLayer = patch.gcLayer;
    touched.add("gradcheck");
  }
  if ("gcEps" in patch) {
    next.gcEps = patch.gcEps;
    touched.add("gradcheck");
  }
  let faultChanged = false;
  if ("faultLayer" in patch) {
    next.faultLayer = patch.faultLayer;
    if (state.fault) patch = { ...patch, fault: patch.faultLayer };
    else touched.add("gradcheck-view");
  }
  if ("fault" in patch) {
    const f = patch.fault && patch.fault >= 1 && patch.fault <= L - 1 ? patch.fault : null;
    if (f) next.faultLayer = f;
    faultChanged = true;
    touched.add("gradcheck");
    touched.add("blame");
    patch = { ...patch, fault: f };
  }
  if ("healthOn" in patch) {
    next.healthOn = patch.healthOn;
    touched.add("health");
  }
  if ("whatifOn" in patch) {
    next.whatifOn = patch.whatifOn;
    touched.add("whatif");
  }
  if ("batch" in patch) {
    next.batch = clampBatch(patch.batch);
    next.contribSelected = null;
    touched.add("contrib");
    if ((next.healthOn ?? ui.healthOn) === "batch") touched.add("health");
    if ((next.whatifOn ?? ui.whatifOn) === "batch") touched.add("whatif");
  }
  if ("contribLayer" in patch) {
    next.contribLayer = patch.contribLayer;
    touched.add("contrib");
  }
  if ("contribSelected" in patch) {
    next.contribSelected = patch.contribSelected;
    touched.add("contrib-view");
  }
  if ("blame" in patch) {
    next.blame = patch.blame;
    if (next.blame) touched.add("blame");
    else touched.add("blame-strip");
  }
  set(next);
  if (faultChanged) {
    store.actions.faultSet(patch.fault);
    retrace();
  }
  if (touched.delete("gradcheck-view")) renderTab("gradcheck");
  if (touched.delete("contrib-view")) renderTab("contrib");
  if (touched.delete("blame-strip")) renderBlameStrip();
  for (const t of touched) renderTab(t);
  if (touched.size) invalidate(touched);
}

function showTab(tab) {
  set({ tab });
  for (const t of TABS) {
    const b = $(`insight-tab-${t.id}`);
    const on = t.id === tab;
    b.setAttribute("aria-selected", on ? "true" : "false");
    b.tabIndex = on ? 0 : -1;
    $(`insight-panel-${t.id}`).hidden = !on;
  }
  const card = $("insight").closest("section") || $("insight");
  if (!visible) card.scrollIntoView({ block: "start", behavior: "smooth" });
  renderTab(tab);
  invalidate([]);
}

/** A new network shape: keep the choices that still fit. */
function onShape() {
  const s = sizes();
  const L = s.length - 1;
  const blame = ui.blame && (ui.blame.layer > L || ui.blame.j >= s[Math.min(ui.blame.layer, L)]) ? null : ui.blame;
  set({
    gcLayer: Math.min(ui.gcLayer, L),
    contribLayer: Math.min(ui.contribLayer, L),
    faultLayer: Math.min(Math.max(ui.faultLayer, 1), Math.max(L - 1, 1)),
    blame,
    batch: clampBatch(ui.batch),
    results: {},
    contribSelected: null,
  });
  if (state.fault && !faultLayer(net())) store.actions.faultSet(null);
}

// ---------------------------------------------------------------------------------------------
// Building and wiring.

function build(root) {
  const tablist = el("div", { class: "insight-tabs", role: "tablist", "aria-label": "Insight tools" });
  const panels = [];
  for (const t of TABS) {
    const on = t.id === ui.tab;
    const b = el("button", {
      type: "button", role: "tab", id: `insight-tab-${t.id}`, "data-testid": `insight-tab-${t.id}`,
      "aria-selected": on ? "true" : "false", "aria-controls": `insight-panel-${t.id}`, tabindex: on ? "0" : "-1", text: t.label,
    });
    b.addEventListener("click", () => showTab(t.id));
    tablist.append(b);
    const p = el("div", { class: "insight-panel", role: "tabpanel", id: `insight-panel-${t.id}`, "data-testid": `insight-panel-${t.id}`, "aria-labelledby": `insight-tab-${t.id}` });
    p.hidden = !on;
    panels.push(p);
  }
  tablist.addEventListener("keydown", (e) => {
    const i = TABS.findIndex((t) => t.id === ui.tab);
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    e.preventDefault();
    const next = TABS[(i + step + TABS.length) % TABS.length].id;
    showTab(next);
    $(`insight-tab-${next}`).focus();
  });
  root.replaceChildren(tablist, ...panels);
}

export function init({ retrace: fn, store: theStore, sched: theSched }) {
  store = theStore;
  sched = theSched;
  store.actions.insightSet({ ...UI, results: {}, errors: {}, busy: {} });
  const root = $("insight");
  if (!root) return;
  retrace = fn;
  build(root);
  document.addEventListener("insight-change", (e) => apply(e.detail));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && ui.blame) apply({ blame: null });
  });

  // Who is to blame: a click on a neuron (either half) or an input. Weights and biases keep their editor.
  const diagram = $("diagram");
  diagram.addEventListener("click", (e) => {
    const node = e.target.closest && e.target.closest("[data-tip-of]");
    if (!node || node.hasAttribute("data-edit") || !net()) return;
    const [kind, k, j] = node.getAttribute("data-tip-of").split(":");
    if (!["a", "h", "x"].includes(kind)) return;
    apply({ blame: { layer: Number(k), j: Number(j) } });
  });
  // The diagram rebuilds its SVG when its shape or size changes: put the highlight back.
  new MutationObserver(() => {
    if (ui.blame) blameView.highlight(diagram, ui.blame, ui.results.blame);
  }).observe(diagram, { childList: true });

  const card = root.closest("section") || root;
  new IntersectionObserver((entries) => {
    const was = visible;
    visible = entries.some((en) => en.isIntersecting);
    if (visible && !was) {
      stale.add(ui.tab);
      renderTab(ui.tab);
      invalidate([]);
    }
  }).observe(card);

  store.subscribe((s, changed) => {
    if (!s.network || (changed.size === 1 && changed.has("insight"))) return;
    const key = s.network.config.sizes.join(",") + "|" + s.network.config.activations.join(",");
    const newShape = key !== shapeKey;
    if (newShape) {
      shapeKey = key;
      onShape();
    }
    if (changed.has("network")) stale.add("contrib").add("health").add("whatif").add("gradcheck");
    if (changed.has("trace") && s.trace) for (const t of ["gradcheck", "health", "blame", "whatif"]) stale.add(t);
    if (changed.has("training")) stale.add("health").add("whatif");
    if (changed.has("data")) stale.add("contrib");
    if (changed.has("fault") || changed.has("network")) renderFaultStyle();
    if (changed.has("fault") || changed.has("history") || newShape) renderAlert();
    if (newShape) {
      for (const t of TABS) renderTab(t.id);
    } else if (changed.has("history") && visible && ui.tab === "health" && !s.playing) {
      renderTab("health");
    }
    if (stale.size && !s.playing) invalidate([]);
    if (changed.has("playing") && !s.playing) {
      renderTab("health");
      invalidate([]);
    }
  });
}
