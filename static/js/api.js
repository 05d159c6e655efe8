// Every HTTP call the page makes, in one place. Each function returns the parsed JSON
// or throws an ApiError whose message is the server's `detail`, in words.

const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

function describe(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    // FastAPI's default validation list: [{loc, msg}, ...]
    return detail.map((d) => (d && d.msg ? `${(d.loc || []).slice(1).join(".")}: ${d.msg}` : String(d))).join("; ");
  }
  return detail == null ? "" : JSON.stringify(detail);
}

async function request(method, path, body) {
  const init = { method, headers: {} };
  // Every state change says it is JSON, bodiless ones too: the server refuses others (no cross-site forms).
  if (method !== "GET" && method !== "DELETE") init.headers["Content-Type"] = "application/json";
  if (body !== undefined) init.body = JSON.stringify(body);
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch (err) {
    throw new ApiError(`Cannot reach the server (${err.message}). Is it still running?`, 0);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = data && data.detail !== undefined ? describe(data.detail) : text || response.statusText;
    throw new ApiError(message || `The server answered ${response.status}`, response.status);
  }
  return data;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Body for the computation routes: one dataset row, or a typed input with its label/target. */
export function exampleBody(example) {
  if (example.kind === "row") return { rows: [example.row], split: example.split };
  return { x: example.x, y: example.y };
}

/**
 * POST a training stream and call onEvent(kind, text) for each server-sent event as it arrives
 * ("epoch", "snapshot", "done", "error"; text: the event's JSON, unparsed, so that a caller can
 * skip parsing snapshots it will not draw). Resolves when the stream ends; `signal` aborts it
 * (the server then stops the training).
 */
async function stream(path, body, onEvent, signal) {
  let response;
  try {
    response = await fetch(BASE + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal });
  } catch (err) {
    if (err.name === "AbortError") return;
    throw new ApiError(`Cannot reach the server (${err.message}). Is it still running?`, 0);
  }
  if (!response.ok) {
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    const message = data && data.detail !== undefined ? describe(data.detail) : text || response.statusText;
    throw new ApiError(message || `The server answered ${response.status}`, response.status);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let kind = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) kind = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
        }
        onEvent(kind, data);
      }
    }
  } catch (err) {
    if (err.name === "AbortError") return;
    throw new ApiError(`The training stream broke off (${err.message}).`, 0);
  }
}

export const api = {
  meta: () => request("GET", "/meta"),
  datasets: () => request("GET", "/datasets"),
  dataset: (spec) =>
    request(
      "GET",
      `/datasets/${encodeURIComponent(spec.name)}` +
        query({ seed: spec.seed, n: spec.n, noise: spec.noise, test_fraction: spec.test_fraction, standardize: spec.standardize, n_classes: spec.n_classes }),
    ),
  createNetwork: (body) => request("POST", "/networks", body),
  getNetwork: (id) => request("GET", `/networks/${id}`),
  deleteNetwork: (id) => request("DELETE", `/networks/${id}`),
  putParameters: (id, W, b) => request("PUT", `/networks/${id}/parameters`, { W, b }),
  /** Put back an earlier state: {W, b, step, epoch, optimizer_state} (the timeline). */
  putState: (id, state) => request("PUT", `/networks/${id}/state`, state),
  patchParameter: (id, edit) => request("PATCH", `/networks/${id}/parameters`, edit),
  reset: (id) => request("POST", `/networks/${id}/reset`),
  exportNetwork: (id) => request("GET", `/networks/${id}/export`),
  importNetwork: (doc) => request("POST", "/networks/import", doc),
  forward: (id, example) => request("POST", `/networks/${id}/forward`, exampleBody(example)),
  /** dropGPrimeLayer: the teaching fault (backprop leaves out g' of that hidden layer), or null. */
  backward: (id, example, dropGPrimeLayer = null) =>
    request("POST", `/networks/${id}/backward`, dropGPrimeLayer ? { ...exampleBody(example), drop_g_prime_layer: dropGPrimeLayer } : exampleBody(example)),
  step: (id, example, optimizer) => request("POST", `/networks/${id}/step`, { ...exampleBody(example), optimizer }),
  train: (id, body) => request("POST", `/networks/${id}/train`, body),
  /** body: as train, plus pace_ms and snapshot (docs/api.md); onEvent(kind, JSON text) per event. */
  trainStream: (id, body, onEvent, signal) => stream(`/networks/${id}/train/stream`, body, onEvent, signal),
  stopTraining: (id) => request("POST", `/networks/${id}/train/stop`),
  lessons: () => request("GET", "/lessons"),
  lesson: (id) => request("GET", `/lessons/${encodeURIComponent(id)}`),
  projection: (id, body) => request("POST", `/networks/${id}/projection`, body),
  evaluation: (id, split) => request("GET", `/networks/${id}/evaluation${query({ split })}`),
  surface: (id, resolution) => request("GET", `/networks/${id}/surface${query({ resolution })}`),
  // Insight. `examples` is a body from exampleBody() or {rows, split} for a batch of rows.
  gradcheck: (id, examples, { layers, eps, maxEntries, dropGPrimeLayer }) =>
    request("POST", `/networks/${id}/gradcheck`, { ...examples, layers, eps, max_entries: maxEntries ?? null, drop_g_prime_layer: dropGPrimeLayer ?? null }),
  diagnostics: (id, examples, eta) => request("POST", `/networks/${id}/diagnostics`, { ...examples, eta }),
  blame: (id, examples, layer, j, example = 0) => request("POST", `/networks/${id}/blame`, { ...examples, layer, j, example }),
  contributions: (id, examples, layer) => request("POST", `/networks/${id}/contributions`, { ...examples, layer }),
  whatIf: (id, examples, etas) => request("POST", `/networks/${id}/what-if`, { ...examples, etas }),
  // Derivations: entry = {quantity, layer, index, example}; body = {layer, i, j, max_paths, example}.
  derivation: (id, examples, entry) => request("POST", `/networks/${id}/derivation`, { ...examples, ...entry }),
  paths: (id, examples, body) => request("POST", `/networks/${id}/paths`, { ...examples, ...body }),
};
