// Checks of the settings a student types, shared by the lab and /compare (one wording, one set
// of bounds), and the optimiser body both send.

/** The optimiser part of a step/train body from the training settings. */
export function optimizerBody(t) {
  return { name: t.optimizer, eta: t.eta, beta: t.beta, beta1: t.beta1, beta2: t.beta2, eps: t.eps, l2: t.l2 };
}

/** What is wrong with these training settings (an empty list: nothing). Absent fields are not checked. */
export function trainingProblems(t) {
  const problems = [];
  if (!(Number.isFinite(t.eta) && t.eta >= 0)) problems.push("the learning rate \u03B7 must be a number \u2265 0");
  if (!(Number.isInteger(t.batchSize) && t.batchSize >= 1)) problems.push("the batch size must be a whole number \u2265 1");
  if (t.l2 !== undefined && !(Number.isFinite(t.l2) && t.l2 >= 0)) problems.push("L2 \u03BB must be a number \u2265 0");
  for (const [key, label] of [["beta", "\u03B2"], ["beta1", "\u03B2\u2081"], ["beta2", "\u03B2\u2082"]]) {
    if (t[key] !== undefined && !(Number.isFinite(t[key]) && t[key] >= 0 && t[key] < 1)) problems.push(`${label} must be a number from 0 up to (not including) 1`);
  }
  if (t.eps !== undefined && !(Number.isFinite(t.eps) && t.eps >= 0)) problems.push("\u03B5 must be a number \u2265 0");
  return problems;
}

/** What is wrong with the seeds of a config. */
export function configProblems(c) {
  const problems = [];
  if (!(Number.isInteger(c.seed) && c.seed >= 0)) problems.push("the seed must be a whole number \u2265 0");
  if (!(Number.isInteger(c.dataSeed) && c.dataSeed >= 0)) problems.push("the data seed must be a whole number \u2265 0");
  return problems;
}

/** Sizes typed as "2, 4, 2": the list, or null when it is not two or more whole numbers >= 1. */
export function parseSizes(text) {
  const sizes = text.split(/[,\s]+/).filter(Boolean).map(Number);
  return sizes.length >= 2 && sizes.every((n) => Number.isInteger(n) && n >= 1) ? sizes : null;
}
