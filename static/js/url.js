// The configuration, seed and training settings live in the URL query, so a link rebuilds
// exactly the same network (same seed -> same first weights) on the same data.

export const DEFAULT_CONFIG = {
  dataset: "xor", // "" = no dataset: sizes typed freely
  n: null, // number of points (null = the dataset's default)
  noise: null,
  dataSeed: 0,
  nClasses: null, // "blobs" only: number of classes (null = the dataset's default)
  standardize: false, // scale x with the train split's mean and std
  sizes: [2, 3, 3, 2],
  activations: ["tanh", "tanh"],
  output: "softmax",
  loss: "cross_entropy",
  init: "xavier_uniform",
  initScale: 1,
  seed: 0,
};

export const DEFAULT_TRAINING = { eta: 0.1, batchSize: 16, optimizer: "sgd", l2: 0, beta: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

// Optimiser hyper-parameters in the URL (written only when they differ from the defaults).
const HYPER = [["l2", "l2"], ["beta", "beta"], ["b1", "beta1"], ["b2", "beta2"], ["eps", "eps"]];

function int(v, fallback) {
  const n = Number(v);
  return v !== null && v !== "" && Number.isInteger(n) ? n : fallback;
}

function num(v, fallback) {
  const n = Number(v);
  return v !== null && v !== "" && Number.isFinite(n) ? n : fallback;
}

/** Read config, training settings and the traced example from a query string. */
export function fromQuery(search) {
  const q = new URLSearchParams(search);
  const config = { ...DEFAULT_CONFIG };
  if (q.has("ds")) config.dataset = q.get("ds");
  config.n = q.has("n") ? int(q.get("n"), null) : null;
  config.noise = q.has("noise") ? num(q.get("noise"), null) : null;
  config.dataSeed = int(q.get("dseed"), DEFAULT_CONFIG.dataSeed);
  config.nClasses = q.has("k") ? int(q.get("k"), null) : null;
  config.standardize = q.get("std") === "1";
  if (q.has("sizes")) {
    const sizes = q.get("sizes").split(/[,\s]+/).filter(Boolean).map(Number);
    if (sizes.length >= 2 && sizes.every((s) => Number.isInteger(s) && s >= 1)) config.sizes = sizes;
  }
  const hidden = config.sizes.length - 2;
  const acts = q.has("act") ? q.get("act").split(",").filter(Boolean) : [];
  config.activations = Array.from({ length: hidden }, (_, i) => acts[i] || acts[acts.length - 1] || "tanh");
  for (const [key, field] of [["out", "output"], ["loss", "loss"], ["init", "init"]]) if (q.has(key)) config[field] = q.get(key);
  config.initScale = num(q.get("scale"), DEFAULT_CONFIG.initScale);
  config.seed = int(q.get("seed"), DEFAULT_CONFIG.seed);
  const training = {
    eta: num(q.get("eta"), DEFAULT_TRAINING.eta),
    batchSize: int(q.get("bs"), DEFAULT_TRAINING.batchSize),
    optimizer: q.get("opt") || DEFAULT_TRAINING.optimizer,
  };
  for (const [key, field] of HYPER) training[field] = num(q.get(key), DEFAULT_TRAINING[field]);
  let example = null;
  const ex = q.get("ex");
  if (ex && /^(train|test):\d+$/.test(ex)) {
    const [split, row] = ex.split(":");
    example = { kind: "row", split, row: Number(row), x: null, y: null };
  }
  const lesson = q.get("lesson") || null;
  const quiz = { on: q.get("quiz") === "1", seed: int(q.get("qseed"), 1) };
  return { config, training, example, lesson, quiz, hasConfig: q.has("sizes") };
}

export function toQuery(config, training, example, lesson = null, quiz = null) {
  const q = new URLSearchParams();
  if (lesson) q.set("lesson", lesson);
  q.set("ds", config.dataset || "");
  if (config.dataset) {
    if (config.n !== null) q.set("n", String(config.n));
    if (config.noise !== null) q.set("noise", String(config.noise));
    q.set("dseed", String(config.dataSeed));
    if (config.nClasses !== null) q.set("k", String(config.nClasses));
    if (config.standardize) q.set("std", "1");
  }
  q.set("sizes", config.sizes.join(","));
  if (config.activations.length) q.set("act", config.activations.join(","));
  q.set("out", config.output);
  q.set("loss", config.loss);
  q.set("init", config.init);
  q.set("scale", String(config.initScale));
  q.set("seed", String(config.seed));
  q.set("eta", String(training.eta));
  q.set("bs", String(training.batchSize));
  q.set("opt", training.optimizer);
  for (const [key, field] of HYPER) if (training[field] !== undefined && training[field] !== DEFAULT_TRAINING[field]) q.set(key, String(training[field]));
  if (example && example.kind === "row") q.set("ex", `${example.split}:${example.row}`);
  if (quiz && quiz.on) {
    q.set("quiz", "1");
    q.set("qseed", String(quiz.seed));
  }
  return `?${q.toString()}`;
}

/** The POST /networks body for a config. */
export function networkBody(config) {
  return {
    sizes: config.sizes,
    activation: config.activations.length ? config.activations : "tanh",
    output: config.output,
    loss: config.loss,
    init: config.init,
    init_scale: config.initScale,
    seed: config.seed,
    dataset: config.dataset ? datasetSpec(config) : null,
  };
}

export function datasetSpec(config) {
  const spec = { name: config.dataset, seed: config.dataSeed, n: config.n, noise: config.noise, test_fraction: 0.25, standardize: !!config.standardize };
  if (config.nClasses !== null && config.nClasses !== undefined) spec.n_classes = config.nClasses;
  return spec;
}

/** Config from an API Network (after an import), keeping the builder's dataset fields in step. */
export function configFromNetwork(network) {
  const c = network.config;
  const ds = network.dataset;
  return {
    dataset: ds ? ds.name : "",
    n: ds ? ds.n ?? null : null,
    noise: ds ? ds.noise ?? null : null,
    dataSeed: ds ? ds.seed ?? 0 : 0,
    nClasses: ds ? ds.n_classes ?? null : null,
    standardize: ds ? !!ds.standardize : false,
    sizes: [...c.sizes],
    activations: [...c.activations],
    output: c.output,
    loss: c.loss,
    init: c.init,
    initScale: c.init_scale,
    seed: c.seed,
  };
}

/** The optimiser's hyper-parameters an API Optimizer spec sets (others keep their defaults). */
function hyper(spec) {
  const out = {};
  for (const [, field] of HYPER) if (typeof spec[field] === "number") out[field] = spec[field];
  return out;
}

/** Config, training settings and example of a lesson (GET /lessons/{id}). */
/** Config, training and example of a lesson's own setup, or of one of its comparisons
 * (setup = lesson.compare[i]: its own network and its own training, e.g. another eta). */
export function fromLesson(lesson, setup = lesson) {
  const network = setup.network;
  const ds = network.dataset || lesson.dataset;
  const hidden = network.sizes.length - 2;
  const acts = typeof network.activation === "string" ? Array.from({ length: hidden }, () => network.activation) : [...network.activation];
  const config = {
    dataset: ds ? ds.name : "",
    n: ds ? ds.n ?? null : null,
    noise: ds ? ds.noise ?? null : null,
    dataSeed: ds ? ds.seed ?? 0 : 0,
    nClasses: ds ? ds.n_classes ?? null : null,
    standardize: ds ? !!ds.standardize : false,
    sizes: [...network.sizes],
    activations: acts,
    output: network.output,
    loss: network.loss,
    init: network.init,
    initScale: network.init_scale,
    seed: network.seed,
  };
  const t = setup.training;
  const training = t
    ? { ...DEFAULT_TRAINING, ...hyper(t.optimizer), eta: t.optimizer.eta, batchSize: t.batch_size, optimizer: t.optimizer.name }
    : { ...DEFAULT_TRAINING };
  let example = null;
  const ex = lesson.example;
  if (ex && ex.rows && ex.rows.length) example = { kind: "row", split: ex.split || "train", row: ex.rows[0], x: null, y: null };
  else if (ex && ex.x) example = { kind: "input", split: null, row: null, x: Array.isArray(ex.x[0]) ? ex.x[0] : ex.x, y: ex.y.slice(0, 1) };
  return { config, training, example };
}
