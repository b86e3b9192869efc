/**
 * The core is pure (docs/architecture.md, "Layers"): no Node built-ins, no I/O or platform packages, no zod, no emitter, no
 * timers, no wall clock, no randomness. Each file of src/core/ is parsed with the TypeScript compiler (so comments
 * and strings that merely mention a name do not count) and every offending import or use is reported as
 * `file:line: what`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, it, expect } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CORE = join(ROOT, 'src', 'core');

/** Modules the core must not import (a name also forbids its subpaths, e.g. `fs/promises`); `node:*` is checked apart. */
const FORBIDDEN_MODULES = [
  'fs',
  'net',
  'dgram',
  'os',
  'child_process',
  'timers',
  'raw-socket',
  'netlink',
  'zod',
  'eventemitter3',
] as const;

/** Globals whose mere use makes code impure: timers. */
const FORBIDDEN_IDENTIFIERS = new Set(['setTimeout', 'setInterval', 'setImmediate']);

/** Member reads that read a clock or a random source. */
const FORBIDDEN_MEMBERS = new Set(['Date.now', 'performance.now', 'Math.random']);

function forbiddenModule(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true;
  return FORBIDDEN_MODULES.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

/** `Date.now`, `globalThis.Date.now`, `Math['random']` → the two-part name, or undefined for other expressions. */
function memberName(node: ts.Node): string | undefined {
  let object: ts.Expression;
  let property: string;
  if (ts.isPropertyAccessExpression(node)) {
    object = node.expression;
    property = node.name.text;
  } else if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
    object = node.expression;
    property = node.argumentExpression.text;
  } else {
    return undefined;
  }
  if (ts.isIdentifier(object)) return `${object.text}.${property}`;
  if (ts.isPropertyAccessExpression(object) && ts.isIdentifier(object.expression) && object.expression.text === 'globalThis') {
    return `${object.name.text}.${property}`;
  }
  return undefined;
}

/** Every impurity in one source text, as `line: what` (1-based lines). */
function findImpurities(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const report = (node: ts.Node, what: string): void => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push(`${line + 1}: ${what}`);
  };
  const checkSpecifier = (node: ts.Node, specifier: ts.Expression | undefined): void => {
    if (specifier && ts.isStringLiteralLike(specifier) && forbiddenModule(specifier.text)) {
      report(node, `imports '${specifier.text}'`);
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      checkSpecifier(node, node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      checkSpecifier(node, node.moduleReference.expression);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const dynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const requireCall = ts.isIdentifier(callee) && callee.text === 'require';
      if (dynamicImport || requireCall) checkSpecifier(node, node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      checkSpecifier(node, node.argument.literal as ts.Expression);
    }
    if (ts.isIdentifier(node) && FORBIDDEN_IDENTIFIERS.has(node.text)) report(node, `uses ${node.text}`);
    const member = memberName(node);
    if (member !== undefined && FORBIDDEN_MEMBERS.has(member)) report(node, `uses ${member}`);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const coreFiles = readdirSync(CORE, { recursive: true, encoding: 'utf8' })
  .filter((name) => /\.(ts|mts|cts|js|mjs)$/.test(name))
  .map((name) => join(CORE, name))
  .sort();

describe('src/core is pure', () => {
  // Given the source tree, when src/core/ is listed,
  // then the scan has something to scan: at least the state machine, the codec and the timers.
  it('finds the core files to scan', () => {
    const names = coreFiles.map((file) => relative(CORE, file));
    expect(names).toEqual(expect.arrayContaining(['router.ts', 'codec.ts', 'timers.ts', 'priority.ts', 'stats.ts']));
  });

  // Given each file of src/core/, when it is parsed,
  // then it neither imports a forbidden module nor uses a timer, a clock or a random source.
  it.each(coreFiles.map((file) => ({ file: relative(ROOT, file) })))('$file imports and calls nothing impure', ({ file }) => {
    const impurities = findImpurities(file, readFileSync(join(ROOT, file), 'utf8')).map((entry) => `${file}:${entry}`);
    expect(impurities, `impure code in ${file}`).toEqual([]);
  });
});

describe('the purity scanner itself', () => {
  // Given a sample with one of each forbidden construct, when it is scanned,
  // then each is reported on its own line — so a clean result above means something.
  it('reports every forbidden import and call with its line', () => {
    const sample = [
      "import { readFileSync } from 'node:fs';", // 1
      "import * as net from 'net';", // 2
      "import dgram from 'dgram';", // 3
      "import { z } from 'zod';", // 4
      "export { EventEmitter } from 'eventemitter3';", // 5
      "import type { Socket } from 'raw-socket';", // 6
      "const os = await import('os');", // 7
      "const cp = require('child_process');", // 8
      "import { setTimeout as wait } from 'timers/promises';", // 9
      'setTimeout(() => {}, 1);', // 10
      'const id = setInterval(() => {}, 1);', // 11
      'const now = Date.now();', // 12
      'const t = performance.now();', // 13
      'const r = Math.random();', // 14
      "const n = globalThis.Date['now']();", // 15
      "import { open } from 'netlink';", // 16
    ].join('\n');
    expect(findImpurities('sample.ts', sample)).toEqual([
      "1: imports 'node:fs'",
      "2: imports 'net'",
      "3: imports 'dgram'",
      "4: imports 'zod'",
      "5: imports 'eventemitter3'",
      "6: imports 'raw-socket'",
      "7: imports 'os'",
      "8: imports 'child_process'",
      "9: imports 'timers/promises'",
      '9: uses setTimeout',
      '10: uses setTimeout',
      '11: uses setInterval',
      '12: uses Date.now',
      '13: uses performance.now',
      '14: uses Math.random',
      '15: uses Date.now',
      "16: imports 'netlink'",
    ]);
  });

  // Given a sample that only mentions forbidden names in comments and strings, or imports a look-alike module,
  // when it is scanned, then nothing is reported.
  it('ignores comments, strings and look-alike module names', () => {
    const sample = [
      '// no setTimeout, no Date.now(), no Math.random() here',
      "/* import fs from 'node:fs' */",
      "const s = 'setInterval and performance.now';",
      "import { x } from './fs-like.js';",
      "import { y } from 'osmosis';",
    ].join('\n');
    expect(findImpurities('sample.ts', sample)).toEqual([]);
  });
});
