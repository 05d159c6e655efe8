// The Insight panel's page-wide marks: the banner of the teaching fault, the vanishing /
// exploding gradient warning, and the style that marks the broken gradients everywhere.

import { el } from "./format.js";
import * as healthView from "./views/health.js";

const $ = (id) => document.getElementById(id);

export function renderAlert({ net, faultLayer, health, history, apply, showTab }) {
  const host = $("insight-alert");
  if (!host || !net()) return;
  const parts = [];
  const fault = faultLayer(net());
  if (fault) {
    parts.push(el("div", { class: "alert fault", "data-testid": "fault-banner", role: "status" },
      el("strong", { text: "Teaching fault on:" }),
      el("span", { html: ` backprop leaves out g\u2032(a<sub>${fault}</sub>), so the gradients of layers 1\u2013${fault} (and \u2207h<sub>0</sub>) shown in the diagram, the equations and the layer panels are <b>broken on purpose</b>. Updates and training use the correct ones.` }),
      el("button", { type: "button", class: "small", "data-testid": "btn-fault-off", onclick: () => apply({ fault: null }), text: "Turn off" }),
      el("button", { type: "button", class: "small", onclick: () => showTab("gradcheck"), text: "Gradient check" })));
  }
  const alert = healthView.alertFor(health, history, net().config.sizes.length - 1);
  if (alert) {
    parts.push(el("div", { class: "alert gradient", "data-testid": "gradient-alert", "data-kind": alert.kind, role: "status" },
      el("strong", { text: `\u26A0\uFE0E ${alert.title}:` }),
      el("span", { text: ` ${alert.text}` }),
      el("button", { type: "button", class: "small", "data-testid": "btn-show-health", onclick: () => showTab("health"), text: "Gradient health" })));
  }
  // Rebuilt only when its text changes: it is asked after every epoch while training plays.
  const key = `${fault}|${alert ? `${alert.kind}|${alert.title}|${alert.text}` : ""}`;
  if (host._key === key) return;
  host._key = key;
  host.hidden = !parts.length;
  host.replaceChildren(...parts);
}

/** Mark the broken gradients everywhere they are drawn while the teaching fault is on. */
export function renderFaultStyle({ net, faultLayer }) {
  const fault = net() ? faultLayer(net()) : null;
  if (document.body.dataset.fault !== (fault ? String(fault) : "")) document.body.dataset.fault = fault ? String(fault) : ""; // body[data-fault] rules: a rewrite restyles
  let style = $("fault-style");
  if (!style) {
    style = el("style", { id: "fault-style" });
    document.head.append(style);
  }
  if (!fault) {
    if (style.textContent) style.textContent = ""; // a stylesheet rewrite restyles the page
    return;
  }
  const panels = Array.from({ length: fault + 1 }, (_, k) => `#layers [data-testid="layer-${k}"]`);
  const css =
    `${panels.join(", ")} { outline: 2px dashed var(--err); outline-offset: -2px; }\n` +
    `${panels.map((p) => `${p} .layer-head::after`).join(", ")} { content: "gradients broken on purpose (teaching fault in layer ${fault})"; color: var(--err); font-weight: 700; font-size: 12px; }\n` +
    `.diagram-card::after { content: "Teaching fault: the gradients of layers 1\u2013${fault} are broken"; }`;
  if (style.textContent !== css) style.textContent = css;
}

