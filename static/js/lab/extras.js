// The views a lab shows only for some networks and data: the layer view (layers too wide for
// the node diagram), the images card (image data, or a classifier with more than two inputs) and
// the choice of which h_k the data view projects (more than two inputs). Each is a stateless
// render(element, data) behind the scheduler's memo; while training plays, the images card
// redraws at most every 250 ms.

import { el } from "../format.js";
import { lastStage } from "../stages.js";
import * as imagesView from "../views/images.js";
import * as layerView from "../views/layerview.js";

const IMAGES_EVERY_MS = 250;

/** Hide or show, writing only a change (drawn every frame while playing: a rewrite restyles). */
function setHidden(node, hidden) {
  if (node.hidden !== hidden) node.hidden = hidden;
}

function renderProjectionPick($, s, L) {
  const pick = $("projection-pick");
  const on = !!(s.data && s.network.config.sizes[0] > 2);
  setHidden(pick, !on);
  if (!on) return;
  const select = $("f-projection-layer");
  if (select.dataset.key !== String(L)) {
    select.dataset.key = String(L);
    select.replaceChildren(...Array.from({ length: L + 1 }, (_, k) => el("option", { value: String(k), text: k === 0 ? "x (the inputs)" : k === L ? `h${k} = \u0177` : `h${k}` })));
  }
  select.value = String(s.projectionLayer);
}

/** Scroll the card (only as far as needed) so that the lit layer's panel is inside it, top first. */
function litLayerInView(card, view) {
  const lit = view.querySelector(".lv-layer.lit");
  if (!lit) return;
  const c = card.getBoundingClientRect();
  const r = lit.getBoundingClientRect();
  const margin = 8;
  if (r.top < c.top + margin) card.scrollTop -= c.top + margin - r.top;
  else if (r.bottom > c.bottom - margin) card.scrollTop += Math.min(r.top - c.top - margin, r.bottom - c.bottom + margin);
}

/** Is the layer view the one shown (instead of the node diagram)? */
export const layerViewShown = (s) => !!s.network && layerView.wantsLayerView(s.layerView, s.network.config.sizes);

export function render({ s, sched, $ }) {
  const net = s.network;
  const cfg = net.config;
  const L = cfg.sizes.length - 1;
  const stage = Math.min(s.stage, lastStage(L));
  const wide = layerViewShown(s);
  setHidden($("diagram"), wide);
  setHidden($("layerview"), !wide);
  const card = $("diagram-card");
  if (card.dataset.view !== (wide ? "layers" : "nodes")) card.dataset.view = wide ? "layers" : "nodes";
  setHidden($("top-edges-pick"), wide);
  if (wide) {
    sched.memo("extras-layers", [net, s.trace, stage], () => layerView.render($("layerview"), { sizes: cfg.sizes, W: net.W, b: net.b, trace: s.trace, stage, width: $("layerview").clientWidth }));
  }
  // The grid row does not count the canvases' heights in the card's own size: give it the room.
  // A projector's card instead keeps the first screen's height and scrolls to the lit layer itself.
  const projector = document.documentElement.classList.contains("projector");
  const room = wide && !projector ? `${Math.max(410, $("layerview").scrollHeight + card.firstElementChild.offsetHeight + 24)}px` : "";
  if (card.style.minHeight !== room) card.style.minHeight = room;
  const scrolls = wide && projector;
  if (card.hasAttribute("tabindex") !== scrolls) {
    if (scrolls) card.tabIndex = 0; // a scrolling region the keyboard can reach (and scroll)
    else card.removeAttribute("tabindex");
  }
  // once per step (it reads the layout), not per frame while playing: keyed by the network's id, not its parameters
  if (scrolls) sched.memo("extras-lit-in-view", [net.id, cfg.sizes.join(), stage, $("layerview").dataset.lit], () => litLayerInView(card, $("layerview")));
  renderProjectionPick($, s, L);
  const info = s.data ? s.data.info : null;
  const imagesCard = $("images-card");
  const show = imagesView.applies(info, cfg.sizes[0]) && !!s.data;
  setHidden(imagesCard, !show);
  if (!show) return;
  const inputs = [net, s.trace, stage, s.example, s.data, s.evaluation];
  if (sched.memoSame("extras-images", inputs)) return;
  sched.throttle("images", IMAGES_EVERY_MS, s.playing, () => {
    sched.memo("extras-images", [s.network, s.trace, Math.min(s.stage, lastStage(L)), s.example, s.data, s.evaluation], () => {
      imagesView.render($("images"), {
        info, data: s.data, example: s.example, trace: s.trace, stage: Math.min(s.stage, lastStage(L)), L, W: s.network.W, nL: cfg.sizes[L],
        evaluation: s.evaluation, trained: s.history.length > 0, epoch: s.network.epoch, classNames: info.class_names,
      });
    });
  });
}
