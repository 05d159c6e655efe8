// Fetches a lab runs beside the trace whenever the parameters changed: the 2-D PCA projection of
// x or h_k (more than two inputs), and, once the network has trained, the evaluation of a
// classifier on the test split (the confusion matrix). The projection's basis is fitted once per
// network and layer and sent back afterwards, so the axes stay fixed while the network trains.

import { api } from "../api.js";
import * as imagesView from "../views/images.js";

const inFlight = new WeakMap(); // lab -> {projection, evaluation}: one request of each at a time

async function once(lab, key, fn) {
  const busy = inFlight.get(lab) || {};
  inFlight.set(lab, busy);
  if (busy[key]) {
    busy[key].again = true; // one more after this one, with the newest state
    return busy[key].promise;
  }
  const job = { again: false };
  busy[key] = job;
  job.promise = (async () => {
    try {
      do {
        job.again = false;
        await fn();
      } while (job.again);
    } finally {
      busy[key] = null;
    }
  })();
  return job.promise;
}

async function fetchProjection(lab) {
  const s = lab.state;
  const net = s.network;
  const layer = Math.min(s.projectionLayer, net.config.sizes.length - 1);
  const kept = s.projection && s.projection.networkId === net.id && s.projection.layer === layer ? s.projection : null;
  const body = kept ? { layer, basis: { mean: kept.mean, components: kept.components } } : { layer };
  try {
    const res = await api.projection(net.id, body);
    if (!s.network || s.network.id !== net.id || s.projectionLayer !== layer) return;
    lab.store.actions.projectionLoaded({ ...res, networkId: net.id, explained_variance_ratio: kept ? kept.explained_variance_ratio : res.explained_variance_ratio });
  } catch (err) {
    lab.store.actions.errorSet("train", `Could not project the data: ${err.message}`);
  }
}

async function fetchEvaluation(lab) {
  const s = lab.state;
  const net = s.network;
  try {
    const res = await api.evaluation(net.id, "test");
    if (s.network && s.network.id === net.id) lab.store.actions.evaluationLoaded(res);
  } catch (err) {
    lab.store.actions.errorSet("train", `Could not evaluate the test split: ${err.message}`);
  }
}

/** The fetches to run now (promises); none for a network without these views. */
export function projectionFetches(lab, { exampleOnly = false } = {}) {
  const s = lab.state;
  const net = s.network;
  if (exampleOnly || !net || !net.dataset || !s.data) return [];
  const out = [];
  if (net.config.sizes[0] > 2) out.push(once(lab, "projection", () => fetchProjection(lab)));
  const info = s.data.info;
  if (imagesView.applies(info, net.config.sizes[0]) && info.task === "classification" && s.history.length) {
    out.push(once(lab, "evaluation", () => fetchEvaluation(lab)));
  }
  return out;
}
