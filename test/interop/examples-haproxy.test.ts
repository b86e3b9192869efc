/**
 * examples/haproxy-sidecar for real: the keepalived tutorial (examples/haproxy-sidecar/README.md) on two lab hosts,
 * each with Debian's HAProxy in front of a tiny backend (python3 -m http.server answering its host's name) and a
 * VRRP node whose health check is the tutorial's `killall -0 haproxy` every 2 s with weight 2, at priorities 101
 * and 100, VRRPv2 at 1 s as keepalived defaults. A client host GETs the VIP every 20 ms; HAProxy on the master is
 * killed; the master's priority falls from 103 to 101, under the backup's 102, and the backup takes over.
 *
 * The same scenario runs three times, each in a fresh lab: our node as a library app (examples/haproxy-sidecar/
 * app.js), our node as `vrrp run keepalived.conf` (the tutorial's file), and keepalived 2.2.7 with the same file.
 * Each run asserts that the service recovers (lb2 answers), that the answers move from lb1 to lb2 once and never
 * back (no request answered by a node that is not master, no split brain), and that lb2 alone holds the VIP at the
 * end. Timings are printed side by side, not asserted: the detection delay depends on where the kill falls in the
 * check's 2 s cycle.
 *
 * Every host is a PID namespace too (example-hosts.ts), so each `killall -0 haproxy` sees its own host only.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { clientRecords, findTool, longestGap, type LineProcess, PidHost, requireTools, watch } from './example-hosts.js';
import { destroyAllLabs, Lab, labAvailable, requireLab, tools } from './lab.js';

requireLab();

const repo = fileURLToPath(new URL('../..', import.meta.url));
const example = join(repo, 'examples/haproxy-sidecar');
const cli = join(repo, 'dist/cli.js');
const haproxy = findTool('haproxy');
const python3 = findTool('python3');
const killall = findTool('killall');
const extra = requireTools('examples/haproxy-sidecar', [
  ...(haproxy ? [] : ['haproxy']),
  ...(python3 ? [] : ['python3']),
  ...(killall ? [] : ['psmisc (killall)']),
]);
const runnable = labAvailable.ok && extra.ok;

type Kind = 'library' | 'cli' | 'keepalived';
const LABEL: Record<Kind, string> = {
  library: 'vrrp, library app (app.js)',
  cli: 'vrrp run keepalived.conf',
  keepalived: 'keepalived 2.2.7, same file',
};
const PRIORITY = { lb1: 101, lb2: 100 } as const;
type Lb = keyof typeof PRIORITY;

interface Outcome {
  /** kill → the master's check reported down. */
  detectMs: number;
  /** kill → lb2 master. */
  takeoverMs: number;
  gapMs: number;
  failed: number;
  answered: number;
  errors: Record<string, number>;
}
const outcomes = new Map<Kind, Outcome>();

/** The tutorial's keepalived.conf with the lab's VIP, and lb2's priority on lb2. */
function tutorialConf(vip: string, lb: Lb): string {
  const text = readFileSync(join(example, 'keepalived.conf'), 'utf8');
  return text.replace(/192\.168\.1\.100/g, vip).replace(/priority 101\b/, `priority ${PRIORITY[lb]}`);
}

/** Our node's last known effective priority, from `started`, `stateChange` and `priorityChange` lines. */
function ourPriority(node: LineProcess): number | undefined {
  let priority: number | undefined;
  for (const { json } of node.lines) {
    if (json?.event === 'priorityChange') priority = Number(json.to);
    else if ((json?.event === 'started' || json?.event === 'stateChange') && typeof json.priority === 'number') priority = json.priority;
  }
  return priority;
}

