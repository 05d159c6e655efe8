// The compare page (/compare): two networks on the same data, seed and traced example that
// differ in one choice (hidden activation, output + loss, learning rate, init, init seed or
// optimiser). Both are created through the API; "Step both" runs one step of each on the traced
// example and shows y_hat, the loss and the gradient norms per layer side by side; "Train both"
// trains both for N epochs and overlays their loss and accuracy curves; for 2-input data the two
// decision boundaries are drawn side by side.
//
// The base configuration uses the main page's URL fields (url.js), so the lab links here with its
// current network; diff, va and vb name the choice and its two values.

import { api } from "./api.js";
import { CLASS_COLORS, el, fmt, full, setNumber } from "./format.js";
import { datasetSpec, fromQuery, networkBody, toQuery } from "./url.js";
import { adaptToDataset } from "./views/builder.js";
import * as dataplotView from "./views/dataplot.js";

const $ = (id) => document.getElementById(id);
const SIDES = ["a", "b"];
const COLORS = { a: CLASS_COLORS[0], b: CLASS_COLORS[1] };
const SURFACE_RESOLUTION = 40;

const pairValue = (output, loss) => `${output}+${loss}`;

/** The choices that may differ: how to list their values, defaults, and how to apply one. */
const CHOICES = {
  activation: {
    title: "hidden activation g",
    options: (m) => m.activations,
    defaults: (base) => {
      const a = base.config.activations[0] || "tanh";
      return [a, a === "sigmoid" ? "tanh" : "sigmoid"];
    },
    apply: (c, _t, v) => {
      c.activations = c.activations.map(() => v);
    },
    field: "c-act",
    hint: "Same first weights, different g: watch \u2016\u2207a\u2096\u2016 of the lower layers (sigmoid's g\u2032 \u2264 1/4).",
  },
  loss: {
    title: "output + loss",
    options: (m, info) => pairsFor(m, info),
    defaults: (base) => {
      const pairs = pairsFor(cmp.meta, datasetInfo(base.config.dataset));
      const own = pairValue(base.config.output, base.config.loss);
      const a = pairs.includes(own) ? own : pairs[0];
      const other = pairs.find((p) => p !== a && p.split("+")[0] === a.split("+")[0]) || pairs.find((p) => p !== a) || a;
      return [a, other];
    },
    apply: (c, _t, v) => {
      [c.output, c.loss] = v.split("+");
    },
    field: "c-pair",
    hint: "Same network and data: how the loss shapes \u2207a_L (cross-entropy: \u0177 \u2212 e(y)) and so every gradient below it.",
  },
  eta: {
    title: "learning rate \u03B7",
    number: true,
    defaults: (base) => [base.training.eta, base.training.eta * 10],
    apply: (_c, t, v) => {
      t.eta = Number(v);
    },
    field: "c-eta",
    hint: "Same gradients at the first step; a larger \u03B7 moves further along them (and may overshoot).",
  },
  init: {
    title: "initialisation",
    options: (m) => m.inits,
    defaults: () => ["xavier_uniform", "zeros"],
    apply: (c, _t, v) => {
      c.init = v;
    },
    field: "c-init",
    hint: "With zeros every hidden unit of a layer computes the same thing and gets the same gradient: the symmetry never breaks.",
  },
  seed: {
    title: "initialisation seed",
    number: true,
    integer: true,
    defaults: (base) => [base.config.seed, base.config.seed + 1],
    apply: (c, _t, v) => {
      c.seed = Number(v);
    },
    field: "c-seed",
    hint: "Same recipe, different first weights: how much the result depends on the luck of the draw.",
  },
  optimizer: {
    title: "optimiser",
    options: (m) => m.optimizers,
    defaults: () => ["sgd", "adam"],
    apply: (_c, t, v) => {
      t.optimizer = v;
    },
    field: "c-opt",
    hint: "Same gradients, different update rules (Adam: each parameter's step is scaled by its own gradient history).",
  },
};

function pairsFor(meta, info) {
  const regression = info && info.task === "regression";
  return meta.valid_pairs.filter(([o]) => (regression ? o === "linear" : o !== "linear")).map(([o, l]) => pairValue(o, l));
}

