/**
 * Which code a benchmark measured, for its report: the commit of the repository (with a word when src/ has
 * uncommitted changes), or of another build given with `--dist`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The code behind `dist` (a dist/ directory): `repo`'s own dist/, or another build's. */
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
  const dirty = git(repo, 'status', '--porcelain', '--', 'src');
  return `${dirty === '' ? commit : `${commit} + uncommitted changes in src/`} (dist/ built from the work tree at the start)`;
}
