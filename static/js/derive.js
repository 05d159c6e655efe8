// Click any revealed number of a_k, h_k, grad_a_k, grad_h_k, grad_W_k, grad_b_k (diagram, equations,
// layer tables) and the derivation panel (#derivation) shows how the notes derive it, with the
// API's numbers (POST /derivation; for a grad_W entry also POST /paths). Hovering a factor rings
// where it lives in the diagram and the layer tables. In quiz mode one factor is hidden until the
// student has typed a value. Reads the page's store (never writes it); keeps its own small UI state.

import { api, exampleBody } from "./api.js";
import { judge, rng } from "./quiz.js";
import { backwardKnown, forwardKnown, gradHKnown, isBackward } from "./stages.js";
import * as view from "./views/derivation.js";

const SVG = "http://www.w3.org/2000/svg";
const MAX_PATHS = 200;
const $ = (id) => document.getElementById(id);
const ui = { entry: null, derivation: null, paths: null, loading: false, error: null, quiz: null };
let ticket = 0;
let state = null; // the page's store state (read only), set by init

const ENTRY = /^(a|h|grad_a|grad_h|grad_W|grad_b)_(\d+)\[(\d+)(?:,(\d+))?\]/;

/** The entry a clicked element stands for, or null: {quantity, layer, index}. */
function entryOf(target) {
  const L = state.network ? state.network.config.sizes.length - 1 : 0;
  const tip = target.closest("[data-tip-of]");
  if (tip && !tip.hasAttribute("data-edit") && tip.closest("#diagram")) {
    const [kind, ks, is] = tip.getAttribute("data-tip-of").split(":");
    const k = Number(ks), i = Number(is);
    const mode = state.diagramMode === "auto" ? (isBackward(state.stage, L) ? "gradients" : "values") : state.diagramMode;
    if (kind === "x") return mode === "gradients" ? { quantity: "grad_h", layer: 0, index: [i] } : { quantity: "h", layer: 0, index: [i] };
    if (kind === "a") return { quantity: mode === "gradients" ? "grad_a" : "a", layer: k, index: [i] };
    if (kind === "h") return mode === "gradients" ? { quantity: k < L ? "grad_h" : "grad_a", layer: k, index: [i] } : { quantity: "h", layer: k, index: [i] };
    return null;
  }
  const labelled = target.closest("td[data-label], [data-tip]");
  if (!labelled || labelled.hasAttribute("data-edit") || labelled.classList.contains("pending")) return null;
  const label = (labelled.getAttribute("data-label") || labelled.getAttribute("data-tip") || "").replace(/^x\[/, "h_0[").replace(/^y_hat\[/, `h_${L}[`);
  const m = ENTRY.exec(label);
  if (!m) return null;
  return { quantity: m[1], layer: Number(m[2]), index: m[4] === undefined ? [Number(m[3])] : [Number(m[3]), Number(m[4])] };
}

/** Is this entry shown at the current stage (so the panel never gives away a number early)? */
function revealed(e) {
  const L = state.network.config.sizes.length - 1;
  if (e.quantity === "h" && e.layer === 0) return true;
  if (e.quantity === "a" || e.quantity === "h") return forwardKnown(state.stage, L, e.layer);
  if (e.quantity === "grad_h") return gradHKnown(state.stage, L, e.layer);
  return backwardKnown(state.stage, L, e.layer);
}

function draw() {
  $("deriv-card")?.classList.toggle("open", !!(ui.entry || ui.derivation));
  view.render($("derivation"), { ...ui, onHover: highlight, onPaths: loadPaths, onReveal: reveal, onClose: close });
}

async function derive(entry) {
  const net = state.network;
  if (!net || !state.trace) return;
  const mine = ++ticket;
  Object.assign(ui, { entry, loading: true, error: null, paths: null });
  draw();
  try {
    const d = await api.derivation(net.id, exampleBody(state.example), { ...entry, example: 0 });
    if (mine !== ticket) return;
    Object.assign(ui, { derivation: d, loading: false, quiz: quizFor(d) });
  } catch (err) {
    if (mine !== ticket) return;
    Object.assign(ui, { derivation: null, loading: false, error: err.message });
  }
  draw();
}

async function loadPaths() {
  const d = ui.derivation;
  if (!d || d.quantity !== "grad_W" || !state.network) return;
  const mine = ticket;
  try {
    const p = await api.paths(state.network.id, exampleBody(state.example), { layer: d.layer, i: d.index[0], j: d.index[1], max_paths: MAX_PATHS, example: 0 });
    if (mine !== ticket) return;
    ui.paths = p;
  } catch (err) {
    ui.error = err.message;
  }
  draw();
}

/** In quiz mode: one factor (seeded by the quiz seed and the entry) is hidden until revealed. */
function quizFor(d) {
  if (!state.quiz || !state.quiz.on) return null;
  const slots = d.terms.slice(0, 24).flatMap((t, ti) => t.factors.map((f, fi) => [ti, fi, f])).filter(([, , f]) => f.quantity !== "constant");
  if (!slots.length) return null;
  const seed = (state.quiz.seed || 0) + d.layer * 7919 + d.index.reduce((a, b) => a * 131 + b, 17) + d.quantity.length * 104729;
  const [t, f] = slots[Math.floor(rng(seed)() * slots.length)];
  return { t, f, revealed: false, guess: null, verdict: null };
}

function reveal(guess) {
  const q = ui.quiz;
  if (!q) return;
  const f = ui.derivation.terms[q.t].factors[q.f];
  const verdict = guess === null || f.value === null ? null : judge(guess, f.value).text;
  ui.quiz = { ...q, revealed: true, guess, verdict };
  draw();
}

function close() {
  ticket++;
  Object.assign(ui, { entry: null, derivation: null, paths: null, error: null, quiz: null });
  highlight(null);
  draw();
}

// --- where a factor lives ------------------------------------------------------------------------

function diagramTargets(f, L) {
  const [i, j] = f.index;
  const k = f.layer;
  switch (f.quantity) {
    case "a": case "grad_a": case "g_prime": return [`[data-tip-of="a:${k}:${i}"]`];
    case "h": case "grad_h": return [k === 0 ? `[data-tip-of="x:0:${i}"]` : `[data-tip-of="h:${k}:${i}"]`];
    case "W": return [`[data-testid="edge-${k}-${i}-${j}"]`];
    case "b": return [`[data-testid="bias-${k}-${i}"]`];
    case "y": return [`[data-testid="dg-y-${i}"]`];
    case "grad_y_hat": return [`[data-tip-of="h:${L}:${i}"]`];
    case "jacobian": return [`[data-tip-of="h:${L}:${i}"]`, `[data-tip-of="a:${L}:${j}"]`];
    default: return [];
  }
}

function cellTargets(f) {
  const [i, j] = f.index;
  const k = f.layer;
  const key = { g_prime: "a", grad_y_hat: "h", jacobian: "a" }[f.quantity] || f.quantity;
  if (f.quantity === "W") return [`[data-testid="W-${k}-${i}-${j}"]`];
  if (f.quantity === "jacobian") return [`[data-testid="a-${k}-${j}"]`];
  return [`[data-testid="${key}-${k}-${i}"]`];
}

function ring(svg, node, group, testid) {
  if (node.dataset.x1 !== undefined) {
    const line = document.createElementNS(SVG, "line");
    for (const a of ["x1", "y1", "x2", "y2"]) line.setAttribute(a, node.dataset[a]);
    line.setAttribute("class", "deriv-edge");
    line.setAttribute("data-testid", testid);
    group.append(line);
    return;
  }
  const box = node.getBBox();
  const r = document.createElementNS(SVG, "rect");
  r.setAttribute("x", (box.x - 3).toFixed(1));
  r.setAttribute("y", (box.y - 3).toFixed(1));
  r.setAttribute("width", (box.width + 6).toFixed(1));
  r.setAttribute("height", (box.height + 6).toFixed(1));
  r.setAttribute("rx", "4");
  r.setAttribute("class", "deriv-ring");
  r.setAttribute("data-testid", testid);
  group.append(r);
}

/** Ring where a factor (or every factor of a path) lives; null clears. */
function highlight(what) {
  const svg = $("diagram") && $("diagram").querySelector("svg");
  document.querySelectorAll(".deriv-hl").forEach((n) => n.classList.remove("deriv-hl"));
  if (svg) svg.querySelectorAll(".deriv-overlay").forEach((g) => g.remove());
  if (!what || !state.network) return;
  const L = state.network.config.sizes.length - 1;
  // a path: its factors, and the weight W_k[i,j] it starts from
  const factors = what.path ? [...what.path.factors, { quantity: "W", layer: what.layer, index: [what.i, what.j] }] : [what];
  const group = document.createElementNS(SVG, "g");
  group.setAttribute("class", "deriv-overlay");
  group.setAttribute("data-testid", "deriv-overlay");
  group.setAttribute("pointer-events", "none");
  for (const f of factors) {
    if (f.quantity === "constant") continue;
    const testid = `deriv-hl-${f.quantity}-${f.layer}-${f.index.join("-")}`;
    if (svg) for (const sel of diagramTargets(f, L)) svg.querySelectorAll(sel).forEach((n) => ring(svg, n, group, testid));
    for (const sel of cellTargets(f)) $("layers")?.querySelectorAll(sel).forEach((n) => n.classList.add("deriv-hl"));
  }
  if (svg) svg.append(group);
}

// --- wiring ------------------------------------------------------------------------------------

function onClick(event) {
  if (!state.network || !state.trace || !event.target.closest) return;
  const entry = entryOf(event.target);
  if (entry && revealed(entry)) derive(entry);
}

/** Wire the panel to the page: store = the lab's store (state.js). */
export function init({ store }) {
  state = store.state;
  for (const id of ["diagram", "equations", "layers"]) $(id)?.addEventListener("click", onClick);
  store.subscribe((_s, changed) => {
    if (!ui.entry) return;
    if (changed.has("network") || changed.has("trace")) {
      if (!state.network || !state.trace) close();
      else if (!state.playing) derive(ui.entry);
    }
  });
  draw();
}
