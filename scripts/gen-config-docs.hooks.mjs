// Module hooks for scripts/gen-config-docs.mjs (Node 20 has no type stripping): `.js` specifiers that name a `.ts`
// source resolve to it, `.ts` files are transpiled with the project's TypeScript (types erased, no type check), and
// the configuration modules (src/config.ts, src/run-config.ts) additionally export their module-level constants
// under `__local_<name>`, so that the generator can read zod schemas they keep private (the instance schema, notify,
// sync groups, the run file's global settings) without src/ exporting them.
import { readFile } from 'node:fs/promises';
import ts from 'typescript';

const CONFIG_MODULES = new Set(['../src/config.ts', '../src/run-config.ts'].map((path) => new URL(path, import.meta.url).href));

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('/'))) {
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
    throw error;
  }
}

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const source = await readFile(new URL(url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  const exposed = CONFIG_MODULES.has(url) ? `\n${exposeLocals(source)}\n` : '';
  return { format: 'module', source: outputText + exposed, shortCircuit: true };
}

/** `export { a as __local_a, … };` for every top-level `const` / `let` the module does not export itself. */
function exposeLocals(source) {
  const file = ts.createSourceFile('config.ts', source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const names = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    if (statement.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword || modifier.kind === ts.SyntaxKind.DeclareKeyword)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text);
    }
  }
  return names.length === 0 ? '' : `export { ${names.map((name) => `${name} as __local_${name}`).join(', ')} };`;
}
