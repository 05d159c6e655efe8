// Predict, then reveal: in quiz mode (/?quiz=1, kept in the share link) each Forward or Backward
// step first asks for one entry of a quantity about to be revealed (a_k[i], h_k[i], grad_a_k[i],
// grad_W_k[i,j], grad_h_(k-1)[j]); the student types a value, the step runs, and the bar says how
// close it was (absolute and relative error, and a verdict). The entry is drawn with a seeded
// generator from (seed, question number, stage), so a seed gives the same questions again.
// The score is kept for the browser session (sessionStorage).
//
// The quiz's state lives in the page's store under `quiz`; this module changes it through the
// store's quizSet action and draws the bar (#quiz) itself when it changes.

import { el, fmt, full } from "./format.js";
import { isBackward, isForward, litLayer } from "./stages.js";

const STORE = "backprop-lab.quiz.score";
const $ = (id) => document.getElementById(id);

/** A small seeded generator (mulberry32) of numbers in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const mix = (...parts) => parts.reduce((h, p) => Math.imul(h ^ (p >>> 0), 0x9e3779b1) >>> 0, 0x811c9dc5);

/** How close a guess is: absolute and relative error, a verdict, and whether it counts as right (within 5%). */
export function judge(guess, truth) {
  const abs = Math.abs(guess - truth);
  const rel = truth !== 0 ? abs / Math.abs(truth) : abs === 0 ? 0 : Infinity;
  if (abs <= 1e-9 || rel <= 0.01) return { abs, rel, correct: true, grade: "exact", text: "Spot on!" };
  if (rel <= 0.05) return { abs, rel, correct: true, grade: "close", text: "Very close!" };
  if (rel <= 0.2) return { abs, rel, correct: false, grade: "near", text: "Close: check the arithmetic." };
  if (Math.sign(guess) === Math.sign(truth)) return { abs, rel, correct: false, grade: "sign", text: "Right sign, wrong size: go through the equation again." };
  return { abs, rel, correct: false, grade: "wrong", text: "Wrong sign: look at the equation again." };
}

const SUB = "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089";
const sub = (k) => String(k).split("").map((d) => SUB[Number(d)]).join("");

/** The question for the step that reveals `stage`: quantity, layer, index and where its value is. */
export function pickQuestion(stage, L, sizes, seed, number) {
  const r = rng(mix(seed, number, stage));
  const pickInt = (n) => Math.min(n - 1, Math.floor(r() * n));
  if (isForward(stage, L)) {
    const k = stage;
    const quantity = ["a", "h"][pickInt(2)];
    const i = pickInt(sizes[k]);
    return { stage, quantity, k, index: [i] };
  }
  if (isBackward(stage, L)) {
    const k = litLayer(stage, L);
    const quantity = ["grad_a", "grad_W", "grad_h"][pickInt(3)];
    if (quantity === "grad_W") return { stage, quantity, k, index: [pickInt(sizes[k]), pickInt(sizes[k - 1])] };
    if (quantity === "grad_h") return { stage, quantity, k: k - 1, index: [pickInt(sizes[k - 1])] };
    return { stage, quantity, k, index: [pickInt(sizes[k])] };
  }
  return null;
}

/** The true value of a question in a backward trace (first example). */
export function truthOf(q, trace) {
  const [i, j] = q.index;
  if (q.quantity === "a") return trace.a[q.k - 1][0][i];
  if (q.quantity === "h") return trace.h[q.k][0][i];
  if (q.quantity === "grad_a") return trace.grad_a[q.k - 1][0][i];
  if (q.quantity === "grad_W") return trace.grad_W[q.k - 1][i][j];
  return trace.grad_h[q.k][0][i];
}

/** The name in the notes' notation, plain text (grad_a_2[1]) and for people (∇a₂[1]). */
export function label(q) {
  const idx = `[${q.index.join(",")}]`;
  return `${q.quantity}_${q.k}${idx}`;
}

