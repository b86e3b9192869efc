/**
 * Every relative link in the repository's Markdown (README, CHANGELOG, docs/, examples/, bench/results/) leads
 * somewhere: the file or folder exists inside the repository, and a `#fragment` into a Markdown file names one of
 * its headings (GitHub's anchors) or an explicit `<a id>`. Links that leave the repository (`../…` past its root)
 * count as dead: the published package and a fresh clone have nothing there. Web links are not fetched.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Not ours, or generated and not committed (docs/api: `npm run docs`). */
const SKIPPED = new Set(['node_modules', 'dist', 'build', 'coverage', '.git', join('docs', 'api')]);

function markdownFiles(dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (SKIPPED.has(relative(root, path))) return [];
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** The text without its fenced code blocks (a `# comment` in a shell block is no heading). */
function withoutFences(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** The text with code blanked out, fenced and inline (links inside code are examples, not links). */
function withoutCode(text: string): string {
  return withoutFences(text).replace(/`[^`\n]*`/g, '``');
}

/** Link targets: inline `[text](target "title")`, images, and reference definitions `[name]: target`. */
function linkTargets(text: string): string[] {
  const body = withoutCode(text);
  const inline = [...body.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]!);
  const references = [...body.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((match) => match[1]!);
  return [...inline, ...references];
}

/** GitHub's anchor for a heading: its text lowercased, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a Markdown file offers: its headings' (repeats numbered -1, -2 as GitHub does) and `<a id>`s. */
function anchorsOf(path: string): Set<string> {
  const text = readFileSync(path, 'utf8');
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutFences(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(match[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  return anchors;
}

/** What is wrong with `target` as written in `file`, or undefined when it resolves. */
function problem(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto: …
  const hash = target.indexOf('#');
  const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
  const fragment = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const resolved = pathPart === '' ? file : resolve(dirname(file), pathPart);
  if (resolved !== root.replace(/[\\/]$/, '') && !resolved.startsWith(root)) return 'leaves the repository';
  if (!existsSync(resolved)) return 'no such file';
  if (fragment === undefined || fragment === '' || !resolved.endsWith('.md') || statSync(resolved).isDirectory()) return undefined;
  return anchorsOf(resolved).has(fragment) ? undefined : `no heading #${fragment} in ${relative(root, resolved).split(sep).join('/')}`;
}

describe('Markdown links', () => {
  const files = markdownFiles();

  it('finds the README, the CHANGELOG and the guides to check', () => {
    const names = files.map((file) => relative(root, file).split(sep).join('/'));
    expect(names).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'docs/architecture.md', 'docs/configuration.md']));
  });

  it('every relative link and #anchor in them resolves inside the repository', () => {
    const dead = files.flatMap((file) =>
      linkTargets(readFileSync(file, 'utf8')).flatMap((target) => {
        const why = problem(file, target);
        return why === undefined ? [] : [`${relative(root, file).split(sep).join('/')}: (${target}) ${why}`];
      }),
    );
    expect(dead).toEqual([]);
  });
});