/** Starts one load balancer: sysctl, backend, HAProxy, and once HAProxy listens, the VRRP node of `kind`. */
async function startLoadBalancer(lab: Lab, lb: Lb, kind: Kind, vip: string): Promise<{ host: PidHost; node: LineProcess }> {
  const host = await PidHost.create(lab, lb);
  await host.exec(['sysctl', '-qw', 'net.ipv4.ip_nonlocal_bind=1'], { check: true });
  const www = join(lab.tmpDir, `www-${lb}`);
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), `${lb}\n`);
  const backend = host.start('backend', [python3!, '-m', 'http.server', '8080', '--bind', '127.0.0.1', '--directory', www]);
  const proxy = host.start('haproxy', [haproxy!, '-db', '-f', join(example, 'haproxy.cfg')], { env: { ...process.env, VIP: vip } });
  // Both listening before the node starts, as in the tutorial (HAProxy first, then keepalived).
  for (let i = 0; ; i += 1) {
    const listening = (await host.exec(['ss', '-Hltn'], { check: true })).stdout;
    if (listening.includes(`${vip}:80`) && listening.includes('127.0.0.1:8080')) break;
    if (i > 300 || backend.exited || proxy.exited) throw new Error(`HAProxy or the backend did not come up in ${lb}:\n${backend.tail()}\n${proxy.tail()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  let node: LineProcess;
  if (kind === 'library') {
    node = host.start('app.js', [process.execPath, join(example, 'app.js')], {
      env: { ...process.env, VRRP_VIP: vip, VRRP_PRIORITY: String(PRIORITY[lb]), VRRP_NAME: lb },
    });
  } else {
    const conf = join(lab.tmpDir, `keepalived-${lb}.conf`);
    writeFileSync(conf, tutorialConf(vip, lb));
    if (kind === 'cli') {
      // Its control socket in the lab's temp dir, which destroy() removes: the default (/run/vrrp/control) outlived
      // the hosts, which end by SIGKILL.
      node = host.start('vrrp run', [process.execPath, cli, 'run', '--socket', join(lab.tmpDir, `control-${lb}.sock`), conf]);
    } else {
      const base = join(lab.tmpDir, `keepalived-${lb}`);
      node = host.start('keepalived', [
        tools.keepalived!, '--dont-fork', '--log-console', '--log-detail', '--no-syslog', '--use-file', conf,
        '--pid', `${base}.pid`, '--vrrp_pid', `${base}.vrrp.pid`, '--checkers_pid', `${base}.checkers.pid`,
        '--bfd_pid', `${base}.bfd.pid`, '--dont-respawn',
      ]);
    }
  }
  return { host, node };
}

/** Resolves once `lb`'s node reports its check up (our nodes: at priority + 2). */
async function checkUp(kind: Kind, lb: Lb, node: LineProcess): Promise<void> {
  if (kind === 'keepalived') {
    await node.waitFor((l) => /VRRP_Script\(chk_haproxy\) succeeded/.test(l.text), 10_000);
  } else {
    await node.waitFor(() => (ourPriority(node) ?? 0) === PRIORITY[lb] + 2, 10_000);
  }
}

async function runScenario(kind: Kind): Promise<Outcome> {
  const lab = await Lab.create({ hosts: ['lb1', 'lb2'], client: true });
  try {
    const vip = lab.ipv4(100);
    const [lb1, lb2] = await Promise.all([startLoadBalancer(lab, 'lb1', kind, vip), startLoadBalancer(lab, 'lb2', kind, vip)]);
    await Promise.all([checkUp(kind, 'lb1', lb1.node), checkUp(kind, 'lb2', lb2.node)]);
    // Settled: lb1 holds the VIP and lb2 does not (both say `state MASTER`: lb2 may lead for a moment at start).
    await lab.waitForAddress('lb1', vip, { timeoutMs: 10_000 });
    await lab.waitForAddress('lb2', vip, { present: false, timeoutMs: 10_000 });

    const client = lab.spawn('client', [process.execPath, join(example, 'client.js'), `http://${vip}/`, '20', '1000']);
    const requests = watch('client', client, false);
    // lb1 answers, and has for a while.
    await requests.waitFor(() => clientRecords(requests.lines).filter((r) => r.by === 'lb1').length >= 25, 10_000);

    const [haproxyPid] = lb1.host.pidsOf('haproxy');
    expect(haproxyPid, 'HAProxy runs in lb1').toBeDefined();
    const nodeMark = lb1.node.lines.length;
    const lb2Mark = lb2.node.lines.length;
    const killedAt = Date.now();
    process.kill(haproxyPid!, 'SIGKILL');

    const detected =
      kind === 'keepalived'
        ? await lb1.node.waitFor((l) => /VRRP_Script\(chk_haproxy\) failed/.test(l.text), 10_000, nodeMark)
        : await lb1.node.waitForJson((e) => e.event === 'priorityChange' && e.to === PRIORITY.lb1, 10_000, nodeMark);
    if (kind !== 'keepalived') {
      // Our node says why: the command's exit code and what it printed.
      const down = await lb1.node.waitForJson((e) => e.event === 'trackerChange' && e.to === 'down', 5_000, nodeMark);
      expect(down.json?.reason).toMatch(/^exit code 1: haproxy: no process found/);
    }
    const master =
      kind === 'keepalived'
        ? await lb2.node.waitFor((l) => /Entering MASTER STATE/.test(l.text), 15_000, lb2Mark)
        : await lb2.node.waitForJson((e) => e.event === 'stateChange' && e.to === 'master', 15_000, lb2Mark);
    const firstByLb2 = await requests.waitFor((l) => l.json?.ok === true && l.json.by === 'lb2', 10_000);
    // A second of answers after the recovery, so a flip back would show.
    await requests.waitFor((l) => l.atMs > firstByLb2.atMs + 1_000, 5_000);
    await requests.stop();
    const summary = requests.lines.find((l) => l.json?.summary !== undefined)?.json?.summary as { longestGapMs: number } | undefined;

    const records = clientRecords(requests.lines);
    const gap = longestGap(records);
    // The service recovered: lb2 answers, and the client's own summary agrees with ours on the gap.
    expect(records.some((r) => r.ok && r.by === 'lb2')).toBe(true);
    expect(summary?.longestGapMs).toBe(Math.round(gap.gapMs));
    // Answers come from lb1 until the failover, then from lb2 only: never from both in turn.
    const answeredBy = records.filter((r) => r.ok).map((r) => r.by);
    expect(new Set(answeredBy)).toEqual(new Set(['lb1', 'lb2']));
    const switchAt = answeredBy.indexOf('lb2');
    expect(answeredBy.slice(0, switchAt).every((by) => by === 'lb1'), 'lb1 answered before the failover').toBe(true);
    expect(answeredBy.slice(switchAt).every((by) => by === 'lb2'), 'only lb2 answered after the failover').toBe(true);
    // The VIP is on lb2 alone.
    await lab.waitForAddress('lb1', vip, { present: false, timeoutMs: 5_000 });
    expect(await lab.addresses('lb2')).toContain(vip);

    const outcome: Outcome = {
      detectMs: detected.atMs - killedAt,
      takeoverMs: master.atMs - killedAt,
      gapMs: gap.gapMs,
      failed: gap.failed,
      answered: records.length - gap.failed,
      errors: gap.errors,
    };
    console.log(
      `[haproxy-sidecar] ${LABEL[kind]}: check down ${outcome.detectMs} ms after the kill, lb2 master after ${outcome.takeoverMs} ms, ` +
        `client's longest gap ${gap.gapMs.toFixed(0)} ms, ${gap.failed} of ${records.length} requests failed ${JSON.stringify(gap.errors)}`,
    );
    return outcome;
  } finally {
    await lab.destroy();
  }
}

