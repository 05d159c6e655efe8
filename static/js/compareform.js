// The compare page's form: the one choice that differs (CHOICES: how to list its values, its
// defaults, how to apply one to a side's config and training) and the settings both share.
// onFormChange(cmp, event) returns what changed ({diff}, {row}, {config, training, diff}) or
// {error}; compare.js applies it through its store's actions.

import { el } from "./format.js";
import { configProblems, parseSizes, trainingProblems } from "./validate.js";
import { adaptToDataset } from "./views/builder.js";

const $ = (id) => document.getElementById(id);
export const SIDES = ["a", "b"];

const pairValue = (output, loss) => `${output}+${loss}`;

/** The choices that may differ: how to list their values, defaults, and how to apply one. */
export const CHOICES = {
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
      const pairs = pairsFor(base.meta, datasetInfo(base.datasets, base.config.dataset));
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


export function pairsFor(meta, info) {
  const regression = info && info.task === "regression";
  return meta.valid_pairs.filter(([o]) => (regression ? o === "linear" : o !== "linear")).map(([o, l]) => pairValue(o, l));
}

export function datasetInfo(datasets, name) {
  return datasets.find((d) => d.name === name) || null;
}

const info = (cmp) => datasetInfo(cmp.datasets, cmp.config.dataset);

export function valueText(choice, v) {
  return CHOICES[choice].number ? String(v) : String(v).replace("+", " + ");
}

export function sideLabel(cmp, side) {
  return `${CHOICES[cmp.diff.choice].title} = ${valueText(cmp.diff.choice, cmp.diff[side])}`;
}

/** The configuration and training of one side: the base with the one choice applied. */
export function sideSetup(cmp, side) {
  const config = { ...cmp.config, sizes: [...cmp.config.sizes], activations: [...cmp.config.activations] };
  const training = { ...cmp.training };
  CHOICES[cmp.diff.choice].apply(config, training, cmp.diff[side]);
  return { config, training };
}

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

function valueInput(cmp, side, choice) {
  const c = CHOICES[choice];
  const id = `c-v${side}`;
  const label = `Value of ${c.title} for network ${side.toUpperCase()}`;
  if (c.number) return el("input", { id, "data-testid": id, type: "number", min: 0, step: c.integer ? 1 : "any", "aria-label": label });
  const select = el("select", { id, "data-testid": id, "aria-label": label });
  options(select, c.options(cmp.meta, info(cmp)), (v) => valueText(choice, v));
  return select;
}

export function renderForm(cmp) {
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
  $("c-n").placeholder = info(cmp) ? String(info(cmp).default_n) : "";
  $("c-n").disabled = !(info(cmp) && info(cmp).synthetic);
  setValue($("c-dseed"), c.dataSeed);
  setValue($("c-sizes"), c.sizes.join(", "));
  options($("c-act"), meta.activations);
  setValue($("c-act"), c.activations[0] || "tanh");
  $("c-act").disabled = c.sizes.length <= 2;
  options($("c-pair"), pairsFor(meta, info(cmp)), (v) => valueText("loss", v));
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
      host.replaceChildren(valueInput(cmp, s, cmp.diff.choice));
    }
    setValue($(`c-v${s}`), cmp.diff[s]);
  }
  const c2 = CHOICES[cmp.diff.choice];
  const onlyOne = !c2.number && c2.options(meta, info(cmp)).length < 2;
  $("c-diff-hint").textContent = cmp.diff.a === cmp.diff.b
    ? onlyOne
      ? `This dataset allows only one ${c2.title} (${valueText(cmp.diff.choice, cmp.diff.a)}): choose another difference.`
      : "A and B are the same: choose two different values."
    : c2.hint;
}

export function defaultsFor(cmp, choice) {
  const [a, b] = CHOICES[choice].defaults({ config: cmp.config, training: cmp.training, meta: cmp.meta, datasets: cmp.datasets });
  return { choice, a, b };
}

/**
 * What a change of one field asks for: {diff} (rebuild), {row} (trace another row),
 * {config, training, diff} (rebuild), {error} (nothing changes), or null (not a field of ours).
 */
