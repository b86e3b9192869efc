/**
 * A benchmark report's "Code:" line (bench/revision.ts) names every measured part with uncommitted changes — the
 * addon's C and the benchmarks too, not only src/ (a stall report once named a commit that lacked the code it
 * ran) — and the addon binary by its hash. On a scratch git repository.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeRevision } from '../../bench/revision.js';
import { tempDir } from '../trackers/helpers.js';

const tmp = tempDir('revision');
afterAll(() => tmp.remove());

function scratchRepo(): { repo: string; commit: string } {
  const repo = join(tmp.dir, `repo-${Math.random().toString(36).slice(2, 8)}`);
  for (const dir of ['src', 'native', 'bench']) mkdirSync(join(repo, dir), { recursive: true });
  writeFileSync(join(repo, 'src', 'a.ts'), 'export {};\n');
  writeFileSync(join(repo, 'native', 'a.c'), 'int a;\n');
  writeFileSync(join(repo, 'bench', 'b.ts'), 'export {};\n');
  mkdirSync(join(repo, 'bench', 'results'));
  writeFileSync(join(repo, 'bench', 'results', 'x-latest.md'), 'before\n');
  const git = (...args: string[]): string => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'scratch');
  return { repo, commit: git('rev-parse', '--short', 'HEAD') };
}

describe('codeRevision', () => {
  it('names the commit alone when nothing measured has changed, and says there is no source-built addon', () => {
    const { repo, commit } = scratchRepo();
    expect(codeRevision(repo)).toBe(`${commit} (dist/ and the addon built from the work tree at the start; no source-built addon)`);
  });

  // npm run bench runs failover, scale and stall in turn: each rewrites its results before the next one's report.
  it('does not count the benchmarks\' own results as a change of the code', () => {
    const { repo, commit } = scratchRepo();
    writeFileSync(join(repo, 'bench', 'results', 'x-latest.md'), 'after\n');
    expect(codeRevision(repo)).toBe(`${commit} (dist/ and the addon built from the work tree at the start; no source-built addon)`);
  });

  it('names uncommitted changes in the addon C and the benchmarks, and the addon by its hash', () => {
    const { repo, commit } = scratchRepo();
    writeFileSync(join(repo, 'native', 'a.c'), 'int a = 1;\n');
    writeFileSync(join(repo, 'bench', 'b.ts'), 'export const b = 1;\n');
    mkdirSync(join(repo, 'build', 'Release'), { recursive: true });
    writeFileSync(join(repo, 'build', 'Release', 'vrrp_packet.node'), 'binary');
    expect(codeRevision(repo)).toBe(`${commit} + uncommitted changes in native/, bench/ (dist/ and the addon built from the work tree at the start; addon sha256 9a3a45d01531)`);
  });
});
