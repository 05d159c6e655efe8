// Checks an imported file before it is sent (POST /networks/import) and says in plain words what
// is wrong with it: not an export of this lab, or W_k / b_k of the wrong shape for config.sizes.
// The server checks everything again; its message is shown when this check finds nothing.

const FORMAT = "backprop-lab/network";
const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const count = (n, what) => `${n} ${what}${n === 1 ? "" : "s"}`;

function matrixProblem(M, rows, cols, name) {
  if (!Array.isArray(M)) return `${name} is not a list of rows.`;
  if (M.length !== rows) return `${name} has ${count(M.length, "row")}, but it needs ${rows} (one per unit of its layer).`;
  for (let i = 0; i < M.length; i++) {
    const row = M[i];
    if (!Array.isArray(row)) return `row ${i} of ${name} is not a list of numbers.`;
    if (row.length !== cols) return `row ${i} of ${name} has ${count(row.length, "number")}, but it needs ${cols} (one per unit of the layer below).`;
    const bad = row.findIndex((v) => !isNum(v));
    if (bad >= 0) return `${name}[${i}][${bad}] is ${JSON.stringify(row[bad])}, not a finite number.`;
  }
  return null;
}

/** A sentence saying what is wrong with the document, or null when it looks like a network export. */
export function importProblem(doc) {
  if (!doc || typeof doc !== "object" || Array.isArray(doc) || doc.format !== FORMAT) {
    return `it is not a network exported by Backprop Lab (those start with "format": "${FORMAT}"). Use Export JSON to make one.`;
  }
  const sizes = doc.config && doc.config.sizes;
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((n) => Number.isInteger(n) && n >= 1)) {
    return "its config.sizes is not a list of at least two layer sizes (whole numbers from 1 up), e.g. [2, 3, 2].";
  }
  const L = sizes.length - 1;
  for (const key of ["W", "b"]) {
    if (!Array.isArray(doc[key]) || doc[key].length !== L) {
      return `it has ${Array.isArray(doc[key]) ? count(doc[key].length, `${key} block`) : `no ${key}`}, but its sizes [${sizes.join(", ")}] need ${L} (one per layer).`;
    }
  }
  for (let k = 1; k <= L; k++) {
    const w = matrixProblem(doc.W[k - 1], sizes[k], sizes[k - 1], `W_${k}`);
    if (w) return `${w} With sizes [${sizes.join(", ")}], W_${k} is ${sizes[k]} x ${sizes[k - 1]}.`;
    const b = doc.b[k - 1];
    if (!Array.isArray(b) || b.length !== sizes[k]) {
      return `b_${k} has ${Array.isArray(b) ? count(b.length, "number") : "no numbers"}, but layer ${k} has ${count(sizes[k], "unit")}.`;
    }
    const bad = b.findIndex((v) => !isNum(v));
    if (bad >= 0) return `b_${k}[${bad}] is ${JSON.stringify(b[bad])}, not a finite number.`;
  }
  return null;
}

/** The server's message without the validator's jargon ("invalid request: ", "Field required"). */
export function plainServerMessage(message) {
  return String(message)
    .replace(/^invalid request:\s*/i, "")
    .replace(/: Field required/g, " is missing")
    .replace(/Input should be a valid number/g, "must be a number")
    .replace(/Extra inputs are not permitted/g, "is not part of a network export");
}
