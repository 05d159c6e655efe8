// The Insight panel's drawing (insight.js owns its state and its API calls): each tab's view from
// the panel's results, and the who-is-to-blame strip under the diagram with its highlighted edges.

import { el, fmt } from "./format.js";
import { exampleText, sub, whenPlotly } from "./insightkit.js";
import * as blameView from "./views/blame.js";
import * as contribView from "./views/contributions.js";
import * as gradcheckView from "./views/gradcheck.js";
import * as healthView from "./views/health.js";
import * as whatifView from "./views/whatif.js";

const $ = (id) => document.getElementById(id);

/**
 * ctx: { state, ui, net, sizes, visible(), faultLayer, setIn, apply, hasData, trainRows, batchRows,
 * labelOf } (state and ui are read-only views of the page's store).
 */
export function createDrawing(ctx) {
  const { state, ui, net, sizes, faultLayer, setIn, apply, hasData, trainRows, batchRows, labelOf } = ctx;

  function renderTab(tab) {
    const n = net();
    if (!n || !$("insight")) return;
    const cfg = n.config;
    const L = cfg.sizes.length - 1;
    const panel = $(`insight-panel-${tab}`);
    const onScreen = ctx.visible() && ui.tab === tab;
    const plotly = onScreen && !!window.Plotly;
    if (onScreen && !window.Plotly) whenPlotly().then((P) => P && renderTab(tab));
    try {
      if (tab === "gradcheck") {
        gradcheckView.render(panel, {
          L, sizes: cfg.sizes, layer: ui.gcLayer, eps: ui.gcEps, fault: faultLayer(n), faultLayer: ui.faultLayer,
          result: ui.results.gradcheck, busy: ui.busy.gradcheck, error: ui.errors.gradcheck, where: `the traced example (${exampleText(state.example)})`,
        });
      } else if (tab === "health") {
        const res = ui.results.health;
        healthView.render(panel, {
          L, activations: cfg.activations, output: cfg.output, on: ui.healthOn, where: res ? `on ${res.where}, \u03B7 = ${fmt(state.training.eta)}` : "",
          diag: res, history: state.history, trainFlags: healthView.trainingFlags(state.history), error: ui.errors.health, plotly,
        });
      } else if (tab === "blame") {
        renderBlameTab(panel, cfg.sizes);
        renderBlameStrip();
      } else if (tab === "contrib") {
        const res = ui.results.contrib;
        const rows = res ? res.rows : batchRows();
        contribView.render(panel, {
          L, layer: ui.contribLayer, batch: ui.batch, maxRows: trainRows(), rows, labels: rows.map(labelOf),
          result: res, selected: ui.contribSelected, error: ui.errors.contrib, hasData: hasData(),
        });
      } else if (tab === "whatif") {
        const res = ui.results.whatif;
        whatifView.render(panel, {
          on: ui.whatifOn, batch: ui.batch, maxRows: trainRows(), where: res ? res.where : "", eta: res ? res.eta : state.training.eta,
          optimizer: state.training.optimizer, result: res, error: ui.errors.whatif, plotly,
        });
      }
    } catch (err) {
      console.error(err);
      setIn("errors", tab, `This view failed to draw: ${err.message}`);
    }
  }

  function renderBlameTab(panel, s) {
    const L = s.length - 1;
    const key = s.join(",");
    if (panel._key !== key) {
      panel._key = key;
      const layer = el("select", { "data-testid": "blame-tab-layer", "aria-label": "Layer k of h_k (0 = the input x)" },
        Array.from({ length: L }, (_, k) => el("option", { value: String(k), text: k === 0 ? "h\u2080 = x" : `h${sub(k)}` })));
      const unit = el("select", { "data-testid": "blame-tab-unit", "aria-label": "Unit j" });
      const units = () => unit.replaceChildren(...Array.from({ length: s[Number(layer.value)] }, (_, i) => el("option", { value: String(i), text: String(i) })));
      layer.addEventListener("change", units);
      units();
      const go = el("button", { type: "button", class: "primary small", "data-testid": "blame-go", text: "Explain under the diagram" });
      go.addEventListener("click", () => {
        apply({ blame: { layer: Number(layer.value), j: Number(unit.value) } });
        document.querySelector(".diagram-card").scrollIntoView({ block: "start", behavior: "smooth" });
      });
      panel.replaceChildren(
        el("p", { html: "Backward, every unit h<sub>k</sub>[j] collects its gradient from the layer above: \u2207h<sub>k</sub>[j] = \u03A3<sub>i</sub> W<sub>k+1</sub>[i,j] \u2207a<sub>k+1</sub>[i]. " +
          "<b>Click a hidden neuron or an input in the diagram</b> to see these terms, largest first, under the diagram, with the edges they flow along highlighted." }),
        el("div", { class: "insight-controls" }, el("label", { class: "inline" }, "\u2207h of", layer), el("label", { class: "inline" }, "unit j", unit), go),
        el("p", { class: "hint", text: "Esc or \u00D7 closes it. The terms use the correct backprop of the traced example, whatever the stepper shows." }));
    }
  }

  function renderBlameStrip() {
    const host = $("blame-host");
    if (!host) return;
    const diagram = $("diagram");
    if (!ui.blame || !net()) {
      if (!host.hidden) {
        host.hidden = true;
        blameView.clearHighlight(diagram);
      }
      return;
    }
    host.hidden = false;
    const s = sizes();
    const L = s.length - 1;
    const res = ui.results.blame;
    const outputNote = ui.blame.layer >= L
      ? `\u2207a${sub(L)} of the output layer comes straight from the loss (there is no layer above to blame): click a hidden neuron or an input.`
      : null;
    blameView.render(host, { sizes: s, blame: ui.blame, result: outputNote ? null : res, error: outputNote || ui.errors.blame, where: res ? res.where : "the traced example", fault: faultLayer(net()) });
    blameView.highlight(diagram, ui.blame, outputNote ? null : res);
  }

  return { renderTab, renderBlameStrip };
}
