/**
 * The benchmark's fine pinger on the lab's client host, tracked by the lab (killed on destroy): echo requests
 * every 1–2 ms from bench/icmp-pinger.mjs (see there why not iputils ping). Captures use {@link Lab.capture}.
 */
import { fileURLToPath } from 'node:url';
import { eachLine, type Lab, Notifier, waitUntil } from '../test/interop/lab.js';

const PINGER = fileURLToPath(new URL('./icmp-pinger.mjs', import.meta.url));

/** The fine-grained pinger. */
export interface FinePinger {
  /** Reply times, ms since the epoch, in arrival order. */
  readonly replies: readonly number[];
  /** Resolves once `count` replies at or after `sinceMs` have arrived. */
  waitForReplies(count: number, timeoutMs: number, sinceMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Pings `target` from `host` every `intervalMs` with bench/icmp-pinger.mjs. */
export function startFinePinger(lab: Lab, host: string, target: string, intervalMs: number): FinePinger {
  const child = lab.spawn(host, [process.execPath, PINGER, target, String(intervalMs)]);
  const replies: number[] = [];
  const events = new Notifier();
  let stderr = '';
  let exited = false;
  eachLine(child.stdout!, (line) => {
    const match = /^(\d+\.\d+) \d+$/.exec(line);
    if (match === null) return;
    replies.push(Number(match[1]));
    events.notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      events.notify();
      resolve();
    }),
  );
  return {
    replies,
    async waitForReplies(count, timeoutMs, sinceMs = Number.NEGATIVE_INFINITY) {
      const result = await waitUntil(
        () => {
          let seen = 0;
          for (let i = replies.length - 1; i >= 0 && replies[i]! >= sinceMs; i -= 1) seen += 1;
          return seen >= count ? true : exited ? new Error(`icmp-pinger exited: ${stderr.trim()}`) : undefined;
        },
        events.subscribe,
        timeoutMs,
        () => `${count} echo replies from ${target} ${stderr.trim()}`,
      );
      if (result instanceof Error) throw result;
    },
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}
