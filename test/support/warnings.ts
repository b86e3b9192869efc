/**
 * The process warnings a piece of test code causes: the library turns failures nobody listens for into warnings
 * (`process.emitWarning`), which Node emits on the next tick.
 */

/** A warning as `process.emitWarning` makes it: `name` is its type (`VrrpWarning`), `code` its code. */
export type EmittedWarning = Error & { code?: string };

/** Runs `action`, waits a tick for the warnings it emitted, and returns them in order (every type, not only ours). */
export async function warningsDuring(action: () => unknown): Promise<EmittedWarning[]> {
  const warnings: EmittedWarning[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on('warning', onWarning);
  try {
    await action();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

/** {@link warningsDuring}, keeping the library's own (`VrrpWarning`). */
export async function vrrpWarningsDuring(action: () => unknown): Promise<EmittedWarning[]> {
  return (await warningsDuring(action)).filter((warning) => warning.name === 'VrrpWarning');
}