function pretty(q, L) {
  const idx = `[${q.index.join(",")}]`;
  const names = { a: `a${sub(q.k)}`, h: q.k === L ? `\u0177 = h${sub(q.k)}` : `h${sub(q.k)}`, grad_a: `\u2207a${sub(q.k)}`, grad_W: `\u2207W${sub(q.k)}`, grad_h: `\u2207h${sub(q.k)}` };
  return `${names[q.quantity]}${idx}`;
}

/** Where to find what the answer needs, in words. */
function hint(q, config) {
  const L = config.sizes.length - 1;
  const [i, j] = q.index;
  const k = q.k;
  if (q.quantity === "a") return `a${sub(k)}[${i}] = b${sub(k)}[${i}] + \u03A3\u2C7C W${sub(k)}[${i},j] h${sub(k - 1)}[j]: b, W and h${sub(k - 1)} are in the layer panels.`;
  if (q.quantity === "h") {
    if (k === L) return `\u0177 = ${config.output}(a${sub(L)}): you need a${sub(L)} first (b${sub(L)} + W${sub(L)} h${sub(L - 1)}).`;
    return `h${sub(k)}[${i}] = ${config.activations[k - 1]}(a${sub(k)}[${i}]), and a${sub(k)}[${i}] = b${sub(k)}[${i}] + \u03A3\u2C7C W${sub(k)}[${i},j] h${sub(k - 1)}[j].`;
  }
  if (q.quantity === "grad_a") {
    if (k === L) return config.loss === "cross_entropy" ? `At the output: \u2207a${sub(L)} = \u0177 \u2212 e(y).` : `At the output: \u2207a${sub(L)} = J\u2092\u1D40 \u2207\u0177 \u2112 (linear output: 2(\u0177 \u2212 y)).`;
    return `\u2207a${sub(k)}[${i}] = \u2207h${sub(k)}[${i}] \u00B7 g\u2032(a${sub(k)}[${i}]) with g = ${config.activations[k - 1]}.`;
  }
  if (q.quantity === "grad_W") return `\u2207W${sub(k)}[${i},${j}] = \u2207a${sub(k)}[${i}] \u00B7 h${sub(k - 1)}[${j}] (work out \u2207a${sub(k)}[${i}] first).`;
  return `\u2207h${sub(k)}[${i}] = \u03A3\u1D62 W${sub(k + 1)}[i,${i}] \u2207a${sub(k + 1)}[i] (work out \u2207a${sub(k + 1)} first).`;
}

function loadScore() {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORE) || "null");
    if (s && Number.isInteger(s.asked) && Number.isInteger(s.correct)) return { asked: s.asked, correct: s.correct, relSum: Number(s.relSum) || 0 };
  } catch {
    // no stored score
  }
  return { asked: 0, correct: 0, relSum: 0 };
}

function saveScore(score) {
  try {
    sessionStorage.setItem(STORE, JSON.stringify(score));
  } catch {
    // storage unavailable: the score lives as long as the page
  }
}

let writeUrl = () => {};
let store = null; // the page's store (state.js)
let pending = null; // {q, advance}: the step to run after the answer

/** Start the quiz module: {on, seed} from the URL; writeUrl() keeps the share link in step. */
export function init({ on, seed, writeUrl: write, store: theStore }) {
  writeUrl = write;
  store = theStore;
  store.actions.quizSet({ on: !!on, seed: Number.isInteger(seed) && seed >= 0 ? seed : 1, question: null, last: null, error: null, score: loadScore() });
  const toggle = $("f-quiz");
  if (toggle) {
    toggle.checked = !!on;
    toggle.addEventListener("change", () => setOn(toggle.checked));
  }
  store.subscribe((s, changed) => {
    if (!changed.has("quiz") && !changed.has("network") && !changed.has("stage")) return;
    // A question belongs to the step it was asked for: another step or network drops it.
    const q = s.quiz && s.quiz.question;
    if (q && (changed.has("network") || changed.has("stage")) && !changed.has("quiz")) {
      pending = null;
      store.actions.quizSet({ ...s.quiz, question: null, error: null });
      return;
    }
    render();
  });
  render();
}

function setOn(on) {
  pending = null;
  store.actions.quizSet({ ...store.state.quiz, on, question: null, last: null, error: null });
  writeUrl();
}

