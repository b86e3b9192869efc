/**
 * The runnable examples tell that they were run (not imported) by comparing their own URL with the script node was
 * given. They built that URL as `file://${process.argv[1]}`, which reads a '#' in the path as a fragment (and '?' as
 * a query, '%' as an escape): from a checkout under such a directory, `npm run demo` printed nothing and exited 0.
 *
 * Each example is copied into a directory named 'a#b', with the package linked as node_modules/vrrp (the built one,
 * dist/, as a user's install has it), and run there with plain node.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
let parent: string;
/** The directory the examples are run from: its name has a '#'. */
let dir: string;

beforeAll(() => {
  if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/ is missing: run npm run build (npm test does)');
  parent = mkdtempSync(join(tmpdir(), 'vrrp-examples-'));
  dir = join(parent, 'a#b');
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules/vrrp'), 'dir');
  cpSync(join(root, 'examples/seed-scenario.js'), join(dir, 'seed-scenario.js'));
  cpSync(join(root, 'examples/custom-transport'), join(dir, 'custom-transport'), { recursive: true });
});

afterAll(() => {
  if (parent !== undefined) rmSync(parent, { recursive: true, force: true });
});

/** Runs `script` (relative to the 'a#b' directory) with plain node; resolves with its exit code and output. */
function run(script: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(dir, script), ...args], { cwd: dir }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("examples run from a path with '#'", () => {
  // Given examples/seed-scenario.js under a#b/; when node runs it; then it prints the scenario, ending with the
  // virtual time simulated.
  it('seed-scenario.js runs its scenario', async () => {
    const { code, stdout, stderr } = await run('seed-scenario.js');
    expect(code, stderr).toBe(0);
    expect(stdout, "the example took itself for imported and printed nothing").toMatch(/s of protocol simulated in \d+ ms of real time/);
  });

  // Given examples/custom-transport/node.js under a#b/; when node runs it without its required options; then it
  // prints its usage and exits 2 (it starts no node, so the test needs no port).
  it('custom-transport/node.js reads its command line', async () => {
    const { code, stderr } = await run('custom-transport/node.js');
    expect(stderr, 'the example took itself for imported and ignored its command line').toMatch(/^usage: node node\.js/);
    expect(code).toBe(2);
  });
});
