// One lab's round trips to the API: build a network, trace the example, fetch what the views
// need, step, train, reset, go back in the timeline, edit one parameter. Each flow writes the
// store only through its named actions. The answers of step and train carry the parameters and
// counters, so after them only what they did not carry is asked for (the trace of the traced
// example on the new parameters, the surface). /compare runs two of these, one per network.

import { api } from "../api.js";
import { datasetSpec, networkBody } from "../url.js";
import { optimizerBody } from "../validate.js";
import { createPlayer } from "./play.js";

export const SURFACE_RESOLUTION = 48;
// Timeline entries keep the optimiser state (from GET .../export) up to this many parameters.
const TIMELINE_STATE_MAX_PARAMETERS = 20000;

function sameSpec(a, b) {
  if (!a || !b) return false;
  const keys = ["name", "seed", "n", "noise", "test_fraction", "standardize", "n_classes"];
  return keys.every((k) => (a[k] ?? null) === (b[k] ?? null));
}

export function defaultExample(data, config) {
  if (data) return { kind: "row", split: "train", row: 0, x: null, y: null };
  const n0 = config.sizes[0];
  const nL = config.sizes[config.sizes.length - 1];
  const x = Array.from({ length: n0 }, (_, i) => (i % 2 ? -0.5 : 0.5));
  const y = config.loss === "cross_entropy" ? [0] : [Array.from({ length: nL }, () => 0)];
  return { kind: "input", split: null, row: null, x, y };
}

function exampleFits(example, data, config) {
  if (!example) return false;
  if (example.kind === "input") return !data && !!example.x && example.x.length === config.sizes[0];
  if (!data) return false;
  const n = (example.split === "train" ? data.X_train : data.X_test).length;
  return example.row >= 0 && example.row < n;
}

export const trainingWhere = (res) => `Training, during epoch ${res.epoch + 1} (after update ${res.step})`;
export const divergedFrom = (d, where) => (d ? { ...d, where } : null);

/**
 * createLab({store, sched, fault, traces, surfaceResolution, extras, onBuilt})
 * - fault(): the teaching fault layer to pass to POST /backward (or null)
 * - traces: false to never trace an example (a compare side shows no diagram)
 * - extras(lab): more fetches to run whenever the parameters changed (projection, evaluation)
 * - dropOnFailedBuild: a refused build forgets the old network (the form no longer describes it,
 *   so it must not stay drawn and steppable)
 */
