// The page's one state object, changed only through setState (the one place), which tells
// every subscriber which keys changed. Views never write it; main.js decides what to do.

export const state = {
  meta: null, // GET /meta
  lessons: [], // GET /lessons
  lesson: null, // the open lesson (GET /lessons/{id})
  datasets: [], // GET /datasets
  config: null, // the builder's network configuration (see url.js for the fields)
  training: { eta: 0.1, batchSize: 16, optimizer: "sgd" },
  network: null, // the API's Network: {id, config, dataset, W, b, step, epoch, n_parameters}
  data: null, // GET /datasets/{name}: {info, spec, X_train, y_train, X_test, y_test}
  example: { kind: "row", split: "train", row: 0, x: null, y: null },
  trace: null, // POST /backward for the traced example: forward and backward values
  stage: 0, // 0 = nothing computed; 1..L forward; L+1..2L backward; 2L+1 updated
  update: null, // POST /step result shown at the update stage
  history: [], // EpochRecords of this network
  surface: null, // GET /surface
  timeline: [], // [{label, W, b, step, epoch, historyLength}]
  timelineIndex: -1,
  playing: false,
  diverged: null, // {message, stage, quantity, layer, where}
  diagramMode: "auto",
  busy: false,
  errors: {}, // {build, example, step, train, edit, share}: messages shown next to their cause
  fault: null, // teaching fault (insight.js): the hidden layer k whose g' backprop leaves out, or null
  quiz: null, // quiz mode (quiz.js): {on, seed, question, last, error, score: {asked, correct, relSum}}
};

const listeners = new Set();

export function setState(patch) {
  const changed = new Set(Object.keys(patch));
  Object.assign(state, patch);
  for (const fn of listeners) fn(state, changed);
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Set (or clear, with null) the error shown next to one part of the page. */
export function setError(where, message) {
  setState({ errors: { ...state.errors, [where]: message || null } });
}
