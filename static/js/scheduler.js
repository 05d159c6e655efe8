// The one place that owns timing: coalesced redraws, debounces, throttles while training plays,
// memos (redraw a view only when one of its inputs changed, compared by identity), which views
// are on screen, and what each drawn part costs. Views and flows ask the scheduler; none keeps a
// timer or a cache of its own.

export function createScheduler() {
  const timers = new Map(); // key -> timeout id (debounce, throttle tail)
  const lastRun = new Map(); // key -> performance.now() of the last throttled run
  const memos = new Map(); // key -> the inputs of the last run
  const frames = new Map(); // key -> requestAnimationFrame id
  const micro = new Set(); // keys with a microtask queued
  const costs = {}; // key -> {n, ms, max}: the time spent in each timed part (memo runs included)
  const shown = new WeakMap(); // element -> is it on screen (IntersectionObserver), see onScreen()
  const onShow = new WeakMap(); // element -> called when it comes on screen
  let observer = null;

  function timed(key, fn) {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      const ms = performance.now() - t0;
      const c = costs[key] || (costs[key] = { n: 0, ms: 0, max: 0 });
      c.n++;
      c.ms += ms;
      if (ms > c.max) c.max = ms;
      // For a performance trace (benchmarks/bench_page.py sets it): each part as a user-timing measure.
      if (api.measure) performance.measure(key, { start: t0, duration: ms });
    }
  }

  const api = {
    /** Per part: {n: runs, ms: total, max} (read by the benchmark and the live-training tests). */
    costs,

    /** When true, each timed part is also a performance.measure (seen in a performance trace). */
    measure: false,

    /** Run fn and add its duration to costs[key]; returns what fn returns. */
    timed,

    /**
     * Is `element` on screen (any part of it within the viewport, by an IntersectionObserver)?
     * The first call starts watching it and answers true until the observer has said otherwise;
     * `show` is called each time it comes back on screen (to draw what was held back).
     */
    onScreen(element, show) {
      if (!element || typeof IntersectionObserver === "undefined") return true;
      if (!shown.has(element)) {
        observer ||= new IntersectionObserver((entries) => {
          for (const entry of entries) {
            const was = shown.get(entry.target);
            shown.set(entry.target, entry.isIntersecting);
            if (entry.isIntersecting && !was) onShow.get(entry.target)?.();
          }
        });
        shown.set(element, true);
        observer.observe(element);
      }
      if (show) onShow.set(element, show);
      return shown.get(element);
    },

    /** Run fn once, ms after the last call with this key. */
    debounce(key, ms, fn) {
      clearTimeout(timers.get(key));
      timers.set(key, setTimeout(() => {
        timers.delete(key);
        fn();
      }, ms));
    },

    /** Drop a pending debounce or throttle tail. */
    cancel(key) {
      clearTimeout(timers.get(key));
      timers.delete(key);
      if (frames.has(key)) cancelAnimationFrame(frames.get(key));
      frames.delete(key);
    },

    /**
     * Run fn now when `hold` is false or the last run was at least ms ago; otherwise hold it back
     * and run it once when ms have passed (the newest fn wins). Returns true when it ran now.
     */
    throttle(key, ms, hold, fn) {
      const now = performance.now();
      const since = now - (lastRun.get(key) ?? -Infinity);
      if (!hold || since >= ms) {
        clearTimeout(timers.get(key));
        timers.delete(key);
        lastRun.set(key, now);
        fn();
        return true;
      }
      clearTimeout(timers.get(key));
      timers.set(key, setTimeout(() => {
        timers.delete(key);
        lastRun.set(key, performance.now());
        fn();
      }, ms - since));
      return false;
    },

    /** Would throttle(key, ms, true, ...) run now (the last run was at least ms ago)? */
    due(key, ms) {
      return performance.now() - (lastRun.get(key) ?? -Infinity) >= ms;
    },

    /** Run fn(...) only when one of `inputs` differs (by identity) from the last run with this key. */
    memo(key, inputs, fn) {
      const prev = memos.get(key);
      if (prev && prev.length === inputs.length && prev.every((v, i) => v === inputs[i])) return false;
      memos.set(key, inputs);
      timed(key, fn);
      return true;
    },

    /** True when `inputs` are those of the last memo() run with this key (nothing to redraw). */
    memoSame(key, inputs) {
      const prev = memos.get(key);
      return !!prev && prev.length === inputs.length && prev.every((v, i) => v === inputs[i]);
    },

    /** Forget memos (all, or those whose key starts with prefix): the next memo() call runs. */
    invalidate(prefix = "") {
      for (const key of [...memos.keys()]) if (key.startsWith(prefix)) memos.delete(key);
    },

    /** Run fn at the next animation frame; calls before it coalesce into one. */
    frame(key, fn) {
      if (frames.has(key)) return;
      frames.set(key, requestAnimationFrame(() => {
        frames.delete(key);
        fn();
      }));
    },

    /**
     * Run fn once the page is idle (requestIdleCallback, at most 2 s later), ms after the last call
     * with this key: work prepared ahead (e.g. the equations Play will show) never delays a frame.
     */
    idle(key, ms, fn) {
      api.debounce(key, ms, () => {
        if (typeof requestIdleCallback === "undefined") fn();
        else requestIdleCallback(() => fn(), { timeout: 2000 });
      });
    },

    /** Run fn in a microtask; calls before it coalesce into one. */
    soon(key, fn) {
      if (micro.has(key)) return;
      micro.add(key);
      queueMicrotask(() => {
        micro.delete(key);
        fn();
      });
    },
  };
  return api;
}