export function createLab({ store, sched, fault = () => null, traces = true, surfaceResolution = SURFACE_RESOLUTION, extras = () => [], perf = null, dropOnFailedBuild = false }) {
  const s = store.state;
  const act = store.actions;
  let stateFromAnswer = null; // set by step() while it pushes its timeline entry (see the subscriber below)
  let buildSeq = 0;
  let traceSeq = 0;

  const lab = {
    store,
    get state() {
      return store.state;
    },

    /** Create the network for the current config (and fetch its data), replacing the old one. */
    async build({ keepExample = false, data: givenData = undefined } = {}) {
      const seq = ++buildSeq;
      lab.player.stop();
      const config = s.config;
      act.errorSet("build", null);
      const spec = config.dataset ? datasetSpec(config) : null;
      try {
        const dataPromise = givenData !== undefined ? Promise.resolve(givenData)
          : spec ? (sameSpec(s.data && s.data.spec, spec) ? Promise.resolve(s.data) : api.dataset(spec)) : Promise.resolve(null);
        const [network, data] = await Promise.all([api.createNetwork(networkBody(config)), dataPromise]);
        if (seq !== buildSeq) {
          api.deleteNetwork(network.id).catch(() => {});
          return false;
        }
        if (s.network) api.deleteNetwork(s.network.id).catch(() => {});
        const example = keepExample && exampleFits(s.example, data, config) ? s.example : defaultExample(data, config);
        act.built({ network, data, example });
        act.timelinePushed("built");
        await lab.refreshAll();
        return true;
      } catch (err) {
        if (seq !== buildSeq) return false;
        if (dropOnFailedBuild && s.network) {
          api.deleteNetwork(s.network.id).catch(() => {});
          act.buildFailed(err.message);
        } else act.errorSet("build", err.message);
        return false;
      }
    },

    /** Adopt a network created elsewhere (an import): its config, its data, a default example. */
    async adopt(network, config, label) {
      lab.player.stop();
      buildSeq++;
      const data = network.dataset ? await api.dataset(network.dataset) : null;
      if (s.network) api.deleteNetwork(s.network.id).catch(() => {});
      act.built({ network, data, example: defaultExample(data, config), config });
      act.timelinePushed(label);
      await lab.refreshAll();
    },

    /** Forget this lab's network on the server (leaving the page). */
    forget() {
      buildSeq++;
      if (s.network) api.deleteNetwork(s.network.id).catch(() => {});
    },

    async refreshTrace() {
      if (!traces) return;
      const seq = ++traceSeq;
      const net = s.network;
      if (!net) return;
      try {
        const trace = await api.backward(net.id, s.example, fault(net));
        if (seq !== traceSeq || s.network !== net) return;
        act.traced(trace);
      } catch (err) {
        if (seq === traceSeq) act.traceFailed(err.message);
      }
    },

    async refreshSurface() {
      const net = s.network;
      if (!net || !net.dataset || net.config.sizes[0] > 2) {
        if (s.surface) act.surfaceLoaded(null);
        return;
      }
      try {
        const surface = await api.surface(net.id, surfaceResolution);
        if (s.network === net) act.surfaceLoaded(surface);
      } catch (err) {
        act.errorSet("train", `Could not draw the decision boundary: ${err.message}`);
      }
    },

    async refreshNetwork() {
      const fresh = await api.getNetwork(s.network.id);
      act.networkLoaded(fresh);
    },

    /** Everything drawn from the parameters, fetched in parallel (after any change of them). */
    refreshAll() {
      return Promise.all([lab.refreshTrace(), lab.refreshSurface(), ...extras(lab)]);
    },

    /** Only the extra views' data (after a change of what they show). */
    refreshExtras() {
      return Promise.all(extras(lab));
    },

    /** One update on the traced example: the answer carries W, b and the step counter. */
    async step(label) {
      const net = s.network;
      const opt = optimizerBody(s.training);
      act.busySet(true);
      try {
        const res = await api.step(net.id, s.example, opt);
        if (!s.network || s.network.id !== net.id) return null;
        act.stepped(res, opt, divergedFrom(res.diverged, `Update at step ${res.step}`));
        // The answer carries the optimiser's state after the update: the timeline keeps it without an export.
        stateFromAnswer = res.update ? { ...res.update.state_after, [`${res.update.optimizer.name}.t`]: [[res.update.t]] } : null;
        act.timelinePushed(`${label} (step ${res.step})`);
        stateFromAnswer = null;
        await lab.refreshAll();
        return res;
      } catch (err) {
        act.errorSet("step", err.message);
        return null;
      } finally {
        act.busySet(false);
      }
    },

    /**
     * Train `epochs` epochs. One epoch goes over the training stream with a snapshot: the one
     * answer then carries the parameters, the surface and the trace (no further request).
     */
    async train(epochs) {
      const net = s.network;
      const body = { epochs, batch_size: s.training.batchSize, optimizer: optimizerBody(s.training) };
      act.busySet(true);
      act.errorSet("train", null);
      try {
        if (epochs === 1) {
          const snapshot = {
            surface_resolution: net.dataset && net.config.sizes[0] <= 2 ? surfaceResolution : null,
            trace: traces ? lab.traceBody() : null,
          };
          const out = await lab.player.once(body, snapshot);
          if (!out || !s.network || s.network.id !== net.id) return null;
          act.trained(out.records, divergedFrom(out.done.diverged, trainingWhere(out.done)));
          if (out.snap) act.liveFrame([], out.snap, true);
          else await lab.refreshNetwork(); // no epoch ended (it diverged): no snapshot, so the trace is fetched too
          act.timelinePushed(`epoch ${s.network.epoch}`);
          await (out.snap ? Promise.all(extras(lab)) : lab.refreshAll());
          return out.done;
        }
        const res = await api.train(net.id, body);
        if (!s.network || s.network.id !== net.id) return null;
        act.trained(res.history, divergedFrom(res.diverged, trainingWhere(res)));
        await lab.refreshNetwork();
        act.timelinePushed(`epoch ${res.epoch}`);
        await lab.refreshAll();
        return res;
      } catch (err) {
        act.errorSet("train", err.message);
        return null;
      } finally {
        act.busySet(false);
      }
    },

    /** The body of POST /backward for the traced example (with the teaching fault, if on). */
    traceBody() {
      const f = fault(s.network);
      const body = s.example.kind === "row" ? { rows: [s.example.row], split: s.example.split } : { x: s.example.x, y: s.example.y };
      return f ? { ...body, drop_g_prime_layer: f } : body;
    },

    async reset() {
      const net = s.network;
      if (!net) return;
      await lab.player.halt();
      act.busySet(true);
      try {
        const network = await api.reset(net.id);
        act.wasReset(network);
        act.timelinePushed("reset");
        await lab.refreshAll();
      } catch (err) {
        act.errorSet("step", err.message);
      } finally {
        act.busySet(false);
      }
    },

    async goToTimeline(index) {
      const entry = s.timeline[index];
      const net = s.network;
      if (!entry || !net) return;
      await lab.player.halt();
      act.busySet(true);
      try {
        // Parameters, counters and optimiser state together: training resumes as it would have from there.
        const state = { W: entry.W, b: entry.b, step: entry.step, epoch: entry.epoch, optimizer_state: entry.optimizerState || {} };
        const network = await api.putState(net.id, state);
        act.wentBack(network, index);
        await lab.refreshAll();
      } catch (err) {
        act.errorSet("step", `Could not go back to "${entry.label}": ${err.message}`);
      } finally {
        act.busySet(false);
      }
    },

    /** Set one weight or bias; throws with the server's message when it is refused. */
    async editParameter(edit, label) {
      const network = await api.patchParameter(s.network.id, edit);
      act.edited(network);
      act.timelinePushed(`edit ${label}`);
      await lab.refreshAll();
    },

    chooseExample(example) {
      act.exampleChosen(example);
      return Promise.all([lab.refreshTrace(), ...extras(lab, { exampleOnly: true })]);
    },
  };
  lab.player = createPlayer(lab, { sched, perf });

  // Each new timeline entry keeps the optimiser state it was made with: from the step's answer when
  // it carried it, else fetched (kept only if the counters still match: no step came in between).
  store.subscribe((state, _changed, action) => {
    if (action !== "timelinePushed" || !state.network || state.network.n_parameters > TIMELINE_STATE_MAX_PARAMETERS) return;
    const id = state.network.id;
    const entry = state.timeline[state.timeline.length - 1];
    if (stateFromAnswer) {
      const kept = stateFromAnswer;
      queueMicrotask(() => act.timelineStateKept(entry, kept));
      return;
    }
    api.exportNetwork(id).then((doc) => {
      if (s.network && s.network.id === id && doc.step === entry.step && doc.epoch === entry.epoch) act.timelineStateKept(entry, doc.optimizer_state);
    }).catch(() => {});
  });
  return lab;
}
