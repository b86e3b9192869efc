#!/usr/bin/env node
/**
 * The native addon `vrrp_packet.node` (native/; addon.c lists its parts): a prebuilt binary in the package, a
 * source build with node-gyp as the fallback. src/linux/addon.ts loads `build/Release/` (a source build) first, then
 * `prebuilds/<platform>-<arch>-<libc>/`.
 *
 *   node scripts/build-native.mjs              the package's `install` script: nothing to do when the prebuilt
 *                                              binary loads here; otherwise build from source
 *   node scripts/build-native.mjs --strict     build from source, exit 1 on failure (CI, `npm run build:native`)
 *   node scripts/build-native.mjs --prebuild   `prepack`: build from source in a scratch directory (build/ is left
 *                                              alone: tests may be loading it) into prebuilds/<tag>/
 *
 * A failed install on Linux is loud: npm shows a script's output only when it fails, and an install that silently
 * lacks the addon leaves an app that cannot run VRRP (issue 11). So on Linux, when neither the prebuilt binary nor
 * a source build loads, it exits 1 with what to do, unless VRRP_NATIVE_OPTIONAL=1 says the app does without (the
 * core and vrrp/testing work without the addon). Elsewhere it prints one warning and exits 0: the Linux adapters do
 * not apply there. Full compiler output goes to build/native-build.log.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');
const prebuild = process.argv.includes('--prebuild');
const ADDON = 'vrrp_packet.node';
const logPath = join(root, 'build', 'native-build.log');

/** `linux-x64-glibc`, `linux-arm64-musl`…: which prebuilt binary fits this machine (src/linux/addon.ts agrees). */
function platformTag() {
  const header = /** @type {{ header?: { glibcVersionRuntime?: string } }} */ (process.report?.getReport() ?? {}).header;
  return `${process.platform}-${process.arch}-${header?.glibcVersionRuntime ? 'glibc' : 'musl'}`;
}

/** Says why there is no addon and exits: loud (exit 1) where it matters, one warning line elsewhere. */
function giveUp(reason, withLog = false) {
  const log = withLog ? `\n  full log: ${logPath}` : '';
  const linux = process.platform === 'linux';
  const optional = process.env.VRRP_NATIVE_OPTIONAL === '1';
  if (linux && !optional && !strict && !prebuild) {
    process.stderr.write(
      `\nvrrp: ERROR: no native addon for ${platformTag()}: ${reason}${log}\n` +
        '  No prebuilt binary fits this machine and the source build failed, so VrrpInstance cannot run VRRP here.\n' +
        '  Fix: install python3, make and a C compiler (Debian: apt-get install python3 make gcc; Alpine:\n' +
        '  apk add python3 make gcc musl-dev linux-headers), then `npm rebuild vrrp --foreground-scripts`.\n' +
        '  If this app only uses the core or vrrp/testing here, set VRRP_NATIVE_OPTIONAL=1 to install without it.\n\n',
    );
    process.exit(1);
  }
  process.stderr.write(
    `vrrp: warning: native addon not built (${reason}); the Linux adapters (VRRP sockets, engine timer, gratuitous ARP) are unavailable — the core and vrrp/testing work${log}\n`,
  );
  process.exit(strict || prebuild ? 1 : 0);
}

/** Loads a built addon; the first line of the error when it does not load (wrong libc, missing symbol). */
function loadProblem(path) {
  try {
    createRequire(import.meta.url)(path);
    return undefined;
  } catch (error) {
    return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
  }
}

/** Runs `node-gyp rebuild` in `cwd` (which holds binding.gyp and native/); the log goes to build/native-build.log. */
function gypRebuild(cwd) {
  // node-gyp, in order: the one npm hands to lifecycle scripts, the one bundled with the npm that runs us, the one
  // bundled with the npm installed next to this node, then whatever is on PATH. No download: installs may be offline.
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter((path) => typeof path === 'string' && path !== '' && existsSync(path));
  const [command, prefixArgs] = candidates[0] !== undefined ? [process.execPath, [candidates[0]]] : ['node-gyp', []];

  // Headers: an explicit npm `nodedir` wins. Otherwise use the headers installed with this very node (distro packages
  // and official tarballs ship <prefix>/include/node), which match it exactly and need no network; only without them
  // does node-gyp fall back to downloading headers from nodejs.org.
  const args = [...prefixArgs, 'rebuild'];
  const prefix = resolve(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
    args.push(`--nodedir=${prefix}`);
  }

  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  // `rebuild` starts by deleting build/, so the log is written afterwards.
  mkdirSync(dirname(logPath), { recursive: true });
  writeFileSync(logPath, `$ ${command} ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}`);

  if (result.error !== undefined) {
    const code = /** @type {NodeJS.ErrnoException} */ (result.error).code;
    giveUp(code === 'ENOENT' ? 'node-gyp not found' : `node-gyp could not run: ${result.error.message}`, true);
  }
  if (result.status !== 0) {
    const lines = `${result.stdout}\n${result.stderr}`.split('\n');
    // The compiler's own first error says most; node-gyp's "stack Error:" line is next best (e.g. no python, no make).
    const first = lines.find((line) => /\b(fatal )?error:/i.test(line) && !line.startsWith('gyp ERR! stack')) ?? lines.find((line) => line.startsWith('gyp ERR! stack Error:'));
    const detail = first === undefined ? '' : `: ${first.replace(/^gyp ERR! stack Error:\s*/, '').trim().slice(0, 160)}`;
    giveUp(`node-gyp rebuild failed with ${result.status === null ? `signal ${result.signal}` : `exit code ${result.status}`}${detail}`, true);
  }
  return join(cwd, 'build', 'Release', ADDON);
}

if (process.platform !== 'linux') giveUp(`raw sockets and AF_PACKET are linux-only, this is ${process.platform}`);
const tag = platformTag();
const prebuilt = join(root, 'prebuilds', tag, ADDON);

if (prebuild) {
  const scratch = mkdtempSync(join(tmpdir(), 'vrrp-prebuild-'));
  try {
    cpSync(join(root, 'binding.gyp'), join(scratch, 'binding.gyp'));
    cpSync(join(root, 'native'), join(scratch, 'native'), { recursive: true });
    const built = gypRebuild(scratch);
    const problem = loadProblem(built);
    if (problem !== undefined) giveUp(`built but does not load: ${problem}`, true);
    mkdirSync(dirname(prebuilt), { recursive: true });
    copyFileSync(built, prebuilt);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(`vrrp: prebuilt native addon for ${tag}: ${prebuilt}\n`);
  process.exit(0);
}

if (!strict && existsSync(prebuilt)) {
  const problem = loadProblem(prebuilt);
  if (problem === undefined) {
    process.stdout.write(`vrrp: using the prebuilt native addon for ${tag}\n`);
    process.exit(0);
  }
  process.stderr.write(`vrrp: the prebuilt native addon for ${tag} does not load here (${problem}); building from source\n`);
}

const built = gypRebuild(root);
// A binary that compiles but cannot load (wrong libc, missing symbol) is as useless as none: say so now.
const problem = loadProblem(built);
if (problem !== undefined) giveUp(`built but does not load: ${problem}`, true);
process.stdout.write(`vrrp: native packet socket addon built (${built})\n`);