describe.skipIf(!runnable)('examples/haproxy-sidecar: the tutorial for real, HAProxy killed on the master', () => {
  afterAll(async () => {
    await destroyAllLabs();
    if (outcomes.size === 0) return;
    const rows = (['library', 'cli', 'keepalived'] as const).map((kind) => {
      const o = outcomes.get(kind);
      if (o === undefined) return `| ${LABEL[kind]} | — | — | — | — |`;
      return `| ${LABEL[kind]} | ${(o.detectMs / 1000).toFixed(2)} s | ${(o.takeoverMs / 1000).toFixed(2)} s | ${(o.gapMs / 1000).toFixed(2)} s | ${o.failed} |`;
    });
    console.log(
      [
        '[haproxy-sidecar] HAProxy on the master SIGKILLed; client GET on the VIP every 20 ms (new connection each):',
        '| node | check down after the kill | lb2 master after the kill | client\'s longest gap | failed requests |',
        '|---|---|---|---|---|',
        ...rows,
      ].join('\n'),
    );
  });

  // Given lb1 (101 + 2) master and lb2 (100 + 2) backup, each with HAProxy and our library app
  // when HAProxy on lb1 is killed
  // then lb1's check fails (101 < 102), lb2 takes over, and the client's requests are answered again, by lb2 only.
  it('our node as a library app (app.js, exec tracker): lb2 takes over and answers', async () => {
    outcomes.set('library', await runScenario('library'));
  });

  // The same with `vrrp run keepalived.conf`, the tutorial's file as it is.
  it('our node as `vrrp run keepalived.conf`: lb2 takes over and answers', async () => {
    outcomes.set('cli', await runScenario('cli'));
  });

  // The baseline: two keepalived 2.2.7 with the same file, in the same kind of lab.
  it('keepalived 2.2.7 with the same keepalived.conf: the baseline', async () => {
    outcomes.set('keepalived', await runScenario('keepalived'));
  });
});
