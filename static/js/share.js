// Share and keep (export, import, copy a link) and lessons: flows of the lab page that replace
// its configuration or network.

import { api } from "./api.js";
import { el } from "./format.js";
import { importProblem, plainServerMessage } from "./importcheck.js";
import { configFromNetwork, fromLesson } from "./url.js";

/** What a copied link rebuilds: the configuration and seed, so the first weights, not trained ones. */
export function linkCarries(network) {
  const base = "it rebuilds this configuration with the same seed, so the same first weights.";
  if (!network || (network.step === 0 && network.epoch === 0)) return base;
  return `${base} It does not carry the trained weights (step ${network.step}, epoch ${network.epoch}): use Export JSON to keep those, and Import to load them.`;
}

export function createShare({ lab, $, writeUrl }) {
  const s = lab.store.state;
  const act = lab.store.actions;
  const note = (text) => ($("share-note").textContent = text);

  async function exportNetwork() {
    act.errorSet("share", null);
    try {
      const doc = await api.exportNetwork(s.network.id);
      const blob = new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" });
      const a = el("a", { href: URL.createObjectURL(blob), download: `backprop-lab-${doc.config.sizes.join("-")}-seed${doc.config.seed}.json` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 5000);
      note("Exported the network (parameters, counters, optimiser state).");
    } catch (err) {
      act.errorSet("share", err.message);
    }
  }

  async function importNetwork(file) {
    act.errorSet("share", null);
    let doc;
    try {
      doc = JSON.parse(await file.text());
    } catch {
      act.errorSet("share", `"${file.name}" is not a JSON file.`);
      return;
    }
    const problem = importProblem(doc);
    if (problem) {
      act.errorSet("share", `Could not import "${file.name}": ${problem}`);
      return;
    }
    lab.player.stop();
    try {
      const network = await api.importNetwork(doc);
      await lab.adopt(network, configFromNetwork(network), `imported ${file.name}`);
      writeUrl();
      note(`Imported ${file.name}: step ${network.step}, epoch ${network.epoch}.`);
    } catch (err) {
      act.errorSet("share", `Could not import "${file.name}": ${plainServerMessage(err.message)}`);
    }
  }

  async function copyLink() {
    writeUrl();
    const url = location.href;
    try {
      await navigator.clipboard.writeText(url);
      note(`Link copied: ${linkCarries(s.network)}`);
    } catch {
      note(`Link: ${url} (${linkCarries(s.network)})`);
    }
  }

  async function openLesson(id) {
    act.errorSet("lesson", null);
    if (!id) {
      act.lessonSet(null);
      writeUrl();
      return;
    }
    try {
      const lesson = await api.lesson(id);
      const { config, training, example } = fromLesson(lesson);
      act.lessonApplied({ lesson, config, training, example });
      writeUrl();
      await lab.build({ keepExample: !!example });
      writeUrl();
    } catch (err) {
      act.errorSet("lesson", err.message);
    }
  }

  async function loadLessonNetwork(setup) {
    const { config, training } = fromLesson(s.lesson, setup); // its own training too (e.g. its eta)
    act.lessonApplied({ lesson: s.lesson, config, training });
    writeUrl();
    await lab.build({ keepExample: true });
    writeUrl();
  }

  return { exportNetwork, importNetwork, copyLink, openLesson, loadLessonNetwork };
}
