// One lab's state and its named actions: the only writers of that state (store.js). The lab
// page has one such store; /compare has two (one per network). Each action takes the state and
// its arguments and returns the patch; flows (lab/flows.js) call them after talking to the API.

import { lastStage } from "./stages.js";
import { createStore } from "./store.js";

export const INITIAL = {
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
  projection: null, // GET /networks/{id}/projection: PCA of x and of the chosen h_k (n_0 > 2)
  projectionLayer: 0, // which h_k the data view projects (0: the inputs x)
  evaluation: null, // GET /networks/{id}/evaluation: the test split's predictions and confusion matrix
  timeline: [], // [{label, W, b, step, epoch, historyLength}]
  timelineIndex: -1,
  playing: false,
  live: false, // the views are drawn live: from Play until the stream has closed and the final network is in
  diverged: null, // {message, stage, quantity, layer, where}
  diagramMode: "auto",
  layerView: "auto", // "auto" | "nodes" | "layers": the node diagram or the wide-layer view
  topEdges: 0, // node diagram: draw only the k strongest edges by |w| (0: all)
  busy: false,
  errors: {}, // {build, example, step, train, edit, share, lesson}: messages shown next to their cause
  fault: null, // teaching fault (insight.js): the hidden layer k whose g' backprop leaves out, or null
  quiz: null, // quiz mode (quiz.js): {on, seed, question, last, error, score: {asked, correct, relSum}}
  insight: null, // the Insight panel's controls and results (insight.js)
};

const depthOf = (s) => (s.network ? s.network.config.sizes.length - 1 : 0);
const errors = (s, where, message) => ({ ...s.errors, [where]: message || null });

/** After a change of parameters, the stepper leaves the update stage (it showed the old step). */
const stageAfterChange = (s) => (s.stage > 2 * depthOf(s) ? 0 : s.stage);

export const ACTIONS = {
  loaded: (_s, { meta, datasets, lessons, lesson }) => ({ meta, datasets, lessons, lesson }),
  started: (_s, { config, training, example }) => ({ config, training, example }),
  errorSet: (s, where, message) => ((s.errors[where] || null) === (message || null) ? null : { errors: errors(s, where, message) }),
  busySet: (s, busy) => (s.busy === busy ? null : { busy }),
  configSet: (_s, config) => ({ config }),
  trainingSet: (s, training) => ({ training, errors: errors(s, "train", null) }),
  /** Invalid settings: the fields go back to the current ones and the message says why. */
  trainingRefused: (s, message) => ({ training: { ...s.training }, errors: errors(s, "train", message) }),
  diagramModeSet: (_s, diagramMode) => ({ diagramMode }),
  layerViewSet: (_s, layerView) => ({ layerView }),
  topEdgesSet: (_s, topEdges) => ({ topEdges }),
  projectionLayerSet: (_s, projectionLayer) => ({ projectionLayer, projection: null }),

  built: (_s, { network, data, example, config }) => ({
    ...(config ? { config } : {}),
    network, data, example, trace: null, surface: null, projection: null, evaluation: null, stage: 0, update: null,
    history: [], diverged: null, timeline: [], timelineIndex: -1,
  }),
  /** The build was refused: no network until one is built (the old one is gone with its views). */
  buildFailed: (s, message) => ({
    network: null, trace: null, surface: null, projection: null, evaluation: null, stage: 0, update: null,
    history: [], diverged: null, timeline: [], timelineIndex: -1, errors: errors(s, "build", message),
  }),
  networkLoaded: (s, network) => (s.network && s.network.id === network.id ? { network } : null),
  traced: (s, trace) => {
    const patch = { trace, errors: errors(s, "example", null) };
    // Keep the first report (where training diverged); a trace only reports when nothing did.
    if (trace.diverged && !s.diverged) patch.diverged = { ...trace.diverged, where: "Tracing this example" };
    return patch;
  },
  traceFailed: (s, message) => ({ trace: null, errors: errors(s, "example", message) }),
  surfaceLoaded: (_s, surface) => ({ surface }),
  projectionLoaded: (_s, projection) => ({ projection }),
  evaluationLoaded: (_s, evaluation) => ({ evaluation }),
  exampleChosen: (s, example) => ({ example, stage: 0, update: null, errors: errors(s, "example", null) }),

  movedTo: (s, stage) => ({ stage, update: null, errors: errors(s, "step", null) }),
  stepped: (s, res, optimizer, diverged) => ({
    network: { ...s.network, W: res.W_after, b: res.b_after, step: res.step, diverged: res.diverged ?? null },
    stage: lastStage(depthOf(s)),
    update: { ...res, optimizer },
    diverged,
    evaluation: null,
    errors: errors(s, "step", null),
  }),
  trained: (s, records, diverged) => ({
    history: [...s.history, ...records], diverged, update: null, stage: stageAfterChange(s), evaluation: null,
  }),
  wasReset: (s, network) => ({
    network, history: [], stage: 0, update: null, diverged: null, evaluation: null,
    errors: { ...s.errors, step: null, train: null },
  }),
  wentBack: (s, network, index) => ({
    // the counters come back with the parameters (network.step, network.epoch from PUT .../state)
    network, history: s.history.slice(0, s.timeline[index].historyLength), stage: 0, update: null, diverged: null,
    evaluation: null, timelineIndex: index,
  }),
  edited: (s, network) => ({ network, update: null, stage: stageAfterChange(s), evaluation: null }),
  timelinePushed: (s, label) => {
    const n = s.network;
    const entry = { label, W: n.W, b: n.b, step: n.step, epoch: n.epoch, historyLength: s.history.length };
    const timeline = [...s.timeline, entry].slice(-300);
    return { timeline, timelineIndex: timeline.length - 1 };
  },

  /** The optimiser state of a timeline entry, once GET .../export has given it (same counters). */
  timelineStateKept: (s, entry, optimizerState) => {
    const i = s.timeline.indexOf(entry);
    if (i < 0) return null;
    const timeline = [...s.timeline];
    timeline[i] = { ...entry, optimizerState };
    return { timeline };
  },
  playStarted: (s) => ({ playing: true, live: true, update: null, stage: depthOf(s), errors: errors(s, "train", null) }),
  playStopped: (s) => (s.playing ? { playing: false } : null),
  /** The stream has closed and the final network is in: the views are drawn in full again (once). */
  liveEnded: (s) => (s.live ? { live: false } : null),
  /** One drawn frame of live training: the epochs since the last frame and the newest snapshot. */
  liveFrame: (s, records, snap, withTrace) => {
    const patch = { history: records.length ? s.history.concat(records) : s.history };
    if (snap) {
      patch.network = { ...s.network, W: snap.W, b: snap.b, step: snap.step, epoch: snap.epoch, diverged: snap.diverged };
      if (snap.surface) patch.surface = snap.surface;
      if (snap.trace && withTrace) patch.trace = snap.trace;
    }
    return patch;
  },
  divergedSet: (_s, diverged) => ({ diverged }),
  divergedDismissed: () => ({ diverged: null }),

  lessonSet: (_s, lesson) => ({ lesson }),
  lessonApplied: (_s, { lesson, config, training, example }) => ({ lesson, config, training, ...(example ? { example } : {}) }),
  faultSet: (_s, fault) => ({ fault }),
  quizSet: (_s, quiz) => ({ quiz }),
  insightSet: (s, patch) => ({ insight: { ...s.insight, ...patch } }),
};

/** A new lab store (one per network shown). */
export function createLabStore(initial = {}) {
  return createStore({ ...INITIAL, ...initial }, ACTIONS);
}