// ---------------------------------------------------------------------------------------------
// State: one object, changed through set().

const cmp = {
  meta: null,
  datasets: [],
  config: null, // the base configuration (url.js fields)
  training: null, // base training settings (eta, batchSize, optimizer, l2, beta, ...)
  diff: { choice: "activation", a: null, b: null },
  row: 0,
  data: null,
  sides: { a: null, b: null }, // {config, training, network, history, surface, last}
  busy: false,
  error: null,
};

function set(patch) {
  Object.assign(cmp, patch);
  render();
}

function fail(message) {
  set({ error: message || null });
}

function datasetInfo(name) {
  return cmp.datasets.find((d) => d.name === name) || null;
}

function info() {
  return datasetInfo(cmp.config.dataset);
}

/** The configuration and training of one side: the base with the one choice applied. */
function sideSetup(side) {
  const config = { ...cmp.config, sizes: [...cmp.config.sizes], activations: [...cmp.config.activations] };
  const training = { ...cmp.training };
  CHOICES[cmp.diff.choice].apply(config, training, cmp.diff[side]);
  return { config, training };
}

function optimizerOf(t) {
  return { name: t.optimizer, eta: t.eta, beta: t.beta, beta1: t.beta1, beta2: t.beta2, eps: t.eps, l2: t.l2 };
}

function example() {
  return { kind: "row", split: "train", row: cmp.row, x: null, y: null };
}

function valueText(choice, v) {
  return CHOICES[choice].number ? String(v) : String(v).replace("+", " + ");
}

function sideLabel(side) {
  return `${CHOICES[cmp.diff.choice].title} = ${valueText(cmp.diff.choice, cmp.diff[side])}`;
}

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
// Talking to the API.

let buildSeq = 0;

function forget(sides) {
  for (const s of Object.values(sides)) if (s && s.network) api.deleteNetwork(s.network.id).catch(() => {});
}

/** Create both networks (and fetch the shared data) for the current choices. */
async function build() {
  const seq = ++buildSeq;
  writeUrl();
  const setups = { a: sideSetup("a"), b: sideSetup("b") };
  const spec = datasetSpec(cmp.config);
  set({ busy: true, error: null });
  try {
    const same = cmp.data && JSON.stringify(cmp.data.spec) === JSON.stringify({ ...cmp.data.spec, ...spec });
    const [data, na, nb] = await Promise.all([
      same ? cmp.data : api.dataset(spec),
      api.createNetwork(networkBody(setups.a.config)).catch((err) => Promise.reject(new Error(`A (${sideLabel("a")}): ${err.message}`))),
      api.createNetwork(networkBody(setups.b.config)).catch((err) => Promise.reject(new Error(`B (${sideLabel("b")}): ${err.message}`))),
    ]);
    if (seq !== buildSeq) {
      forget({ a: { network: na }, b: { network: nb } });
      return;
    }
    forget(cmp.sides);
    const row = Math.min(cmp.row, data.X_train.length - 1);
    set({
      data,
      row,
      sides: {
        a: { ...setups.a, network: na, history: [], surface: null, last: null },
        b: { ...setups.b, network: nb, history: [], surface: null, last: null },
      },
    });
    await refreshSurfaces();
    document.body.dataset.ready = "1";
  } catch (err) {
    if (seq === buildSeq) set({ sides: { a: null, b: null }, error: err.message });
  } finally {
    if (seq === buildSeq) set({ busy: false });
  }
}

async function refreshSurfaces() {
  if (!cmp.data || cmp.data.info.n_inputs > 2) return;
  const sides = cmp.sides;
  const surfaces = await Promise.all(SIDES.map((s) => api.surface(sides[s].network.id, SURFACE_RESOLUTION)));
  if (cmp.sides !== sides) return;
  set({ sides: { a: { ...sides.a, surface: surfaces[0] }, b: { ...sides.b, surface: surfaces[1] } } });
}

