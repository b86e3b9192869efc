/**
 * The package as a user gets it. Packs the repository once — in a scratch copy, so that the prepack build
 * (`npm run build`, the prebuilt addon) never rewrites the dist/ and build/ other tests are loading — then checks
 * the tarball's contents, runs publint and @arethetypeswrong/cli on it, and installs it into an empty project with
 * no compiler on PATH (only node, npm and sh): every subpath is required (CommonJS) and imported (ESM), a SimNetwork
 * failover runs, the addon loads from the prebuilt binary, and tsc compiles an app against the shipped types — with
 * the app's own @types/node, and with only the @types/node@12 that `netlink` brings. About 70 s, most of it the
 * prepack's TypeScript build.
 *
 * The install is `npm ci --offline` with a lock made from ours (see writeAppLock): no registry, a few seconds.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), `vrrp-package-${process.pid}-`));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What `npm pack` needs from the repository: the sources and the files the package ships. */
const PACK_INPUTS = ['package.json', 'LICENSE', 'README.md', 'CHANGELOG.md', 'schema', 'binding.gyp', 'native', 'scripts', 'src', 'tsconfig.json', 'tsconfig.build.json'];

/** Tools a machine without a compiler still has: no cc, gcc, g++, make or python3 here. */
const BIN = join(scratch, 'bin');
const PATH_WITHOUT_COMPILER = BIN;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Result> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: `${e.stderr ?? ''}\n${e.message}` };
  }
}

