/** Runs the built CLI (dist/cli.js) as a user would, for the tests of its flags and messages. */
import { execFile } from 'node:child_process';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The built CLI. */
export const CLI = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist', 'cli.js');

/** Runs `vrrp ...args`; resolves with its exit code and output, whatever the code. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Splits what `stream` says into `lines` as it comes (a partial last line waits for its end), then calls `onLines`. */
export function collectLines(stream: Readable | null | undefined, lines: string[], onLines: () => void): void {
  let buffered = '';
  stream?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
    onLines();
  });
}
