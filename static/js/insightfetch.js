// The Insight panel's requests: for each tool, what to ask the API about (the traced example or a
// batch of train rows) and the call itself. ctx gives read access to the page's state, the
// panel's controls (ui), the network and the teaching fault.

import { api, exampleBody } from "./api.js";
import { fmt } from "./format.js";
import { exampleText } from "./insightkit.js";
import * as whatifView from "./views/whatif.js";

const GRADCHECK_SAMPLE = 200; // entries per tensor checked at most (a seeded sample above that)

export function createFetchers({ state, ui, net, faultLayer }) {
  const hasData = () => !!(net() && net().dataset && state.data);
  const trainRows = () => (state.data ? state.data.X_train.length : 0);

  function batchRows() {
    const n = Math.min(ui.batch.n, Math.max(trainRows() - ui.batch.start, 0));
    return Array.from({ length: n }, (_, i) => ui.batch.start + i);
  }

  function batchWhere() {
    const rows = batchRows();
    return rows.length ? `train rows ${rows[0]}\u2013${rows[rows.length - 1]} (N = ${rows.length})` : "no rows";
  }

  /** The request body and its description for "example" (the traced one) or "batch" (rows of the train split). */
  function examplesFor(mode) {
    if (mode === "batch" && hasData()) return { body: { rows: batchRows(), split: "train" }, where: batchWhere() };
    return { body: exampleBody(state.example), where: `the traced example (${exampleText(state.example)})` };
  }

  function labelOf(row) {
    const y = state.data ? state.data.y_train[row] : undefined;
    if (y === undefined) return "";
    return Array.isArray(y) ? `y = ${y.map((v) => fmt(v)).join(", ")}` : `label ${y}`;
  }

  // ---------------------------------------------------------------------------------------------
  // Asking the API.

  const FETCH = {
    async gradcheck(n) {
      const k = ui.gcLayer;
      const s = n.config.sizes;
      const nW = s[k] * s[k - 1];
      const fault = faultLayer(n);
      const res = await api.gradcheck(n.id, exampleBody(state.example), {
        layers: [k], eps: ui.gcEps, maxEntries: Math.max(nW, s[k]) > GRADCHECK_SAMPLE ? GRADCHECK_SAMPLE : null, dropGPrimeLayer: fault,
      });
      res.layer = k;
      res.fault = fault;
      for (const t of res.tensors) {
        t.size = t.name === "W" ? nW : s[k];
        t.sampled = t.entries.length < t.size;
      }
      return res;
    },
    async health(n) {
      const { body, where } = examplesFor(ui.healthOn);
      const res = await api.diagnostics(n.id, body, state.training.eta);
      res.where = where;
      return res;
    },
    async blame(n) {
      const { layer, j } = ui.blame;
      if (layer >= n.config.sizes.length - 1) return null;
      const res = await api.blame(n.id, exampleBody(state.example), layer, j, 0);
      res.where = `the traced example, ${exampleText(state.example)}`;
      return res;
    },
    async contrib(n) {
      if (!hasData()) return null;
      const rows = batchRows();
      const res = await api.contributions(n.id, { rows, split: "train" }, ui.contribLayer);
      res.rows = rows;
      return res;
    },
    async whatif(n) {
      const { body, where } = examplesFor(ui.whatifOn);
      const eta = state.training.eta;
      const res = await api.whatIf(n.id, body, whatifView.sweep(eta));
      res.where = where;
      res.eta = eta;
      return res;
    },
  };
  return { FETCH, hasData, trainRows, batchRows, labelOf };
}