/**
 * Called by a Forward or Backward step before it runs: in quiz mode, ask first and return true
 * (the step runs after the answer); otherwise return false.
 */
export function intercept(nextStage, advance) {
  const quiz = store.state.quiz;
  if (!quiz || !quiz.on || !store.state.trace || !store.state.network) return false;
  if (quiz.question && quiz.question.stage === nextStage) {
    $("quiz-input")?.focus();
    return true;
  }
  const sizes = store.state.network.config.sizes;
  const q = pickQuestion(nextStage, sizes.length - 1, sizes, quiz.seed, quiz.score.asked);
  if (!q) return false;
  pending = { q, advance };
  store.actions.quizSet({ ...quiz, question: q, error: null });
  requestAnimationFrame(() => $("quiz-input")?.focus());
  return true;
}

function parseGuess(text) {
  const t = text.trim().replaceAll("\u2212", "-").replace(",", ".");
  if (t === "") return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : NaN;
}

async function answer(skip) {
  const quiz = store.state.quiz;
  const q = quiz.question;
  if (!q || !pending) return;
  const input = $("quiz-input");
  const guess = skip ? null : parseGuess(input ? input.value : "");
  if (!skip && (guess === null || Number.isNaN(guess))) {
    store.actions.quizSet({ ...quiz, error: guess === null ? "Type your value first (or press Skip to just reveal it)." : `"${input.value}" is not a number: type something like 0.42, -1.3 or 2e-3.` });
    input?.focus();
    return;
  }
  const truth = truthOf(q, store.state.trace);
  const { advance } = pending;
  pending = null;
  let last;
  let score = quiz.score;
  if (skip || truth === null) {
    last = { q, truth, guess: null, skipped: true };
  } else {
    const j = judge(guess, truth);
    score = { asked: score.asked + 1, correct: score.correct + (j.correct ? 1 : 0), relSum: score.relSum + Math.min(j.rel, 10) };
    saveScore(score);
    last = { q, truth, guess, ...j };
  }
  // The question is cleared in the same change as the answer, so the step below does not drop it.
  store.actions.quizSet({ ...quiz, question: null, last, score, error: null });
  await advance();
  flash(q);
}

/** Briefly mark the revealed number in the layer panels. */
function flash(q) {
  const id = q.quantity === "grad_W" ? `grad_W-${q.k}-${q.index[0]}-${q.index[1]}` : `${q.quantity}-${q.k}-${q.index[0]}`;
  const node = document.querySelector(`#layers [data-testid="${id}"]`);
  if (!node) return;
  node.classList.add("quiz-revealed");
  setTimeout(() => node.classList.remove("quiz-revealed"), 2500);
}

function newSeed(value) {
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) {
    store.actions.quizSet({ ...store.state.quiz, error: `The quiz seed must be a whole number from 0 to ${2 ** 32 - 1}.` });
    return;
  }
  pending = null;
  store.actions.quizSet({ ...store.state.quiz, seed, question: null, error: null });
  writeUrl();
}

function resetScore() {
  const score = { asked: 0, correct: 0, relSum: 0 };
  saveScore(score);
  store.actions.quizSet({ ...store.state.quiz, score, last: null });
}

function scoreText(score) {
  if (!score.asked) return "Score: no answers yet";
  return `Score ${score.correct}/${score.asked} within 5%`;
}

function meanError(score) {
  return score.asked ? `${score.correct} of ${score.asked} answers within 5% of the true value; mean relative error ${fmt(100 * (score.relSum / score.asked))}% (each counted up to 1000%)` : "No answers yet";
}

