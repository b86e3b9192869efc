#!/usr/bin/env node
/**
 * Builds the optional native addon `build/Release/vrrp_packet.node` (native/ (addon.c lists its parts)) with node-gyp.
 *
 * Run as the package's `install` script, so it must never break an install: the core library works anywhere and
 * only gratuitous ARP / unsolicited NA need the addon. So on anything but Linux, or when the build fails, it prints
 * ONE warning line (full compiler output goes to build/native-build.log) and exits 0.
 * `--strict` (used by CI and by `npm run build:native`) exits 1 instead, so a broken addon cannot go unnoticed.
 *
 * Usage: node scripts/build-native.mjs [--strict]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');
const addonPath = join(root, 'build', 'Release', 'vrrp_packet.node');
const logPath = join(root, 'build', 'native-build.log');

/** Prints the one warning line and exits: 0 normally (installs must succeed), 1 under --strict. */
function giveUp(reason, withLog = false) {
  const log = withLog ? `; full log: ${logPath}` : '';
  process.stderr.write(
    `vrrp: warning: native addon not built (${reason}); the Linux adapters (VRRP sockets, engine timer, gratuitous ARP) are unavailable — the core and vrrp/testing work${log}\n`,
  );
  process.exit(strict ? 1 : 0);
}

if (process.platform !== 'linux') giveUp(`raw sockets and AF_PACKET are linux-only, this is ${process.platform}`);

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

const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
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

// A binary that compiles but cannot load (wrong libc, missing symbol) is as useless as none: say so now.
try {
  createRequire(import.meta.url)(addonPath);
} catch (error) {
  giveUp(`built but does not load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, true);
}
process.stdout.write(`vrrp: native packet socket addon built (${addonPath})\n`);
