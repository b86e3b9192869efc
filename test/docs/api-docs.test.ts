/**
 * The API reference (`npm run docs`, typedoc.config.mjs) is built from the TSDoc of every export of every entry
 * point in package.json's `exports`. This runs typedoc as `npm run docs` does, without writing pages, and fails on
 * any of its warnings: an export or a member of one without TSDoc, a type an export uses that no entry point
 * exports, a `{@link}` that leads nowhere. That is how "every exported symbol has a TSDoc line" is kept in CI.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const typedoc = fileURLToPath(new URL('../../node_modules/typedoc/bin/typedoc', import.meta.url));

/** Runs typedoc without output; its exit code and every warning or error line it printed, colours removed. */
async function runTypedoc(): Promise<{ exitCode: number; problems: string[] }> {
  const options = { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, maxBuffer: 16 * 1024 * 1024 };
  let exitCode = 0;
  let output: string;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [typedoc, '--emit', 'none'], options);
    output = stdout + stderr;
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    exitCode = typeof failed.code === 'number' ? failed.code : -1;
    output = `${failed.stdout ?? ''}${failed.stderr ?? String(error)}`;
  }
  const lines = output.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
  return { exitCode, problems: lines.filter((line) => /^\[(warning|error)\]/.test(line) && !/^\[(warning|error)\] Found \d+ errors?/.test(line)) };
}

describe('API reference (typedoc)', () => {
  it('documents every export of vrrp, vrrp/linux, vrrp/testing and any other entry point, with no link to nowhere', async () => {
    // On failure the list says what to fix, e.g. "vrrp.Foo.bar (Property) … does not have any documentation".
    expect(await runTypedoc()).toEqual({ exitCode: 0, problems: [] });
  }, 180_000);
});