function render() {
  const bar = $("quiz");
  const quiz = store.state.quiz;
  if (!bar || !quiz) return;
  bar.hidden = !quiz.on;
  const toggle = $("f-quiz");
  if (toggle) toggle.checked = quiz.on;
  if (!quiz.on) {
    bar.replaceChildren();
    return;
  }
  const L = store.state.network ? store.state.network.config.sizes.length - 1 : 0;
  const parts = [el("strong", { class: "quiz-title", text: "Quiz" })];
  const q = quiz.question;
  if (q) {
    const input = el("input", { id: "quiz-input", type: "text", inputmode: "decimal", autocomplete: "off", "data-testid": "quiz-input", "aria-label": `Your value of ${label(q)}`, placeholder: "your value" });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        answer(false);
      } else if (e.key === "Escape") {
        e.preventDefault();
        answer(true);
      }
    });
    parts.push(
      el("span", { class: "quiz-ask", "data-testid": "quiz-question", "data-quantity": q.quantity, "data-layer": q.k, "data-index": q.index.join(","), "data-label": label(q) },
        "Predict before it is shown: ", el("b", { text: pretty(q, L) }), " ="),
      input,
      el("button", { type: "button", class: "small primary", "data-testid": "quiz-reveal", onclick: () => answer(false), text: "Reveal" }),
      el("button", { type: "button", class: "small", "data-testid": "quiz-skip", onclick: () => answer(true), "aria-label": "Skip: reveal without answering (Esc)", text: "Skip" }),
      el("span", { class: "hint quiz-hint", "data-testid": "quiz-hint", title: store.state.network ? hint(q, store.state.network.config) : null, text: store.state.network ? hint(q, store.state.network.config) : "" }),
    );
  } else if (quiz.last) {
    const r = quiz.last;
    const name = pretty(r.q, L);
    if (r.skipped) {
      parts.push(el("span", { class: "quiz-verdict", "data-testid": "quiz-verdict", "data-grade": "skipped", "data-truth": r.truth === null ? "NaN" : String(r.truth) }, `${name} = `, el("b", { title: full(r.truth), text: fmt(r.truth, 4) }), " (skipped). Press Forward or Backward for the next question."));
    } else {
      parts.push(
        el("span", { class: `quiz-verdict grade-${r.grade}`, "data-testid": "quiz-verdict", "data-grade": r.grade, "data-truth": String(r.truth), "data-guess": String(r.guess), "data-abs": String(r.abs), "data-rel": String(r.rel) },
          `${name} = `, el("b", { title: full(r.truth), text: fmt(r.truth, 4) }), ` (you: ${fmt(r.guess, 4)}): off by `,
          el("span", { "data-testid": "quiz-abs", title: full(r.abs), text: fmt(r.abs, 3) }), ", ",
          el("span", { "data-testid": "quiz-rel", title: full(r.rel), text: Number.isFinite(r.rel) ? `${fmt(100 * r.rel, 3)}%` : "\u221E%" }), ". ",
          el("strong", { text: r.text })),
      );
    }
  } else {
    parts.push(el("span", { class: "hint", "data-testid": "quiz-idle", text: "Press Forward (F) or Backward (B): before each step you predict one number it reveals." }));
  }
  const seed = el("input", { type: "number", min: 0, step: 1, value: quiz.seed, "data-testid": "quiz-seed", "aria-label": "Quiz seed: which entries are asked" });
  seed.addEventListener("change", () => newSeed(seed.value));
  seed.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      seed.blur();
    }
  });
  parts.push(
    el("span", { class: "quiz-side" },
      el("span", { "data-testid": "quiz-score", "data-asked": quiz.score.asked, "data-correct": quiz.score.correct, title: meanError(quiz.score), text: scoreText(quiz.score) }),
      el("label", { class: "inline" }, "seed", seed),
      el("button", { type: "button", class: "small", "data-testid": "quiz-reset", onclick: resetScore, title: "Start the score again", text: "New score" }),
      el("button", { type: "button", class: "small", "data-testid": "quiz-off", onclick: () => setOn(false), title: "Turn quiz mode off", text: "Quiz off" })),
  );
  if (quiz.error) parts.push(el("p", { class: "error quiz-error", role: "alert", "data-testid": "quiz-error", text: quiz.error }));
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.testid : null;
  const typed = $("quiz-input") ? $("quiz-input").value : "";
  bar.replaceChildren(...parts);
  if (focused === "quiz-input" && $("quiz-input")) {
    $("quiz-input").value = typed;
    $("quiz-input").focus();
  }
}