export function onFormChange(cmp, t) {
  const c = { ...cmp.config, sizes: [...cmp.config.sizes], activations: [...cmp.config.activations] };
  const training = { ...cmp.training };
  const number = (input) => (input.value.trim() === "" ? null : Number(input.value));
  if (t.id === "c-diff") return { diff: defaultsFor(cmp, t.value) };
  if (t.id === "c-va" || t.id === "c-vb") {
    const choice = CHOICES[cmp.diff.choice];
    const v = choice.number ? Number(t.value) : t.value;
    if (choice.number && !(t.value.trim() !== "" && Number.isFinite(v) && v >= 0 && (!choice.integer || Number.isInteger(v)))) {
      return { error: `${choice.title}: "${t.value}" is not ${choice.integer ? "a whole number" : "a number"} \u2265 0.` };
    }
    return { diff: { ...cmp.diff, [t.id === "c-va" ? "a" : "b"]: v } };
  }
  if (t.id === "c-row") {
    const n = cmp.data ? cmp.data.X_train.length : 0;
    const row = Number(t.value);
    if (!Number.isInteger(row) || row < 0 || row >= n) return { error: `The train split has rows 0 to ${n - 1}; "${t.value}" is not one of them.` };
    return { row };
  }
  if (t.id === "c-dataset") {
    c.dataset = t.value;
    Object.assign(c, adaptToDataset(c, datasetInfo(cmp.datasets, t.value), cmp.meta));
  } else if (t.id === "c-n") c.n = number(t);
  else if (t.id === "c-dseed") c.dataSeed = Number(t.value);
  else if (t.id === "c-sizes") {
    const sizes = parseSizes(t.value);
    if (!sizes) return { error: `Sizes must be two or more whole numbers \u2265 1, like "2, 4, 2"; "${t.value}" is not.` };
    c.sizes = sizes;
    c.activations = Array.from({ length: sizes.length - 2 }, (_, i) => c.activations[i] || c.activations[c.activations.length - 1] || "tanh");
  } else if (t.id === "c-act") c.activations = c.activations.map(() => t.value);
  else if (t.id === "c-pair") [c.output, c.loss] = t.value.split("+");
  else if (t.id === "c-init") c.init = t.value;
  else if (t.id === "c-seed") c.seed = Number(t.value);
  else if (t.id === "c-eta") training.eta = Number(t.value);
  else if (t.id === "c-opt") training.optimizer = t.value;
  else if (t.id === "c-batch") training.batchSize = Number(t.value);
  else return null;
  const problems = [...configProblems(c), ...trainingProblems(training)];
  if (problems.length) return { error: `Not changed: ${problems.join("; ")}.` };
  const diff = t.id === "c-dataset" && cmp.diff.choice === "loss" ? defaultsAfterDataset(cmp, c, training) : cmp.diff;
  return { config: c, training, diff };
}

function defaultsAfterDataset(cmp, c, training) {
  const pairs = pairsFor(cmp.meta, datasetInfo(cmp.datasets, c.dataset));
  if (pairs.includes(cmp.diff.a) && pairs.includes(cmp.diff.b)) return cmp.diff;
  const [a, b] = CHOICES.loss.defaults({ config: c, training, meta: cmp.meta, datasets: cmp.datasets });
  return { choice: "loss", a, b };
}

/** The choice and its two values from the URL (diff, va, vb), or the defaults. */
export function readDiff(cmp, q) {
  const choice = q.get("diff");
  if (!choice || !CHOICES[choice]) return defaultsFor(cmp, cmp.config.sizes.length > 2 ? "activation" : "eta");
  const fallback = defaultsFor(cmp, choice);
  const read = (key, dflt) => {
    if (!q.has(key)) return dflt;
    const v = q.get(key);
    if (CHOICES[choice].number) {
      const n = Number(v);
      return Number.isFinite(n) && n >= 0 ? n : dflt;
    }
    return CHOICES[choice].options(cmp.meta, info(cmp)).includes(v) ? v : dflt;
  };
  return { choice, a: read("va", fallback.a), b: read("vb", fallback.b) };
}
