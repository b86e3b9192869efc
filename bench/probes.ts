/**
 * The benchmarks' C helpers, compiled once per benchmark process and tracked by the lab (killed on destroy): the
 * fine pinger on the client host (echo requests on a sub-millisecond grid, bench/icmp-pinger.c: see there why C,
 * and why not iputils ping), the link cutter in the bridge namespace (a crash's cut at an instant given in
 * advance, bench/link-cutter.c), and the scale benchmark's floor (bench/advert-sender.c). Captures use
 * {@link Lab.capture}.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRIDGE, eachLine, type Lab, Notifier, waitUntil } from '../test/interop/lab.js';

const binaries = new Map<string, string>();
let binaryDir: string | undefined;

/** Compiles bench/<name>.c into a temporary directory (removed at exit) on first use; returns the binary's path. */
export function helper(name: 'icmp-pinger' | 'link-cutter' | 'advert-sender'): string {
  const known = binaries.get(name);
  if (known !== undefined) return known;
  if (binaryDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'vrrp-bench-helpers-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    binaryDir = dir;
  }
  const binary = join(binaryDir, name);
  const source = fileURLToPath(new URL(`./${name}.c`, import.meta.url));
  try {
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-Wall', '-o', binary, source], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`cannot compile bench/${name}.c (the benchmark needs a C compiler, as the addon does): ${stderr || String(error)}`);
  }
  binaries.set(name, binary);
  return binary;
}

/** A link cut armed in advance (bench/link-cutter.c). */
export interface LinkCutter {
  /** Cuts at wall-clock `atMs` (epoch ms, tcpdump's clock); resolves with the instant it did, once both ends see it. */
  cutAt(atMs: number): Promise<number>;
}

/** Starts bench/link-cutter.c in the bridge namespace for `host`'s bridge port; resolves once it is ready. */
export async function startLinkCutter(lab: Lab, host: string): Promise<LinkCutter> {
  const child = lab.spawn(BRIDGE, [helper('link-cutter'), lab.host(host).bridgePort], { stdin: true });
  const lines: string[] = [];
  const events = new Notifier();
  let stderr = '';
  let exited = false;
  eachLine(child.stdout!, (line) => {
    lines.push(line);
    events.notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.once('exit', () => {
    exited = true;
    events.notify();
  });
  const line = async (index: number, what: string): Promise<string> => {
    const result = await waitUntil(
      () => (lines.length > index ? lines[index]! : exited ? new Error(`link-cutter exited: ${stderr.trim()}`) : undefined),
      events.subscribe,
      5_000,
      () => `link-cutter ${what} ${stderr.trim()}`,
    );
    if (result instanceof Error) throw result;
    return result;
  };
  await line(0, 'ready');
  return {
    async cutAt(atMs) {
      child.stdin!.end(`${atMs.toFixed(3)}\n`);
      const at = Number(await line(1, 'cut'));
      await lab.awaitLink(host, false);
      return at;
    },
  };
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
  const child = lab.spawn(host, [helper('icmp-pinger'), target, String(Math.round(intervalMs * 1000))]);
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
