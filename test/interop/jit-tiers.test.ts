/**
 * `vrrp run` turns TurboFan off for its process (src/jit-tiers.ts, src/cli.ts), and an operator's own tier option
 * on node's command line stands. Shown with V8's `--trace-opt`, which prints a line for each function V8 marks for
 * TurboFan or compiles with it: a run of 60 masters prints none; the same run with `--turbofan` given to node does
 * (their start makes `start` and its helpers hot within the first seconds), so the check can see compiles.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eachLine, Lab, labAvailable, Notifier, requireLab, waitUntil } from './lab.js';

requireLab();

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const INSTANCES = 60;
/** A line of `--trace-opt` about TurboFan: a marking for it or a compile with it. */
const TURBOFAN_LINE = /TURBOFAN/;

/** Runs `vrrp run` with INSTANCES masters under `node --trace-opt ...nodeOptions` until every one is master and 3 s more, then stops it; its stdout's lines. */
async function traceRun(lab: Lab, nodeOptions: string[]): Promise<string[]> {
  const config = join(lab.tmpDir, `tiers-${nodeOptions.length}.json`);
  const instances = Array.from({ length: INSTANCES }, (_, i) => ({
    name: `vr${i + 1}`,
    interface: 'eth0',
    vrid: i + 1,
    priority: 150,
    version: 3,
    advertIntervalMs: 100,
    virtualAddresses: [`198.18.${lab.n}.${i + 1}/32`],
  }));
  writeFileSync(config, JSON.stringify({ instances }));
  const child = lab.spawn('us', [process.execPath, '--trace-opt', ...nodeOptions, cli, 'run', '--socket', join(lab.tmpDir, `tiers-${nodeOptions.length}.sock`), config]);
  const lines: string[] = [];
  const changed = new Notifier();
  let masters = 0;
  let exitCode: number | null | undefined;
  eachLine(child.stdout!, (line) => {
    lines.push(line);
    // V8 writes its trace through C's buffered stdout, so a flush can end mid-line and our next JSON line follow
    // on the same line: look for the transition anywhere in it.
    if (line.includes('"to":"master"')) masters += 1;
    changed.notify();
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.once('exit', (code) => {
    exitCode = code;
    changed.notify();
  });
  const describe = () => `masters ${masters}/${INSTANCES}, exit ${String(exitCode)}, stderr: ${stderr.slice(-2000)}`;
  await waitUntil(() => masters === INSTANCES || exitCode !== undefined || undefined, changed.subscribe, 20_000, describe);
  expect(exitCode, describe()).toBeUndefined();
  // A few dozen adverts of each master more: what runs at every advert has had its chance to get hot.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  child.kill('SIGTERM');
  await waitUntil(() => exitCode !== undefined || undefined, changed.subscribe, 10_000, describe);
  expect(exitCode, describe()).toBe(0);
  return lines;
}

describe.skipIf(!labAvailable.ok)('vrrp run and V8’s optimizing compiler', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['us'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given 60 masters in one `vrrp run` under node --trace-opt
  // when they start, win and advertise for 3 s
  // then V8 marks and compiles nothing for TurboFan.
  it('compiles nothing with TurboFan', async () => {
    const lines = await traceRun(lab, []);
    expect(lines.filter((line) => TURBOFAN_LINE.test(line)).slice(0, 5)).toEqual([]);
  });

  // Given the same run with --turbofan on node's command line (an operator's choice)
  // when they start, win and advertise for 3 s
  // then V8 compiles with TurboFan: the option stands, and the check above could see compiles.
  it('leaves TurboFan on when node was started with --turbofan', async () => {
    const lines = await traceRun(lab, ['--turbofan']);
    expect(lines.filter((line) => TURBOFAN_LINE.test(line)).length).toBeGreaterThan(0);
  });
});
