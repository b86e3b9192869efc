/**
 * A sync group's notify scripts, as keepalived runs them for a `vrrp_sync_group`: `$1` GROUP, `$2` the group's name,
 * `$3` its state, `$4` 0; the state's own script first. Runs real scripts beside the simulated network.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VrrpGroup } from '../../src/group.js';
import { attachNotify } from '../../src/notify.js';
import { SimNetwork } from '../../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrp-group-notify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sync group notify', () => {
  // Given group A of two members with notify scripts and a peer group B; when A's check fails and recovers
  // then A's scripts see BACKUP, MASTER, FAULT, BACKUP, MASTER and STOP with `GROUP A … 0`, the state's own script
  // before `any`.
  it('runs the group scripts with GROUP, the name, the state and priority 0', async () => {
    const log = join(dir, 'group.log');
    writeFileSync(log, '');
    const record = ['/bin/sh', '-c', `echo "$*" >> '${log}'`, 'record'];
    const net = new SimNetwork({ seed: 5 });
    const health = { ok: true };
    const member = (name: string, vrid: number, address: string, priority: number, checked: boolean) =>
      net.addNode(
        {
          name,
          interface: 'eth0',
          vrid,
          priority,
          virtualAddresses: [`10.0.${vrid}.100`],
          ...(checked ? { trackers: [{ type: 'function' as const, name: 'chk', intervalMs: 500, check: () => health.ok }] } : {}),
        },
        { address, start: false },
      );
    const a = new VrrpGroup('A', [member('A1', 1, '192.0.2.1', 200, true), member('A2', 2, '192.0.2.11', 200, false)]);
    const b = new VrrpGroup('B', [member('B1', 1, '192.0.2.2', 100, false), member('B2', 2, '192.0.2.12', 100, false)]);
    const runner = attachNotify(a, { master: [...record, 'master-script'], fault: [...record, 'fault-script'], any: [...record, 'any'] });
    const started = Promise.all([a.start(), b.start()]);
    await net.advance(10);
    await started;
    await runner.idle();
    await net.advance(5000);
    await runner.idle();
    health.ok = false;
    await net.advance(1000);
    await runner.idle();
    health.ok = true;
    await net.advance(600);
    await runner.idle();
    await net.advance(5000);
    await runner.idle();
    await net.stopAll();
    await runner.idle();
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      'any GROUP A BACKUP 0',
      'master-script',
      'any GROUP A MASTER 0',
      'fault-script',
      'any GROUP A FAULT 0',
      'any GROUP A BACKUP 0',
      'master-script',
      'any GROUP A MASTER 0',
      'any GROUP A STOP 0',
    ]);
  });
});
