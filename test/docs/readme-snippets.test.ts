/**
 * The README's TypeScript examples compile against the package as it is (strict, the project's compiler options,
 * `vrrp` and its subpaths resolved to src/ as tsconfig.json maps them): a renamed option or event, or an example
 * that only works in plain JavaScript (TS2775 on an assertion method), fails here instead of in a new user's editor.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What the README's examples leave to the app: its own health check, promotion and logger. */
const APP = `
declare function haproxyIsAlive(signal: AbortSignal): Promise<boolean>;
declare function promoteStandby(options: { signal: AbortSignal }): Promise<void>;
declare const log: { info(fields: object, message: string): void };
`;

/** The ```ts blocks of a Markdown file, each with the line it starts on. */
function typescriptBlocks(markdown: string): { line: number; code: string }[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => ({
    line: markdown.slice(0, match.index).split('\n').length + 1,
    code: match[1]!,
  }));
}

/** Type-checks each block as a module of its own; one line per diagnostic, at the README's own line. */
function compile(blocks: { line: number; code: string }[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(`${root}tsconfig.json`, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error('cannot read tsconfig.json');
  const options: ts.CompilerOptions = { ...config.options, noEmit: true };
  const files = new Map(blocks.map((block, index) => [`${root}test/docs/readme-example-${index}.ts`, { ...block, text: APP + block.code }]));
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => {
    const file = files.get(name);
    return file ? ts.createSourceFile(name, file.text, language) : getSourceFile(name, language, ...rest);
  };
  host.fileExists = (name) => files.has(name) || ts.sys.fileExists(name);
  host.readFile = (name) => files.get(name)?.text ?? ts.sys.readFile(name);
  const program = ts.createProgram([...files.keys()], options, host);
  const appLines = APP.split('\n').length - 1;
  return [...files].flatMap(([name, file]) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(name)).map((diagnostic) => {
      const at = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line : 0;
      return `README.md:${file.line + at - appLines}: TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    }),
  );
}

describe('README.md examples', () => {
  const blocks = typescriptBlocks(readFileSync(`${root}README.md`, 'utf8'));

  it('has TypeScript examples to check', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it('compile under the project strict settings, as a user would paste them', () => {
    expect(compile(blocks)).toEqual([]);
  }, 120_000);
});
