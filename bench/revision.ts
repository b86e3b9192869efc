/**
 * Which code a benchmark measured, for its report: the commit of the repository (naming the parts that have
 * uncommitted changes: the TypeScript, the addon's C, the benchmarks themselves, the addon's build file), and the
 * addon binary by a hash of its bytes — the bench scripts build both dist/ and the addon from the work tree at the
 * start (package.json), so a report says what ran even when the work tree was not a commit. Or, with `--dist`, the
 * commit of another build.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The parts of the repository whose changes change what a benchmark measures. */
const MEASURED_PATHS = ['src', 'native', 'bench', 'binding.gyp'] as const;

/** The code behind `dist` (a dist/ directory): `repo`'s own dist/ and addon, or another build's. */
export function codeRevision(repo: string, dist: string = join(repo, 'dist')): string {
  const git = (dir: string, ...args: string[]): string | undefined => {
    const result = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : undefined;
  };
  if (dist !== join(repo, 'dist')) {
    const root = dirname(dist);
    const commit = existsSync(join(root, '.git')) ? git(root, 'rev-parse', '--short', 'HEAD') : undefined;
    return `${commit === undefined ? 'build' : commit} from ${dist}`;
  }
  const commit = git(repo, 'rev-parse', '--short', 'HEAD');
  if (commit === undefined) return 'not a git checkout';
  // bench/results/ is what the benchmarks write: a run of one rewrites it before the next one's report.
  const dirty = MEASURED_PATHS.filter((path) => (git(repo, 'status', '--porcelain', '--', path, ':(exclude)bench/results') ?? '') !== '');
  const changes = dirty.length === 0 ? '' : ` + uncommitted changes in ${dirty.map((path) => (path.includes('.') ? path : `${path}/`)).join(', ')}`;
  return `${commit}${changes} (dist/ and the addon built from the work tree at the start; ${addonHash(repo)})`;
}

/** The source-built addon's hash, short, or that there is none (the prebuilt one then loads: src/linux/addon.ts). */
function addonHash(repo: string): string {
  const path = join(repo, 'build', 'Release', 'vrrp_packet.node');
  if (!existsSync(path)) return 'no source-built addon';
  return `addon sha256 ${createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12)}`;
}
