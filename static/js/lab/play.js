// Training over the training stream (POST .../train/stream): continuous play (paced epochs, one
// drawn frame per animation frame with the newest snapshot, every epoch's record kept) and a
// single epoch whose one answer carries the parameters, the surface and the trace.

import { api } from "../api.js";
import { optimizerBody } from "../validate.js";
import { divergedFrom, trainingWhere } from "./flows.js";

// While playing, the server trains an epoch at most every PLAY_PACE_MS (a pace the student can
// watch) and sends, with each epoch, the parameters, the decision surface and the traced example
// as that epoch left them: the page makes no other request until the training stops.
const PLAY_PACE_MS = 30;
const PLAY_SURFACE_RESOLUTION = 36;

export function createPlayer(lab, { sched, perf }) {
  const store = lab.store;
  const s = store.state;
  const act = store.actions;
  let token = 0;
  let loop = Promise.resolve();
  let stream = null; // the running stream: {pause(), abort()}
  const hooks = { frame: () => {}, finished: () => {} };
  // What the streams delivered and what was drawn (read by the live-training tests and benchmark):
  // received epochs, those whose snapshot is in too (complete: a frame is asked for), frames that
  // drew at least one new epoch, and the epochs those drew.
  const counts = { received: 0, complete: 0, frames: 0, drawn: 0, stopAt: null };
  if (perf) perf.live = counts;

  /** Stop training and drop a frame still in flight (the network is being replaced). */
  function stop() {
    token++;
    if (stream) stream.abort();
    act.playStopped();
    act.liveEnded();
  }

  async function runStream(net, body, onEvent, controller) {
    // counts.stopAt: the epochs received when the server answered the stop (the training stops
    // between two epochs: at most the one under way follows).
    const pause = () => api.stopTraining(net.id).then(() => { counts.stopAt = counts.received; }, () => {});
    stream = { pause, abort: () => controller.abort() };
    try {
      await api.trainStream(net.id, body, onEvent, controller.signal);
    } finally {
      stream = null;
    }
  }

  /** Continuous training until paused, diverged or replaced. */
  async function run() {
    const my = ++token;
    const net = s.network;
    act.playStarted();
    const frames = [];
    const twoD = net.config.sizes[0] <= 2 && !!net.dataset;
    const live = () => my === token;
    let records = []; // epochs that arrived and are not drawn yet
    let snap = null; // the newest snapshot not drawn yet (JSON text: only a drawn one is parsed)
    let diverged = null;
    let runIn = null; // this stream's inputs, and whether a stop was asked
    const stale = () => s.example !== runIn.example || s.fault !== runIn.fault || s.training !== runIn.training;
    const askStop = () => {
      if (runIn && !runIn.stopAsked) {
        runIn.stopAsked = true;
        api.stopTraining(net.id).catch(() => {});
      }
    };
    let lastFrameEnd = performance.now();
    const draw = () => {
      sched.cancel("play-frame");
      if (!live() || (!records.length && !snap)) return;
      const t1 = performance.now();
      const newEpochs = records.length;
      const parsed = snap ? JSON.parse(snap) : null;
      if (parsed && parsed.trace && parsed.trace.diverged && !diverged) {
        diverged = divergedFrom(parsed.trace.diverged, trainingWhere(parsed));
        askStop();
      }
      act.liveFrame(records, parsed, !stale());
      records = [];
      snap = null;
      const parts = hooks.frame();
      const t3 = performance.now();
      if (newEpochs) {
        frames.push(t3); // a frame that drew at least one new epoch
        counts.frames++;
        counts.drawn += newEpochs;
      }
      if (perf) perf.frameParts.push({ wait: Math.round(t1 - lastFrameEnd), ...parts });
      lastFrameEnd = t3;
    };
    const onEvent = (kind, text) => {
      if (!live()) return;
      if (kind === "epoch") {
        records.push(JSON.parse(text));
        counts.received++;
      } else if (kind === "snapshot") {
        snap = text;
        counts.complete = counts.received;
      } else if (kind === "done") runIn.done = JSON.parse(text);
      else if (kind === "error") runIn.failed = JSON.parse(text).detail;
      if (stale()) askStop();
      // Each epoch event is followed by its snapshot: a frame is asked for once both are here.
      // After Pause, the epochs still arriving are drawn once, in one frame when the stream ends.
      if (kind === "snapshot" && s.playing) sched.frame("play-frame", draw);
    };

    try {
      while (live() && s.playing && !diverged) {
        runIn = { example: s.example, fault: s.fault, training: s.training, stopAsked: false, done: null, failed: null };
        const limits = (s.meta && s.meta.limits) || {};
        const body = {
          epochs: limits.max_epochs || 100, batch_size: s.training.batchSize, optimizer: optimizerBody(s.training), pace_ms: PLAY_PACE_MS,
          snapshot: { surface_resolution: twoD ? PLAY_SURFACE_RESOLUTION : null, trace: lab.traceBody() },
        };
        await runStream(net, body, onEvent, new AbortController());
        draw(); // the epochs that arrived after the last frame
        if (!live()) break;
        if (runIn.failed) {
          act.errorSet("train", runIn.failed);
          break;
        }
        if (!runIn.done || runIn.done.stop_reason === "deleted") break;
        if (runIn.done.diverged && !diverged) diverged = divergedFrom(runIn.done.diverged, trainingWhere(runIn.done));
      }
    } catch (err) {
      act.errorSet("train", err.message);
    }
    sched.cancel("play-frame");
    if (diverged && live()) act.divergedSet(diverged);
    if (frames.length > 1 && perf) {
      const fps = ((frames.length - 1) * 1000) / (frames[frames.length - 1] - frames[0]);
      perf.trainingFps = fps;
      perf.frames.push({ frames: frames.length, fps });
    }
    if (s.playing && my === token) act.playStopped();
    hooks.finished();
    try {
      if (my === token && s.network && s.network.id === net.id) {
        // One consistent last frame: the network, its boundary and the trace after the last epoch.
        try {
          await lab.refreshNetwork();
        } catch (err) {
          act.errorSet("train", err.message);
        }
        act.timelinePushed(`trained to epoch ${s.network.epoch}`);
        await lab.refreshAll();
      }
    } finally {
      // Until here the views were drawn live (cheap): the full paused draw happens once, now,
      // not at the press and again for each late epoch and refresh.
      if (my === token) act.liveEnded();
    }
  }

  return {
    hooks,
    stop,
    /** Stop training and wait until the frame in flight has finished (before changing parameters). */
    async halt() {
      stop();
      await loop;
    },
    async toggle() {
      if (s.playing) {
        // Pause: the server stops between two epochs; every epoch it trained still lands, drawn
        // in one last frame when the stream has ended (the frame asked for is dropped).
        act.playStopped();
        sched.cancel("play-frame");
        if (stream) stream.pause();
        return;
      }
      await loop;
      loop = run();
    },
    /** One run of `body.epochs` epochs with a snapshot after each: {records, snap, done} or null. */
    async once(body, snapshot) {
      const net = s.network;
      const records = [];
      let snap = null;
      let done = null;
      let failed = null;
      const controller = new AbortController();
      const my = token;
      await runStream(net, { ...body, snapshot }, (kind, text) => {
        if (kind === "epoch") records.push(JSON.parse(text));
        else if (kind === "snapshot") snap = text;
        else if (kind === "done") done = JSON.parse(text);
        else if (kind === "error") failed = JSON.parse(text).detail;
      }, controller);
      if (failed) throw new Error(failed);
      if (my !== token || !done) return null;
      return { records, snap: snap ? JSON.parse(snap) : null, done };
    },
  };
}