async function refreshNetworks() {
  const sides = cmp.sides;
  const nets = await Promise.all(SIDES.map((s) => api.getNetwork(sides[s].network.id)));
  if (cmp.sides !== sides) return;
  set({ sides: { a: { ...sides.a, network: nets[0] }, b: { ...sides.b, network: nets[1] } } });
}

const ready = () => cmp.sides.a && cmp.sides.b && !cmp.busy;

async function stepBoth() {
  if (!ready()) return;
  const sides = cmp.sides;
  set({ busy: true, error: null });
  try {
    const results = await Promise.all(SIDES.map((s) => api.step(sides[s].network.id, example(), optimizerOf(sides[s].training))));
    if (cmp.sides !== sides) return;
    const next = {};
    SIDES.forEach((s, i) => {
      const r = results[i];
      next[s] = { ...sides[s], last: r, network: { ...sides[s].network, W: r.W_after, b: r.b_after, step: r.step } };
    });
    set({ sides: next });
    await refreshSurfaces();
  } catch (err) {
    fail(`Step: ${err.message}`);
  } finally {
    set({ busy: false });
  }
}

function epochsWanted() {
  const input = $("cmp-epochs");
  const n = Number(input.value);
  const max = cmp.meta.limits.max_epochs;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    fail(`Epochs must be a whole number from 1 to ${max}; "${input.value}" is not.`);
    return null;
  }
  return n;
}

async function trainBoth() {
  if (!ready()) return;
  const epochs = epochsWanted();
  if (epochs === null) return;
  const sides = cmp.sides;
  set({ busy: true, error: null });
  try {
    const results = await Promise.all(
      SIDES.map((s) => api.train(sides[s].network.id, { epochs, batch_size: sides[s].training.batchSize, optimizer: optimizerOf(sides[s].training) })),
    );
    if (cmp.sides !== sides) return;
    const next = {};
    SIDES.forEach((s, i) => {
      const r = results[i];
      next[s] = { ...sides[s], history: [...sides[s].history, ...r.history], diverged: r.diverged };
    });
    set({ sides: next });
    await refreshNetworks();
    await refreshSurfaces();
  } catch (err) {
    fail(`Training: ${err.message}`);
  } finally {
    set({ busy: false });
  }
}

async function resetBoth() {
  if (!ready()) return;
  const sides = cmp.sides;
  set({ busy: true, error: null });
  try {
    const nets = await Promise.all(SIDES.map((s) => api.reset(sides[s].network.id)));
    if (cmp.sides !== sides) return;
    const fresh = (s, n) => ({ ...sides[s], network: n, history: [], last: null, diverged: null, surface: null });
    set({ sides: { a: fresh("a", nets[0]), b: fresh("b", nets[1]) } });
    await refreshSurfaces();
  } catch (err) {
    fail(`Reset: ${err.message}`);
  } finally {
    set({ busy: false });
  }
}

// ---------------------------------------------------------------------------------------------
// Drawing.

const norm = (values) => Math.sqrt(values.flat().reduce((acc, v) => acc + (v === null ? NaN : v * v), 0));

function numberCell(testid, value, label) {
  const td = el("td", { "data-testid": testid, class: "num" });
  if (value === undefined) {
    td.textContent = "\u00B7";
    td.title = `${label}: press Step both`;
    td.classList.add("pending");
  } else {
    setNumber(td, Number.isNaN(value) ? null : value, label);
  }
  return td;
}

function ratioCell(testid, a, b) {
  const td = el("td", { "data-testid": testid, class: "ratio" });
  if (a === undefined || b === undefined || a === null || b === null || a === 0) {
    td.textContent = "\u2013";
    return td;
  }
  const r = b / a;
  td.textContent = `\u00D7${fmt(r)}`;
  td.dataset.value = String(r);
  td.title = `B / A = ${full(r)}`;
  return td;
}

function vectorCell(testid, values, label) {
  const td = el("td", { "data-testid": testid, class: "vec" });
  if (!values) {
    td.textContent = "\u00B7";
    td.classList.add("pending");
    return td;
  }
  values.forEach((v, i) => {
    const span = el("span", { "data-testid": `${testid}-${i}`, class: "num" });
    setNumber(span, v, `${label}[${i}]`);
    td.append(span, i < values.length - 1 ? " " : "");
  });
  return td;
}

