// The lab page's chrome: the stepper buttons' enabled state, the stage track, the status line,
// the error lines next to their causes and the divergence banner. Buttons only emit events
// ("reset-network"); main.js decides what they do.

import { el, writeText } from "../format.js";
import { lastStage, stageName, stageShort } from "../stages.js";

/** Set a node's text only when it differs (an unchanged text then costs no layout). */
const setText = writeText;

// Each setter writes only a change: while playing the chrome is drawn every frame, and an
// attribute written again (even to its value) restyles the element, or for body's data-*
// (room.css, insight.css select on them) the elements those rules reach.
function setHidden(node, hidden) {
  if (node.hidden !== hidden) node.hidden = hidden;
}
function setDisabled(node, disabled) {
  if (node.disabled !== disabled) node.disabled = disabled;
}
function setData(node, key, value) {
  if (node.dataset[key] !== value) node.dataset[key] = value;
}

function renderTrack(track, s, L, stage, hasTrace) {
  const key = `${L}|${stage}|${hasTrace}|${s.playing}`;
  if (track.dataset.key === key) return;
  track.dataset.key = key;
  const chips = [];
  for (let i = 0; i <= lastStage(L); i++) {
    if (i === 1 || i === L + 1 || i === 2 * L + 1) chips.push(el("span", { class: "gap" }));
    chips.push(
      el("button", {
        type: "button", "data-stage": i, "data-testid": `stage-${i}`,
        class: i === stage ? "current" : i < stage ? "done" : null,
        "aria-current": i === stage ? "step" : null,
        "aria-label": `${stageShort(i, L)}: go to ${stageName(i, L)}`, title: stageName(i, L),
        disabled: !hasTrace || (i === lastStage(L) && stage !== i) || s.playing ? true : null,
        text: stageShort(i, L),
      }),
    );
  }
  track.replaceChildren(...chips);
}

/** "22 parameters · step 3 · epoch 1 · forward, layer 2": the parameter count in its own span, which
 * projector mode leaves out so the counters and the stage fit its larger type (room.css). */
function renderStatus(status, net, where) {
  const params = `${net.n_parameters} parameters \u00B7 `;
  const rest = `step ${net.step} \u00B7 epoch ${net.epoch} \u00B7 ${where}`;
  const [span, tail] = status.childNodes;
  if (status.childNodes.length === 2 && span.className === "status-params" && tail.nodeType === Node.TEXT_NODE) {
    writeText(span, params); // in place: the counters change every frame while playing
    if (tail.data !== rest) tail.data = rest;
    return;
  }
  status.replaceChildren(el("span", { class: "status-params", text: params }), rest);
}

function renderBanner(banner, s, actions) {
  const d = s.diverged;
  if (!d) {
    setHidden(banner, true);
    if (banner.firstChild) banner.replaceChildren();
    delete banner.dataset.key;
    return;
  }
  setHidden(banner, false);
  const key = `${d.where}|${d.message}|${s.training.eta}`;
  if (banner.dataset.key === key) return;
  banner.dataset.key = key;
  banner.replaceChildren(
    el("strong", { text: "Diverged." }),
    el("span", { "data-testid": "diverged-message", text: `${d.where ? `${d.where}: ` : ""}${d.message}. Lower the learning rate (\u03B7 = ${s.training.eta}) or reset.` }),
    el("button", { type: "button", "data-testid": "btn-diverged-reset", class: "primary", onclick: () => banner.dispatchEvent(new CustomEvent("reset-network", { bubbles: true })), text: "Reset network" }),
    el("button", { type: "button", class: "small", onclick: () => actions.divergedDismissed(), "aria-label": "Dismiss", text: "Dismiss" }),
  );
  banner.setAttribute("role", "alert");
  banner.dataset.testid = "banner";
}

export function renderChrome(s, $, actions) {
  const net = s.network;
  const L = net ? net.config.sizes.length - 1 : 0;
  const stage = s.stage;
  const hasTrace = !!s.trace && !!net;
  const hasData = !!(net && net.dataset);
  const busy = s.busy;
  setDisabled($("btn-forward"), !hasTrace || busy || s.playing || (stage >= L && stage < 2 * L));
  setDisabled($("btn-backward"), !hasTrace || busy || s.playing || stage < L || stage >= 2 * L);
  setDisabled($("btn-update"), !hasTrace || busy || s.playing || stage !== 2 * L);
  setDisabled($("btn-fullstep"), !hasTrace || busy || s.playing);
  setDisabled($("btn-epoch"), !hasData || busy || s.playing);
  setDisabled($("btn-play"), !hasData || (busy && !s.playing));
  setDisabled($("btn-reset"), !net || busy);
  const pressed = s.playing ? "true" : "false";
  if ($("btn-play").getAttribute("aria-pressed") !== pressed) $("btn-play").setAttribute("aria-pressed", pressed);
  setText($("btn-play").querySelector(".play-label"), s.playing ? "Pause" : "Play");
  const epochTitle = hasData ? "One epoch of minibatch training on the dataset  [E]" : "Training needs a dataset: choose one in Data";
  if ($("btn-epoch").title !== epochTitle) $("btn-epoch").title = epochTitle;

  if (net) renderTrack($("stage-track"), s, L, stage, hasTrace);
  const status = $("status");
  if (net) {
    renderStatus(status, net, stageName(stage, L));
    setData(status, "networkId", net.id);
    setData(status, "stage", String(stage));
    if (status.title !== `network ${net.id}`) status.title = `network ${net.id}`;
  }
  setData(document.body, "stage", String(stage));
  setData(document.body, "networkId", net ? net.id : "");

  for (const where of ["build", "example", "train", "share", "step", "lesson"]) {
    const node = $(`error-${where}`);
    const msg = s.errors[where];
    setHidden(node, !msg);
    setText(node, msg || "");
  }
  renderBanner($("banner"), s, actions);
}