const ok = (result: Result): string => `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
/** An environment whose PATH has no compiler, for the app's installs and runs. */
const appEnv = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: PATH_WITHOUT_COMPILER, npm_config_update_notifier: 'false' });

let tarball = '';
let files: string[] = [];
interface Manifest {
  version: string;
  license?: string;
  engines?: Record<string, string>;
  bin?: Record<string, string>;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, unknown>;
  devDependencies?: Record<string, string>;
}
let manifest: Manifest = { version: '', exports: {} };
let app = '';
let installed: Result = { code: -1, stdout: '', stderr: '' };
/** Every subpath of `exports` but package.json, as an app names it: vrrp, vrrp/testing, … */
let subpaths: string[] = [];

/** What an app's lock keeps of an entry of ours. */
const LOCK_FIELDS = ['version', 'resolved', 'integrity', 'license', 'dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'engines', 'bin', 'hasInstallScript', 'cpu', 'os'];

/**
 * The app: depends on the tarball and on our optional peers (prom-client for vrrp/prometheus, at the version our
 * own tests use, so that every subpath can load). Its package-lock.json is what npm would write, made from ours —
 * each dependency hoisted to the top unless another version is there (so netlink's @types/node@12 lands in
 * node_modules/@types, as for an app without its own) — so that `npm ci --offline` installs from the cache
 * `npm ci` filled, with no registry.
 */
function writeAppLock(dir: string, tgz: string): void {
  const ours = (JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> }).packages;
  const packages: Record<string, Record<string, unknown>> = {};
  const place = (name: string, from: string, optional: boolean): void => {
    const source = ours[`${from}/node_modules/${name}`] ? `${from}/node_modules/${name}` : `node_modules/${name}`;
    const entry = ours[source];
    if (!entry) throw new Error(`package-lock.json has no ${name} (needed by ${from || 'the app'})`);
    let target = `node_modules/${name}`;
    if (packages[target] && packages[target]?.version !== entry.version) target = `${from}/node_modules/${name}`;
    if (packages[target]) return;
    const copy = Object.fromEntries(Object.entries(entry).filter(([key]) => LOCK_FIELDS.includes(key)));
    // Our lock leaves out registry URLs; npm needs one per tarball, which it then finds in its cache by integrity.
    copy.resolved ??= `https://registry.npmjs.org/${name}/-/${name.split('/').at(-1)}-${String(entry.version)}.tgz`;
    if (optional) copy.optional = true;
    packages[target] = copy;
    for (const dep of Object.keys((entry.dependencies as object | undefined) ?? {})) place(dep, source, optional);
    for (const dep of Object.keys((entry.optionalDependencies as object | undefined) ?? {})) place(dep, source, true);
  };
  const peers = Object.keys(manifest.peerDependencies ?? {});
  const dependencies = { vrrp: `file:${tgz}`, ...Object.fromEntries(peers.map((name) => [name, manifest.devDependencies?.[name] ?? manifest.peerDependencies?.[name] ?? '*'])) };
  packages[''] = { name: 'app', version: '1.0.0', dependencies };
  const { dependencies: runtime, optionalDependencies, peerDependencies, peerDependenciesMeta, bin, engines, license } = manifest;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(join(dir, tgz))).digest('base64')}`;
  packages['node_modules/vrrp'] = { version: manifest.version, resolved: `file:${tgz}`, integrity, hasInstallScript: true, license, dependencies: runtime, optionalDependencies, peerDependencies, peerDependenciesMeta, bin, engines };
  for (const name of Object.keys(runtime ?? {})) place(name, 'node_modules/vrrp', false);
  for (const name of Object.keys(optionalDependencies ?? {})) place(name, 'node_modules/vrrp', true);
  for (const name of peers) place(name, '', false);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies }));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
}

/** The package's prebuilt binary is for linux-x64: elsewhere `npm pack` cannot make it, so this file says so and skips. */
const here = process.platform === 'linux' && process.arch === 'x64';
if (!here) process.stderr.write(`SKIPPED test/package/tarball.test.ts: packs the linux-x64 prebuilt addon, this is ${process.platform}-${process.arch}\n`);

beforeAll(async () => {
  if (!here) return;
  const stage = join(scratch, 'stage');
  mkdirSync(stage);
  for (const input of PACK_INPUTS) cpSync(join(repo, input), join(stage, input), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(stage, 'node_modules'));
  const packed = await run('npm', ['pack', '--pack-destination', scratch, '--silent'], { cwd: stage, timeoutMs: 300_000 });
  if (packed.code !== 0) throw new Error(`npm pack failed\n${ok(packed)}`);
  manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Manifest;
  tarball = join(scratch, `vrrp-${manifest.version}.tgz`);
  files = (await run('tar', ['-tzf', tarball], { cwd: scratch })).stdout.split('\n').filter(Boolean).map((path) => path.replace(/^package\//, ''));
  subpaths = Object.keys(manifest.exports).filter((key) => key !== './package.json').map((key) => (key === '.' ? 'vrrp' : `vrrp/${key.slice(2)}`));

  mkdirSync(BIN);
  for (const tool of ['node', 'npm', 'sh']) {
    const found = (await run('sh', ['-c', `command -v ${tool}`], { cwd: scratch })).stdout.trim();
    symlinkSync(found, join(BIN, tool));
  }
  app = join(scratch, 'app');
  mkdirSync(app);
  cpSync(tarball, join(app, basename(tarball)));
  writeAppLock(app, basename(tarball));
  installed = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: app, env: appEnv(), timeoutMs: 300_000 });
}, 600_000);

describe.skipIf(!here)('the packed tarball', () => {
  it('ships the built code, types, LICENSE, schema and the prebuilt linux-x64 glibc addon', () => {
    for (const path of ['dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'LICENSE', 'README.md', 'CHANGELOG.md', 'schema/vrrp-config.schema.json', 'prebuilds/linux-x64-glibc/vrrp_packet.node', 'scripts/build-native.mjs', 'binding.gyp', 'native/addon.c']) {
      expect(files, path).toContain(path);
    }
  });

  it('ships no source maps, no TypeScript sources and no tests', () => {
    expect(files.filter((path) => path.endsWith('.map') || path.startsWith('src/') || path.startsWith('test/') || (path.endsWith('.ts') && !path.endsWith('.d.ts')))).toEqual([]);
  });

  it('has every file its exports and bin name', () => {
    const targets = (value: unknown): string[] => (typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(targets) : []);
    for (const target of targets(manifest.exports)) expect(files, target).toContain(target.replace(/^\.\//, ''));
    expect(files).toContain('dist/cli.js');
  });

  it('passes publint in strict mode', async () => {
    const { publint } = await import('publint');
    const { formatMessage } = await import('publint/utils');
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Record<string, unknown>;
    const data = readFileSync(tarball);
    const { messages } = await publint({ pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer }, level: 'suggestion', strict: true });
    expect(messages.map((message) => formatMessage(message, pkg) ?? message.code)).toEqual([]);
  }, 180_000);

  // node16 from CommonJS resolves our ESM entry points: Node ≥ 20.19 (our engines) requires them, so attw's
  // cjs-resolves-to-esm is not a problem here; node10 resolution predates `exports` (TypeScript deprecates it).
  it('passes @arethetypeswrong/cli for node16 and bundlers', async () => {
    const attw = join(repo, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    const result = await run(process.execPath, [attw, tarball, '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table-flipped'], { cwd: scratch });
    expect(result.code, ok(result)).toBe(0);
  }, 180_000);

  // One binary for every Node (Node-API, libuv's stable ABI) and for glibc 2.17 (RHEL 7, Debian 8, Ubuntu 14.04) on.
  it('prebuilt addon needs glibc 2.17 at most and only Node-API, libuv and libc from its host', async () => {
    const dir = join(scratch, 'unpacked');
    mkdirSync(dir);
    await run('tar', ['-xzf', tarball, '-C', dir], { cwd: scratch });
    const symbols = await run('objdump', ['-T', join(dir, 'package', 'prebuilds', 'linux-x64-glibc', 'vrrp_packet.node')], { cwd: scratch });
    expect(symbols.code, `objdump (binutils) is needed for this check\n${ok(symbols)}`).toBe(0);
    const versions = [...new Set(symbols.stdout.match(/GLIBC_[0-9.]+/g) ?? [])].map((tag) => tag.slice(6).split('.').map(Number));
    const newest = versions.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0)).at(-1) ?? [0, 0];
    expect(newest[0] === 2 && (newest[1] ?? 0) <= 17, `needs GLIBC_${newest.join('.')}`).toBe(true);
    const undefinedSymbols = symbols.stdout.split('\n').filter((line) => line.includes('*UND*')).map((line) => line.trim().split(/\s+/).at(-1) ?? '');
    const fromNode = undefinedSymbols.filter((name) => !/GLIBC/.test(symbols.stdout.split('\n').find((line) => line.endsWith(` ${name}`)) ?? '') && !name.startsWith('_'));
    expect(fromNode.filter((name) => !name.startsWith('napi_') && !name.startsWith('uv_'))).toEqual([]);
  });
});

describe.skipIf(!here)('installed in an empty project with no compiler on PATH', () => {
  it('installs, using the prebuilt addon instead of building', () => {
    expect(installed.code, ok(installed)).toBe(0);
    expect(installed.stdout).toContain('vrrp: using the prebuilt native addon for linux-x64-glibc');
    expect(existsSync(join(app, 'node_modules', 'vrrp', 'build'))).toBe(false);
  });

  // A machine no prebuilt binary fits (here: the package without its prebuilds/) and no compiler: the install
  // script fails, naming what is missing, since npm shows a script's output only when it fails.
  it('fails the install script loudly when no prebuilt fits and the source build fails', async () => {
    const copy = join(scratch, 'no-prebuilt');
    cpSync(join(app, 'node_modules', 'vrrp'), copy, { recursive: true });
    rmSync(join(copy, 'prebuilds'), { recursive: true });
    const failed = await run(process.execPath, [join(copy, 'scripts', 'build-native.mjs')], { cwd: copy, env: appEnv() });
    expect(failed.code, ok(failed)).toBe(1);
    expect(failed.stderr).toContain('vrrp: ERROR: no native addon for linux-x64-glibc: node-gyp rebuild failed');
    expect(failed.stderr).toContain('install python3, make and a C compiler');
    const optional = await run(process.execPath, [join(copy, 'scripts', 'build-native.mjs')], { cwd: copy, env: { ...appEnv(), VRRP_NATIVE_OPTIONAL: '1' } });
    expect(optional.code, ok(optional)).toBe(0);
    expect(optional.stderr).toContain('vrrp: warning: native addon not built');
  });

  it('requires every subpath from CommonJS', async () => {
    const script = `for (const name of ${JSON.stringify(subpaths)}) { const m = require(name); if (Object.keys(m).length === 0) throw new Error(name + ' exports nothing'); console.log(name); }`;
    const result = await run(process.execPath, ['-e', script], { cwd: app, env: appEnv() });
    expect(result.code, ok(result)).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(subpaths);
    expect(result.stderr.trim()).toBe('');
  });

  it('imports every subpath from ESM', async () => {
    const script = `for (const name of ${JSON.stringify(subpaths)}) { const m = await import(name); if (Object.keys(m).length === 0) throw new Error(name + ' exports nothing'); console.log(name); }`;
    const result = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env: appEnv() });
    expect(result.code, ok(result)).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(subpaths);
  });

  it('runs a SimNetwork failover', async () => {
    const script = `
      import { SimNetwork } from 'vrrp/testing';
      const net = new SimNetwork({ seed: 11, latencyMs: 1 });
      const a = net.addNode({ interface: 'eth0', vrid: 1, priority: 200, virtualAddresses: ['10.0.0.100'] }, { address: '10.0.0.1', name: 'a' });
      const b = net.addNode({ interface: 'eth0', vrid: 1, priority: 100, virtualAddresses: ['10.0.0.100'] }, { address: '10.0.0.2', name: 'b' });
      await net.advance(5_000);
      const first = net.masters().map((node) => node === a ? 'a' : 'b');
      await net.kill(a);
      await net.advance(5_000);
      const then = net.masters().map((node) => node === a ? 'a' : 'b');
      await net.stopAll();
      console.log(JSON.stringify({ first, then }));`;
    const result = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env: appEnv() });
    expect(result.code, ok(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ first: ['a'], then: ['b'] });
  });

  it('loads the addon from the prebuilt binary (vrrp doctor)', async () => {
    const result = await run(join(app, 'node_modules', '.bin', 'vrrp'), ['doctor'], { cwd: app, env: appEnv() });
    expect(result.stdout, ok(result)).toContain('✔ addon: native addon loaded (prebuilt for linux-x64-glibc)');
  });

  it('prints its version', async () => {
    const result = await run(join(app, 'node_modules', '.bin', 'vrrp'), ['--version'], { cwd: app, env: appEnv() });
    expect(result).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
  });
});

describe.skipIf(!here)('an app type-checked against the shipped types', () => {
  /** The README's SimNetwork snippet, as a user pastes it. */
  function readmeSnippet(): string {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '').find((code) => code.includes("from 'vrrp/testing'") && code.includes('new SimNetwork'));
    if (block === undefined) throw new Error("README.md has no ```ts block importing SimNetwork from 'vrrp/testing'");
    return block;
  }

  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

  function writeApp(dir: string, compilerOptions: Record<string, unknown>): void {
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true, ...compilerOptions }, include: ['src'] }));
    writeFileSync(join(dir, 'src', 'readme.mts'), `${readmeSnippet()}\nexport {};\n`);
    writeFileSync(
      join(dir, 'src', 'app.mts'),
      `import { VrrpInstance, type VrrpConfig } from 'vrrp';
import { doctor } from 'vrrp/linux';
const config: VrrpConfig = { interface: 'eth0', vrid: 1, virtualAddresses: ['10.0.0.100'], trackers: [{ type: 'function', name: 'db', check: (signal) => !signal.aborted }] };
const instance = new VrrpInstance(config);
instance.on('stateChange', (event) => console.log(event.from, event.to));
await instance[Symbol.asyncDispose]();
void doctor;
`,
    );
    writeFileSync(join(dir, 'src', 'legacy.cts'), `import vrrp = require('vrrp');\nimport testing = require('vrrp/testing');\nexport const kinds = [typeof vrrp.VrrpInstance, typeof testing.SimNetwork];\n`);
  }

  // The app has its own @types/node (20.19, as ours) and checks every .d.ts (skipLibCheck off).
  it('compiles with the app’s own @types/node, libraries checked too', async () => {
    const dir = join(app, 'own-types');
    writeApp(dir, { skipLibCheck: false, types: ['node'], typeRoots: [join(repo, 'node_modules', '@types')] });
    const result = await run(process.execPath, [tsc, '-p', dir], { cwd: app });
    expect(result.code, ok(result)).toBe(0);
  }, 180_000);

  // The app has no @types/node: the 12.x that netlink depends on is hoisted to node_modules/@types, and ES2022's lib
  // has no Symbol.asyncDispose. skipLibCheck on, as `tsc --init` writes: @types/node@12 fails its own checks.
  it('compiles with only the @types/node@12 netlink brings', async () => {
    const hoisted = JSON.parse(readFileSync(join(app, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string };
    expect(hoisted.version).toMatch(/^12\./);
    const dir = join(app, 'hoisted-types');
    writeApp(dir, { skipLibCheck: true });
    const result = await run(process.execPath, [tsc, '-p', dir], { cwd: app });
    expect(result.code, ok(result)).toBe(0);
  }, 180_000);
});

