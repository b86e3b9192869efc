/**
 * The library's own listeners of an instance's or a group's events — notify scripts (src/notify.ts) and a sync
 * group's view of its members (src/group.ts) — kept apart from the app's. eventemitter3 stops calling an event's
 * listeners at the first that throws, so an app's listener registered before them would keep a notify script from
 * running and a group from hearing of a change; these are called first, each on its own. Internal: not exported
 * from the package.
 */

/** @internal The key of the method that registers such a listener; it returns the function that removes it. */
export const observe: unique symbol = Symbol('vrrp.observe');

/** @internal An emitter's own listeners, by event: called before the app's, each apart (see the file comment). */
export class Observers<Events extends object> {
  #byEvent: Map<keyof Events, Set<(...args: never[]) => void>> | undefined;

  /** Adds `listener` for `event`; the function returned removes it. */
  add<E extends keyof Events>(event: E, listener: (...args: Events[E] & unknown[]) => void): () => void {
    const set = (this.#byEvent ??= new Map()).get(event) ?? new Set();
    this.#byEvent.set(event, set);
    set.add(listener as (...args: never[]) => void);
    return () => {
      set.delete(listener as (...args: never[]) => void);
    };
  }

  /** Calls each listener of `event` with `args`; one that throws is handed to `onThrow`, and the next is called. */
  notify<E extends keyof Events>(event: E, args: Events[E] & unknown[], onThrow: (cause: unknown) => void): void {
    const set = this.#byEvent?.get(event);
    if (set === undefined || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as (...args: unknown[]) => void)(...args);
      } catch (cause) {
        onThrow(cause);
      }
    }
  }
}
