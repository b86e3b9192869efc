/**
 * Global names the public types use, declared here as well so that an app's program has them whatever lib and
 * @types/node it compiles with. The `netlink` dependency pulls in @types/node@12, which an app without its own
 * @types/node gets hoisted: it has no `Symbol.asyncDispose`, no `Symbol.dispose` and no `AbortSignal`, and our
 * .d.ts files name them.
 * Each declaration is the same as lib.esnext.disposable's / @types/node's and merges with theirs where they exist.
 * Imported (for its types; it has no runtime content) by the modules whose types name them: src/config.ts,
 * src/instance.ts, src/linux/packet-socket.ts.
 */
declare global {
  interface SymbolConstructor {
    /** The method `await using` calls (lib.esnext.disposable, @types/node ≥ 20). */
    readonly asyncDispose: unique symbol;
    /** The method `using` calls (lib.esnext.disposable, @types/node ≥ 20). */
    readonly dispose: unique symbol;
  }
  /** Cancels a check or a piece of work (a global of Node.js ≥ 15 and of the DOM). */
  interface AbortSignal {}
}

export {};
