// The builder form: dataset, sizes (typed, or hidden layers added/removed with widths),
// activation per hidden layer, output function, loss (only valid pairs), init, seed, and the
// training settings. The form owns no state: every edit dispatches "config-change" (with the
// whole new config) or "training-change"; render() writes the state back into the fields.

import { el } from "../format.js";

const $ = (form, id) => form.querySelector(`#${id}`);

function option(value, text) {
  return el("option", { value, text: text ?? value });
}

function numberOrNull(input) {
  const v = input.value.trim();
  if (v === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}

function dispatch(form, type, detail) {
  form.dispatchEvent(new CustomEvent(type, { bubbles: true, detail }));
}

const CLASSES_RANGE = [2, 10];
const TAKES_CLASSES = new Set(["blobs"]);

function datasetInfo(datasets, name) {
  return datasets.find((d) => d.name === name) || null;
}

function validLosses(meta, output) {
  return meta.valid_pairs.filter(([o]) => o === output).map(([, l]) => l);
}

/** Adjust a config after the dataset changed: input/output sizes and the output/loss pair follow it. */
export function adaptToDataset(config, info, meta) {
  const c = { ...config, sizes: [...config.sizes], activations: [...config.activations] };
  if (!info) return c;
  c.sizes[0] = info.n_inputs;
  c.sizes[c.sizes.length - 1] = info.n_outputs;
  if (info.task === "regression") {
    c.output = "linear";
    c.loss = "squared_error";
  } else if (c.output === "linear" || !validLosses(meta, c.output).includes(c.loss)) {
    c.output = "softmax";
    c.loss = "cross_entropy";
  }
  c.n = null;
  c.nClasses = null;
  c.noise = null;
  return c;
}

function init(form, d) {
  const { meta, datasets } = d;
  const ds = $(form, "f-dataset");
  ds.replaceChildren(option("", "none: type the sizes"), ...datasets.map((x) => option(x.name, `${x.title} (${x.n_inputs}\u2192${x.n_outputs}, ${x.task})`)));
  $(form, "f-output").replaceChildren(...meta.outputs.map((o) => option(o)));
  $(form, "f-init").replaceChildren(...meta.inits.map((o) => option(o)));
  $(form, "f-optimizer").replaceChildren(...meta.optimizers.map((o) => option(o)));
  const limits = meta.limits || {};
  if (limits.max_width) form._maxWidth = limits.max_width;
  // The number of classes, for the datasets that take one (blobs: k = 2..10, as GET /datasets describes).
  const classes = el("input", { id: "f-k", name: "k", type: "number", min: CLASSES_RANGE[0], max: CLASSES_RANGE[1], step: 1, "data-testid": "f-k", "aria-label": "Number of classes k" });
  $(form, "dataset-params").append(el("label", { id: "f-k-label", "data-testid": "f-k-label", hidden: true }, "Classes", classes));

  form.addEventListener("submit", (e) => e.preventDefault());
  form.addEventListener("change", (event) => onChange(form, event));
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("input[type=text], input[type=number]")) {
      event.preventDefault();
      event.target.blur();
    }
  });
  form.addEventListener("click", (event) => {
    const remove = event.target.closest("[data-remove]");
    if (remove) {
      const i = Number(remove.dataset.remove);
      const c = current(form);
      c.sizes.splice(i + 1, 1);
      c.activations.splice(i, 1);
      dispatch(form, "config-change", c);
    }
  });
  $(form, "btn-add-layer").addEventListener("click", () => {
    const c = current(form);
    const last = c.sizes.length - 1;
    const width = c.sizes.length > 2 ? c.sizes[last - 1] : 3;
    c.sizes.splice(last, 0, width);
    c.activations.push(c.activations[c.activations.length - 1] || "tanh");
    dispatch(form, "config-change", c);
  });
}

function current(form) {
  const c = form._config;
  return { ...c, sizes: [...c.sizes], activations: [...c.activations] };
}

const TRAINING_FIELDS = ["f-eta", "f-batch", "f-optimizer", "f-l2", "f-beta", "f-beta1", "f-beta2", "f-eps"];

function onChange(form, event) {
  const t = event.target;
  const d = form._data;
  if (TRAINING_FIELDS.includes(t.id)) {
    const value = (id) => Number($(form, id).value);
    dispatch(form, "training-change", {
      eta: value("f-eta"),
      batchSize: value("f-batch"),
      optimizer: $(form, "f-optimizer").value,
      l2: value("f-l2"),
      beta: value("f-beta"),
      beta1: value("f-beta1"),
      beta2: value("f-beta2"),
      eps: value("f-eps"),
    });
    return;
  }
  let c = current(form);
  if (t.id === "f-dataset") {
    c.dataset = t.value;
    c = adaptToDataset(c, datasetInfo(d.datasets, t.value), d.meta);
  } else if (t.id === "f-k") {
    const k = Number(t.value);
    if (t.value.trim() === "" || !Number.isInteger(k) || k < CLASSES_RANGE[0] || k > CLASSES_RANGE[1]) {
      t.value = String(c.nClasses ?? datasetInfo(d.datasets, c.dataset).n_classes);
      t.setCustomValidity("");
      return;
    }
    c.nClasses = k;
    c.sizes[c.sizes.length - 1] = k; // one output per class (softmax)
  } else if (t.id === "f-sizes") {
    const parts = t.value.split(/[,\s]+/).filter(Boolean).map(Number);
    c.sizes = parts;
    const hidden = Math.max(parts.length - 2, 0);
    c.activations = Array.from({ length: hidden }, (_, i) => c.activations[i] || c.activations[c.activations.length - 1] || "tanh");
  } else if (t.dataset.width !== undefined) {
    c.sizes[Number(t.dataset.width) + 1] = Number(t.value);
  } else if (t.dataset.act !== undefined) {
    c.activations[Number(t.dataset.act)] = t.value;
  } else if (t.id === "f-output") {
    c.output = t.value;
    const ok = validLosses(d.meta, c.output);
    if (!ok.includes(c.loss)) c.loss = ok[0];
  } else if (t.id === "f-loss") {
    c.loss = t.value;
  } else if (t.id === "f-init") {
    c.init = t.value;
  } else if (t.id === "f-scale") {
    c.initScale = Number(t.value);
  } else if (t.id === "f-seed") {
    c.seed = Number(t.value);
  } else if (t.id === "f-n") {
    c.n = numberOrNull(t);
  } else if (t.id === "f-noise") {
    c.noise = numberOrNull(t);
  } else if (t.id === "f-dseed") {
    c.dataSeed = Number(t.value);
  } else if (t.id === "f-std") {
    c.standardize = t.checked;
  } else {
    return;
  }
  dispatch(form, "config-change", c);
}