/** The step table: rows y_hat, loss, then ||grad_a_k|| and ||grad_W_k|| for k = L..1; columns A, B, B/A. */
function renderTable() {
  const host = $("cmp-table");
  const { a, b } = cmp.sides;
  if (!a || !b) {
    host.replaceChildren();
    return;
  }
  const L = a.config.sizes.length - 1;
  const ra = a.last;
  const rb = b.last;
  const quantities = (r) => {
    if (!r) return null;
    const out = { y_hat: r.y_hat[0], loss: r.loss, grad_a: {}, grad_W: {} };
    for (let k = 1; k <= L; k++) {
      out.grad_a[k] = norm(r.grad_a[k - 1][0]);
      out.grad_W[k] = norm(r.grad_W[k - 1]);
    }
    return out;
  };
  const qa = quantities(ra);
  const qb = quantities(rb);
  const rows = [
    el("tr", {}, el("th", { scope: "row", html: "\u0177 = h<sub>L</sub>" }), vectorCell("cmp-yhat-a", qa && qa.y_hat, "A: y_hat"), vectorCell("cmp-yhat-b", qb && qb.y_hat, "B: y_hat"), el("td")),
    el("tr", {}, el("th", { scope: "row", text: "loss \u2112" }), numberCell("cmp-loss-a", qa ? qa.loss : undefined, "A: loss"), numberCell("cmp-loss-b", qb ? qb.loss : undefined, "B: loss"), ratioCell("cmp-ratio-loss", qa && qa.loss, qb && qb.loss)),
  ];
  for (let k = L; k >= 1; k--) {
    for (const [key, html] of [["grad_a", `\u2016\u2207a<sub>${k}</sub>\u2112\u2016`], ["grad_W", `\u2016\u2207W<sub>${k}</sub>\u2112\u2016`]]) {
      const va = qa ? qa[key][k] : undefined;
      const vb = qb ? qb[key][k] : undefined;
      rows.push(
        el("tr", {}, el("th", { scope: "row", html: `${html} <span class="muted">layer ${k}</span>` }),
          numberCell(`cmp-${key}-a-${k}`, va, `A: ||${key}_${k}||`),
          numberCell(`cmp-${key}-b-${k}`, vb, `B: ||${key}_${k}||`),
          ratioCell(`cmp-ratio-${key}-${k}`, va, vb)),
      );
    }
  }
  const table = el("table", { class: "nums cmp-nums", "aria-label": "The traced example in both networks, side by side" },
    el("thead", {}, el("tr", {}, el("th", { text: "" }), el("th", { class: "a", text: `A: ${valueText(cmp.diff.choice, cmp.diff.a)}` }), el("th", { class: "b", text: `B: ${valueText(cmp.diff.choice, cmp.diff.b)}` }), el("th", { text: "B / A" }))),
    el("tbody", {}, rows));
  host.replaceChildren(table);
  renderNorms(L, qa, qb);
  const d = cmp.data;
  const y = d && d.y_train[cmp.row];
  $("cmp-step-note").textContent = ra
    ? `(train row ${cmp.row}, label ${Array.isArray(y) ? fmt(y[0]) : y}: the pass of step ${ra.step}, before its update; norms are Euclidean / Frobenius)`
    : `(train row ${cmp.row}: press Step both)`;
}

