// A store: one state object whose only writers are its named actions. An action is a pure
// function (state, ...args) -> patch (or null: nothing changes); the store applies the patch and
// tells each subscriber the action's name and the keys it changed. Nothing else writes state:
// `store.state` is read-only outside this file (writes through it throw in strict mode).

/**
 * createStore(initial, actions) -> {state, actions, subscribe}
 * - state: a read-only view of the current state (same object identity for unchanged values,
 *   so views can compare their inputs by reference)
 * - actions.<name>(...args): run the named action and apply its patch
 * - subscribe(fn(state, changed: Set<key>, actionName)) -> unsubscribe
 */
export function createStore(initial, actionDefs) {
  const data = { ...initial };
  const listeners = new Set();
  const state = new Proxy(data, {
    set: () => false,
    deleteProperty: () => false,
  });
  const actions = {};
  for (const [name, fn] of Object.entries(actionDefs)) {
    actions[name] = (...args) => {
      const patch = fn(state, ...args);
      if (!patch) return;
      const changed = new Set(Object.keys(patch));
      if (!changed.size) return;
      Object.assign(data, patch);
      for (const listener of listeners) listener(state, changed, name);
    };
  }
  return {
    state,
    actions,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