function setValue(input, value) {
  if (document.activeElement === input) return;
  const v = value === null || value === undefined ? "" : String(value);
  if (input.value !== v) input.value = v;
}

function renderHidden(form, c, meta) {
  const host = $(form, "hidden-layers");
  const key = `${c.sizes.join(",")}|${c.activations.join(",")}`;
  if (host._key === key) return;
  host._key = key;
  const rows = [];
  for (let i = 0; i < c.sizes.length - 2; i++) {
    const k = i + 1;
    const width = el("input", { type: "number", min: 1, max: form._maxWidth || null, step: 1, value: c.sizes[k], "data-width": i, "data-testid": `hl-width-${k}`, "aria-label": `Width n_${k} of hidden layer ${k}` });
    const act = el("select", { "data-act": i, "data-testid": `hl-act-${k}`, "aria-label": `Activation g of hidden layer ${k}` }, meta.activations.map((a) => option(a)));
    act.value = c.activations[i];
    rows.push(
      el("div", { class: "hl-row" },
        el("span", { html: `layer ${k}` }),
        width,
        act,
        el("button", { type: "button", "data-remove": i, "data-testid": `hl-remove-${k}`, "aria-label": `Remove hidden layer ${k}`, title: `Remove hidden layer ${k}`, text: "\u00D7" })),
    );
  }
  if (!rows.length) rows.push(el("p", { class: "hint", text: "No hidden layer: the output is O(b\u2081 + W\u2081 x)." }));
  host.replaceChildren(...rows);
}

/** data: {config, training, meta, datasets} */
export function render(form, d) {
  if (!form._init) {
    init(form, d);
    form._init = true;
  }
  form._data = d;
  const c = d.config;
  form._config = c;
  const info = datasetInfo(d.datasets, c.dataset);
  setValue($(form, "f-dataset"), c.dataset);
  $(form, "dataset-desc").textContent = info ? info.description : "No dataset: type the sizes n\u2080,\u2026,n_L and an input to trace. Training needs a dataset.";
  const synthetic = info ? info.synthetic : false;
  for (const id of ["f-n", "f-noise", "f-dseed", "f-std"]) $(form, id).disabled = !info;
  $(form, "f-std").checked = !!c.standardize;
  $(form, "f-n").disabled = !synthetic;
  $(form, "f-noise").disabled = !synthetic;
  $(form, "f-n").placeholder = info ? String(info.default_n) : "";
  $(form, "f-noise").placeholder = info ? String(info.default_noise) : "";
  if (info) $(form, "f-n").max = String(info.max_n);
  setValue($(form, "f-n"), c.n);
  setValue($(form, "f-noise"), c.noise);
  setValue($(form, "f-dseed"), c.dataSeed);
  const takesClasses = !!info && TAKES_CLASSES.has(info.name);
  $(form, "f-k-label").hidden = !takesClasses;
  if (takesClasses) setValue($(form, "f-k"), c.nClasses ?? info.n_classes);
  setValue($(form, "f-sizes"), c.sizes.join(", "));
  renderHidden(form, c, d.meta);
  setValue($(form, "f-output"), c.output);
  const lossSelect = $(form, "f-loss");
  const losses = validLosses(d.meta, c.output);
  if (lossSelect._key !== losses.join(",")) {
    lossSelect._key = losses.join(",");
    lossSelect.replaceChildren(...losses.map((l) => option(l)));
  }
  setValue(lossSelect, c.loss);
  setValue($(form, "f-init"), c.init);
  setValue($(form, "f-scale"), c.initScale);
  setValue($(form, "f-seed"), c.seed);
  setValue($(form, "f-eta"), d.training.eta);
  setValue($(form, "f-batch"), d.training.batchSize);
  setValue($(form, "f-optimizer"), d.training.optimizer);
  const t = d.training;
  for (const [id, key] of [["f-l2", "l2"], ["f-beta", "beta"], ["f-beta1", "beta1"], ["f-beta2", "beta2"], ["f-eps", "eps"]]) setValue($(form, id), t[key]);
  // Only the hyper-parameters the chosen optimiser uses are shown.
  let shown = 0;
  for (const label of form.querySelectorAll("#opt-params [data-opt]")) {
    label.hidden = !label.dataset.opt.split(" ").includes(t.optimizer);
    if (!label.hidden) shown++;
  }
  $(form, "opt-params").hidden = shown === 0;
}