/** ||grad_a_k|| and ||grad_W_k|| per layer for A and B, grouped bars on a log scale (vanishing gradients show). */
function renderNorms(L, qa, qb) {
  const host = $("cmp-norms");
  if (!window.Plotly) return;
  const layers = Array.from({ length: L }, (_, i) => `layer ${i + 1}`);
  const traces = [];
  for (const [s, q] of [["a", qa], ["b", qb]]) {
    if (!q) continue;
    for (const [key, label, opacity] of [["grad_a", "\u2016\u2207a\u2096\u2016", 0.55], ["grad_W", "\u2016\u2207W\u2096\u2016", 1]]) {
      traces.push({
        type: "bar", name: `${s.toUpperCase()} ${label}`, x: layers, y: layers.map((_, i) => q[key][i + 1]),
        marker: { color: COLORS[s], opacity, line: { color: "#1d2430", width: key === "grad_a" ? 0 : 0.6 } },
        hovertemplate: `${s.toUpperCase()}: ||${key}_%{x}|| = %{y}<extra></extra>`.replace("_layer ", "_"),
      });
    }
  }
  const layout = {
    barmode: "group", margin: { l: 44, r: 4, t: 18, b: 22 }, font: { size: 10.5 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfd",
    yaxis: { type: "log", exponentformat: "e", title: { text: "norm (log)", standoff: 2 } },
    legend: { orientation: "h", x: 0, y: 1.14, font: { size: 9.5 } },
    annotations: traces.length ? [] : [{ text: "Press Step both (S): gradient norms per layer", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }],
  };
  // The table beside it changes width once numbers arrive: fit the plot to its cell again.
  window.Plotly.react(host, traces, layout, { displayModeBar: false, responsive: true }).then(() => window.Plotly.Plots.resize(host));
}

function renderCurves() {
  const host = $("cmp-curves");
  if (!window.Plotly || !cmp.sides.a) return;
  const traces = [];
  let hasAcc = false;
  for (const s of SIDES) {
    const side = cmp.sides[s];
    const h = side.history;
    const x = h.map((r) => r.epoch);
    const name = s.toUpperCase();
    traces.push(
      { type: "scatter", mode: "lines+markers", name: `${name} train loss`, x, y: h.map((r) => r.train_loss), line: { color: COLORS[s], width: 2 }, marker: { size: 3 } },
      { type: "scatter", mode: "lines", name: `${name} test loss`, x, y: h.map((r) => r.test_loss), line: { color: COLORS[s], width: 1.5, dash: "dash" } },
    );
    if (h.some((r) => r.train_accuracy !== null)) {
      hasAcc = true;
      traces.push(
        { type: "scatter", mode: "lines", name: `${name} train acc`, x, y: h.map((r) => r.train_accuracy), xaxis: "x2", yaxis: "y2", line: { color: COLORS[s], width: 2 } },
        { type: "scatter", mode: "lines", name: `${name} test acc`, x, y: h.map((r) => r.test_accuracy), xaxis: "x2", yaxis: "y2", line: { color: COLORS[s], width: 1.5, dash: "dot" } },
      );
    }
  }
  host.dataset.points = `${cmp.sides.a.history.length},${cmp.sides.b.history.length}`;
  const layout = {
    margin: { l: 44, r: 8, t: 6, b: 28 }, font: { size: 10.5 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fbfcfd",
    showlegend: false,
    xaxis: { anchor: "y", domain: [0, 1], showticklabels: !hasAcc, rangemode: "tozero" },
    yaxis: { domain: hasAcc ? [0.52, 1] : [0, 1], title: { text: "loss", standoff: 2 }, rangemode: "tozero" },
    annotations: cmp.sides.a.history.length ? [] : [{ text: "Press Train both (E)", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.75 }],
  };
  if (hasAcc) {
    layout.xaxis2 = { anchor: "y2", domain: [0, 1], title: { text: "epoch", standoff: 0 }, matches: "x" };
    layout.yaxis2 = { domain: [0, 0.44], range: [0, 1.02], tickformat: ".0%", title: { text: "accuracy", standoff: 2 } };
  }
  window.Plotly.react(host, traces, layout, { displayModeBar: false, responsive: true });
}

function summary(side) {
  const n = side.network;
  const last = side.history[side.history.length - 1];
  const pct = (v) => (v === null || v === undefined ? "\u2013" : `${(100 * v).toFixed(1)}%`);
  let text = `step ${n.step} \u00B7 epoch ${n.epoch}`;
  if (last) text += ` \u00B7 train loss ${fmt(last.train_loss, 4)}${last.test_accuracy !== null ? ` \u00B7 test acc ${pct(last.test_accuracy)}` : last.test_loss !== null ? ` \u00B7 test loss ${fmt(last.test_loss, 4)}` : ""}`;
  if (side.diverged) text += ` \u00B7 diverged: ${side.diverged.message}`;
  return text;
}

function renderSides() {
  for (const s of SIDES) {
    const side = cmp.sides[s];
    $(`cmp-plot-${s}`).closest(".cmp-side").dataset.networkId = side ? side.network.id : "";
    document.querySelector(`[data-testid="cmp-label-${s}"]`).textContent = sideLabel(s);
    const sum = document.querySelector(`[data-testid="cmp-summary-${s}"]`);
    sum.textContent = side ? summary(side) : "";
    if (side && side.history.length) {
      const last = side.history[side.history.length - 1];
      sum.dataset.trainLoss = String(last.train_loss);
    } else {
      delete sum.dataset.trainLoss;
    }
    if (!side || !window.Plotly || !cmp.data) continue;
    const nL = side.config.sizes[side.config.sizes.length - 1];
    dataplotView.render($(`cmp-plot-${s}`), { data: cmp.data, surface: side.surface, example: example(), nL, output: side.config.output });
  }
}

function renderChrome() {
  const has = !!(cmp.sides.a && cmp.sides.b);
  for (const id of ["cmp-step", "cmp-train", "cmp-reset"]) $(id).disabled = !has || cmp.busy;
  const err = $("cmp-error");
  err.hidden = !cmp.error;
  err.textContent = cmp.error || "";
  const a = cmp.sides.a;
  $("cmp-status").textContent = a ? `${a.network.n_parameters} parameters each \u00B7 same data (${cmp.config.dataset}, seed ${cmp.config.dataSeed}) \u00B7 differs only in ${CHOICES[cmp.diff.choice].title}` : cmp.busy ? "building\u2026" : "";
  document.body.dataset.busy = cmp.busy ? "1" : "0";
  document.body.dataset.networkA = a ? a.network.id : "";
  document.body.dataset.networkB = cmp.sides.b ? cmp.sides.b.network.id : "";
}

function render() {
  if (!cmp.meta) return;
  renderForm();
  renderChrome();
  renderSides();
  renderTable();
  renderCurves();
}

// ---------------------------------------------------------------------------------------------
// The form.

function options(select, values, labels = (v) => v) {
  const key = values.join("|");
  if (select._key === key) return;
  select._key = key;
  select.replaceChildren(...values.map((v) => el("option", { value: v, text: labels(v) })));
}

function setValue(input, v) {
  if (document.activeElement === input) return;
  const s = v === null || v === undefined ? "" : String(v);
  if (input.value !== s) input.value = s;
}

function valueInput(side, choice) {
  const c = CHOICES[choice];
  const id = `c-v${side}`;
  const label = `Value of ${c.title} for network ${side.toUpperCase()}`;
  if (c.number) return el("input", { id, "data-testid": id, type: "number", min: 0, step: c.integer ? 1 : "any", "aria-label": label });
  const select = el("select", { id, "data-testid": id, "aria-label": label });
  options(select, c.options(cmp.meta, info()), (v) => valueText(choice, v));
  return select;
}

function renderForm() {
  const meta = cmp.meta;
  options($("c-diff"), Object.keys(CHOICES), (k) => CHOICES[k].title);
  setValue($("c-diff"), cmp.diff.choice);
  options($("c-dataset"), cmp.datasets.map((d) => d.name), (n) => {
    const d = cmp.datasets.find((x) => x.name === n);
    return `${d.title} (${d.n_inputs}\u2192${d.n_outputs})`;
  });
  const c = cmp.config;
  setValue($("c-dataset"), c.dataset);
  setValue($("c-n"), c.n);
  $("c-n").placeholder = info() ? String(info().default_n) : "";
  $("c-n").disabled = !(info() && info().synthetic);
  setValue($("c-dseed"), c.dataSeed);
  setValue($("c-sizes"), c.sizes.join(", "));
  options($("c-act"), meta.activations);
  setValue($("c-act"), c.activations[0] || "tanh");
  $("c-act").disabled = c.sizes.length <= 2;
  options($("c-pair"), pairsFor(meta, info()), (v) => valueText("loss", v));
  setValue($("c-pair"), pairValue(c.output, c.loss));
  options($("c-init"), meta.inits);
  setValue($("c-init"), c.init);
  setValue($("c-seed"), c.seed);
  setValue($("c-eta"), cmp.training.eta);
  options($("c-opt"), meta.optimizers);
  setValue($("c-opt"), cmp.training.optimizer);
  setValue($("c-batch"), cmp.training.batchSize);
  setValue($("c-row"), cmp.row);
  // The base field the choice overrides is shown disabled.
  for (const k of Object.keys(CHOICES)) {
    const field = $(CHOICES[k].field);
    field.classList.toggle("overridden", k === cmp.diff.choice);
    if (k === cmp.diff.choice) {
      field.disabled = true;
      field.title = "Set for A and B by the choice above";
    } else if (field.title === "Set for A and B by the choice above") {
      field.title = "";
      field.disabled = k === "activation" && c.sizes.length <= 2;
    }
  }
  for (const s of SIDES) {
    const host = $(`c-v${s}-host`);
    const key = `${cmp.diff.choice}|${cmp.config.dataset}`;
    if (host._key !== key) {
      host._key = key;
      host.replaceChildren(valueInput(s, cmp.diff.choice));
    }
    setValue($(`c-v${s}`), cmp.diff[s]);
  }
  const c2 = CHOICES[cmp.diff.choice];
  const onlyOne = !c2.number && c2.options(meta, info()).length < 2;
  $("c-diff-hint").textContent = cmp.diff.a === cmp.diff.b
    ? onlyOne
      ? `This dataset allows only one ${c2.title} (${valueText(cmp.diff.choice, cmp.diff.a)}): choose another difference.`
      : "A and B are the same: choose two different values."
    : c2.hint;
}

let buildTimer = null;
function rebuildSoon() {
  clearTimeout(buildTimer);
  buildTimer = setTimeout(build, 60);
}

function defaultsFor(choice) {
  const [a, b] = CHOICES[choice].defaults({ config: cmp.config, training: cmp.training });
  return { choice, a, b };
}

function onFormChange(event) {
  const t = event.target;
  const c = { ...cmp.config, sizes: [...cmp.config.sizes], activations: [...cmp.config.activations] };
  const training = { ...cmp.training };
  const number = (input) => (input.value.trim() === "" ? null : Number(input.value));
  if (t.id === "c-diff") {
    set({ diff: defaultsFor(t.value) });
    rebuildSoon();
    return;
  }
  if (t.id === "c-va" || t.id === "c-vb") {
    const choice = CHOICES[cmp.diff.choice];
    const v = choice.number ? Number(t.value) : t.value;
    if (choice.number && !(t.value.trim() !== "" && Number.isFinite(v) && v >= 0 && (!choice.integer || Number.isInteger(v)))) {
      fail(`${choice.title}: "${t.value}" is not ${choice.integer ? "a whole number" : "a number"} \u2265 0.`);
      return;
    }
    set({ diff: { ...cmp.diff, [t.id === "c-va" ? "a" : "b"]: v }, error: null });
    rebuildSoon();
    return;
  }
  if (t.id === "c-row") {
    const n = cmp.data ? cmp.data.X_train.length : 0;
    const row = Number(t.value);
    if (!Number.isInteger(row) || row < 0 || row >= n) {
      fail(`The train split has rows 0 to ${n - 1}; "${t.value}" is not one of them.`);
      return;
    }
    set({ row, error: null, sides: clearLast(cmp.sides) });
    writeUrl();
    return;
  }
  if (t.id === "c-dataset") {
    c.dataset = t.value;
    Object.assign(c, adaptToDataset(c, cmp.datasets.find((d) => d.name === t.value), cmp.meta));
  } else if (t.id === "c-n") c.n = number(t);
  else if (t.id === "c-dseed") c.dataSeed = Number(t.value);
  else if (t.id === "c-sizes") {
    const sizes = t.value.split(/[,\s]+/).filter(Boolean).map(Number);
    if (sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s >= 1)) {
      fail(`Sizes must be two or more whole numbers \u2265 1, like "2, 4, 2"; "${t.value}" is not.`);
      return;
    }
    c.sizes = sizes;
    c.activations = Array.from({ length: sizes.length - 2 }, (_, i) => c.activations[i] || c.activations[c.activations.length - 1] || "tanh");
  } else if (t.id === "c-act") c.activations = c.activations.map(() => t.value);
  else if (t.id === "c-pair") [c.output, c.loss] = t.value.split("+");
  else if (t.id === "c-init") c.init = t.value;
  else if (t.id === "c-seed") c.seed = Number(t.value);
  else if (t.id === "c-eta") training.eta = Number(t.value);
  else if (t.id === "c-opt") training.optimizer = t.value;
  else if (t.id === "c-batch") training.batchSize = Number(t.value);
  else return;
  const problems = [];
  if (!(Number.isInteger(c.seed) && c.seed >= 0)) problems.push("the seed must be a whole number \u2265 0");
  if (!(Number.isInteger(c.dataSeed) && c.dataSeed >= 0)) problems.push("the data seed must be a whole number \u2265 0");
  if (!(Number.isFinite(training.eta) && training.eta >= 0)) problems.push("\u03B7 must be a number \u2265 0");
  if (!(Number.isInteger(training.batchSize) && training.batchSize >= 1)) problems.push("the batch size must be a whole number \u2265 1");
  if (problems.length) {
    fail(`Not changed: ${problems.join("; ")}.`);
    return;
  }
  const diff = t.id === "c-dataset" && cmp.diff.choice === "loss" ? defaultsAfterDataset(c, training) : cmp.diff;
  set({ config: c, training, diff, error: null });
  rebuildSoon();
}

function defaultsAfterDataset(c, training) {
  const pairs = pairsFor(cmp.meta, datasetInfo(c.dataset));
  if (pairs.includes(cmp.diff.a) && pairs.includes(cmp.diff.b)) return cmp.diff;
  const [a, b] = CHOICES.loss.defaults({ config: c, training });
  return { choice: "loss", a, b };
}

function clearLast(sides) {
  const out = {};
  for (const s of SIDES) out[s] = sides[s] ? { ...sides[s], last: null } : null;
  return out;
}

function bind() {
  const form = $("cmp-form");
  form.addEventListener("submit", (e) => e.preventDefault());
  form.addEventListener("change", onFormChange);
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
      fail("Step traces a row of the train split: click a round (train) point.");
      return;
    }
    set({ row: e.detail.row, error: null, sides: clearLast(cmp.sides) });
    writeUrl();
  });
  window.addEventListener("pagehide", () => forget(cmp.sides));
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(render, 100);
  });
}

