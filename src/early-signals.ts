/**
 * Signals that reach the `vrrp` executable before its command can act on them. Node.js opens its inspector on
 * SIGUSR1 (a debugger port on 127.0.0.1:9229 with no authentication, in a process that may be root) unless a
 * listener is installed, and dies on SIGUSR2 and SIGHUP by default; `vrrp run` installs its own listeners only
 * once its configuration is loaded and its servers are up. So the executable holds them from its first line
 * ({@link holdSignals}), and the command takes them over, its listener answering one that came meanwhile
 * ({@link takeOverSignal}). Imports nothing: src/cli.ts loads it before anything else.
 */

const received = new Set<string>();
const holders = new Map<string, () => void>();

/** Listens for `signals` now, remembering which came, until {@link takeOverSignal}. */
export function holdSignals(signals: readonly NodeJS.Signals[]): void {
  for (const signal of signals) {
    if (holders.has(signal)) continue;
    const holder = (): void => {
      received.add(signal);
    };
    holders.set(signal, holder);
    process.on(signal, holder);
  }
}

/**
 * Hands `signal` to `listener`: installs it, then stops holding the signal (no instant is left without a listener),
 * and calls it at once if the signal came while held.
 */
export function takeOverSignal(signal: NodeJS.Signals, listener: () => void): void {
  process.on(signal, listener);
  const holder = holders.get(signal);
  if (holder !== undefined) process.off(signal, holder);
  holders.delete(signal);
  if (received.delete(signal)) listener();
}
