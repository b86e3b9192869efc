// typedoc's settings for `npm run docs` (HTML into docs/api/) and for the test that checks every export is
// documented (test/docs/api-docs.test.ts). The entry points are read from package.json's `exports`, so a subpath
// added there is documented and checked without anyone remembering this file.
//
// Neither HTML nor Markdown output is committed: the same TSDoc ships in the package's .d.ts files, which editors
// show on hover; the pages rebuild from the sources in seconds; and a committed copy would either go stale or
// churn with every comment edit (the check above is what keeps the comments complete).
import { existsSync, readFileSync } from 'node:fs';

/** Every string in an `exports` value (conditions may nest). */
function targets(value) {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(targets);
}

/** `./dist/linux/index.d.ts` or `./dist/linux/index.js` → `src/linux/index.ts`, when that source exists. */
function sourceOf(target) {
  const match = /^\.\/dist\/(.+?)\.(?:d\.[cm]?ts|[cm]?js)$/.exec(target);
  const source = match && `src/${match[1]}.ts`;
  return source && existsSync(source) ? source : undefined;
}

const { exports } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const entryPoints = Object.entries(exports)
  .filter(([subpath]) => subpath !== './package.json')
  .map(([subpath, value]) => {
    const source = targets(value).map(sourceOf).find((found) => found !== undefined);
    if (source === undefined) throw new Error(`typedoc.config.mjs: package.json exports["${subpath}"] names no file under src/`);
    return source;
  });

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  entryPoints: [...new Set(entryPoints)],
  tsconfig: 'tsconfig.build.json',
  // `npm test` type-checks first; here only the comments are judged.
  skipErrorChecking: true,
  out: 'docs/api',
  name: 'vrrp',
  readme: 'none',
  // No public repository URL to link sources to yet; the page names each symbol's module instead.
  disableSources: true,
  excludePrivate: true,
  excludeInternal: true,
  // src/config.ts's helper that spells the resolved tracker types; its result is what each of them documents.
  // src/globals.ts re-declares AbortSignal so that apps compiling against an old @types/node still have it: a
  // reference to it is a reference to the platform's, not a type of ours to document.
  intentionallyNotExported: ['Resolved', '__global.AbortSignal'],
  validation: { notExported: true, invalidLink: true, rewrittenLink: true, notDocumented: true, unusedMergeModuleWith: true },
  // A missing TSDoc, a type an export uses but the entry points do not export, or a {@link} to nowhere fails the
  // run (and so `npm test`), rather than scrolling past as a warning.
  treatWarningsAsErrors: true,
  treatValidationWarningsAsErrors: true,
};
