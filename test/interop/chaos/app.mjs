// @ts-nocheck — runs against a built dist/ inside a lab namespace; its imports are resolved at run time.
/**
 * The chaos run's embedded node (test/interop/chaos/harness.ts): an app that embeds our library as users do
 * (`new VrrpInstance(config)`, no adapters: the engine runs on its thread), modelled on
 * test/interop/fixtures/embedded-instance.mjs but driven over stdin, because a chaos schedule stalls the app at
 * random times and not once (the fixture's `--block` blocks once, a second after the first backup).
 *
 *   node app.mjs <distDir> <config.json>
 *
 * config.json: { instances: [VrrpConfig, …], trackerFile?: string, trackers?: [{ name, weight, intervalMs }] per
 * instance } — each instance gets a `function` tracker reading `trackerFile` (up while it holds exactly `0`), the
 * library-app equivalent of the file tracker `vrrp run` gets and of keepalived's `track_file`.
 *
 * stdin, one command a line: `block <ms>` busy-waits the main thread for <ms> (from the check phase, as an app busy
 * in an I/O callback would), printing `blocking` and `unblocked`.
 * stdout: one JSON line per event, each with `t` (wall-clock ms): started, stateChange, error, trackerChange, hook,
 * hookError, protocolError, blocking, unblocked, stopped. SIGTERM stops every instance (a master sends priority 0,
 * its VIPs are removed) and exits 0.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [distDir, configPath] = process.argv.slice(2);
const { VrrpInstance } = await import(`${distDir}/index.js`);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const print = (event, fields = {}) => process.stdout.write(`${JSON.stringify({ event, t: performance.timeOrigin + performance.now(), ...fields })}\n`);

const healthy = () => {
  try {
    return readFileSync(config.trackerFile, 'utf8').trim() === '0';
  } catch {
    return false;
  }
};
const instances = config.instances.map((c, i) => {
  const tracker = config.trackers?.[i];
  const trackers = tracker === undefined ? [] : [{ type: 'function', ...tracker, check: healthy }];
  return new VrrpInstance({ ...c, trackers: [...(c.trackers ?? []), ...trackers] });
});
for (const each of instances) {
  const { name, vrid } = each.config;
  each.on('stateChange', (e) => print('stateChange', { name, vrid, from: e.from, to: e.to, reason: e.reason }));
  each.on('error', (e) => print('error', { name, vrid, code: e.code, message: e.message, cause: e.cause instanceof Error ? e.cause.message : undefined }));
  each.on('trackerChange', (e) => print('trackerChange', { name, vrid, tracker: e.name, from: e.from, to: e.to, reason: e.reason }));
  each.on('protocolError', (e) => print('protocolError', { name, vrid, code: e.code, message: e.message, src: e.src }));
  each.on('hookError', (e) => print('hookError', { name, vrid, state: e.state, code: e.error.code, message: e.error.message }));
  each.onMaster(() => print('hook', { name, vrid, state: 'master' }));
}

let stopping = false;
process.on('SIGTERM', async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all(instances.map((each) => each.stop()));
  print('stopped', {});
  process.exit(0);
});

const busy = (ms) => {
  print('blocking', { ms });
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the app hogs its main thread
  }
  print('unblocked', {});
};
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, value] = line.trim().split(/\s+/);
  if (command === 'block') setImmediate(() => busy(Number(value)));
});

await Promise.all(instances.map((each) => each.start()));
print('started', { states: instances.map((each) => each.state) });