function readDiff(q) {
  const choice = q.get("diff");
  if (!choice || !CHOICES[choice]) return defaultsFor(cmp.config.sizes.length > 2 ? "activation" : "eta");
  const fallback = defaultsFor(choice);
  const read = (key, dflt) => {
    if (!q.has(key)) return dflt;
    const v = q.get(key);
    if (CHOICES[choice].number) {
      const n = Number(v);
      return Number.isFinite(n) && n >= 0 ? n : dflt;
    }
    return CHOICES[choice].options(cmp.meta, info()).includes(v) ? v : dflt;
  };
  return { choice, a: read("va", fallback.a), b: read("vb", fallback.b) };
}

async function init() {
  bind();
  try {
    const [meta, datasets] = await Promise.all([api.meta(), api.datasets()]);
    const parsed = fromQuery(location.search);
    const config = parsed.config;
    if (!config.dataset || !datasets.some((d) => d.name === config.dataset)) {
      Object.assign(config, adaptToDataset({ ...config, dataset: "moons" }, datasets.find((d) => d.name === "moons"), meta), { dataset: "moons" });
    }
    Object.assign(cmp, { meta, datasets, config, training: parsed.training, row: parsed.example ? parsed.example.row : 0 });
    cmp.diff = readDiff(new URLSearchParams(location.search));
    if (!window.Plotly) await new Promise((resolve) => window.addEventListener("load", resolve, { once: true }));
    render();
    await build();
  } catch (err) {
    fail(err.message);
  }
}

init();
