/**
 * The benchmark's fine pinger on the lab's client host, tracked by the lab (killed on destroy): echo requests on a
 * sub-millisecond grid from bench/icmp-pinger.c (see there why C, and why not iputils ping), compiled once per
 * benchmark process. Captures use {@link Lab.capture}.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eachLine, type Lab, Notifier, waitUntil } from '../test/interop/lab.js';

const PINGER_SOURCE = fileURLToPath(new URL('./icmp-pinger.c', import.meta.url));
let pingerBinary: string | undefined;

/** Compiles bench/icmp-pinger.c into a temporary directory (removed at exit) on first use. */
function pinger(): string {
  if (pingerBinary !== undefined) return pingerBinary;
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-bench-pinger-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const binary = join(dir, 'icmp-pinger');
  try {
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-Wall', '-o', binary, PINGER_SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`cannot compile bench/icmp-pinger.c (the benchmark needs a C compiler, as the addon does): ${stderr || String(error)}`);
  }
  pingerBinary = binary;
  return binary;
}

/** The fine-grained pinger. */
export interface FinePinger {
  /** Reply times, ms since the epoch, in arrival order. */
  readonly replies: readonly number[];
  /** Resolves once `count` replies at or after `sinceMs` have arrived. */
  waitForReplies(count: number, timeoutMs: number, sinceMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Pings `target` from `host` every `intervalMs` (sub-millisecond allowed) with bench/icmp-pinger.c. */
export function startFinePinger(lab: Lab, host: string, target: string, intervalMs: number): FinePinger {
  const child = lab.spawn(host, [pinger(), target, String(Math.round(intervalMs * 1000))]);
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
