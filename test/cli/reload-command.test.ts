/**
 * `vrrp reload` where no run answers, its flags, and its request through the socket to a stand-in run (no root
 * needed). The reload itself — exit 0 when the file was applied, 1 when refused — is shown in the lab,
 * test/cli/reload.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startControlServer, type RunReloadStatus, type RunStatus } from '../../src/control.js';
import { runCli } from '../support/run-cli.js';

describe('vrrp reload', () => {
  // Given a socket path where no run listens; then exit 1, naming the path: nothing was signalled.
  it('fails, naming the socket, when no run answers there', async () => {
    const result = await runCli(['reload', '--socket', '/nonexistent/vrrp.sock']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^vrrp reload: .*\/nonexistent\/vrrp\.sock/);
  });

  // Given a timeout that is not a positive number of seconds; then a usage error (exit 2) naming the flag.
  it('refuses a timeout that is not a positive number of seconds', async () => {
    const result = await runCli(['reload', '--socket', '/nonexistent/vrrp.sock', '--timeout', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--timeout must be a number of seconds above 0, not '0'");
  });

  // Given a run whose status names a pid that is another process's here (a run in a container whose socket
  // directory is the host's: its pid is of its own namespace), and which reloads when asked through its socket
  // then `vrrp reload` asks it there and reports that reload: exit 0, applied — nothing signalled by that pid.
  it('reloads the run through its socket, whatever pid the run reports', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'vrrp-reload-'));
    const reloads: string[] = [];
    const status: RunStatus = { pid: 2 ** 22 + 7, config: '/etc/vrrp/vrrp.json', routerId: null, startedAt: '2026-01-01T00:00:00.000Z', at: '2026-01-01T00:00:01.000Z', instances: [], groups: [], lastReload: null };
    const server = await startControlServer({
      path: join(scratch, 'run.sock'),
      isDefault: false,
      status: () => status,
      reload: (): Promise<RunReloadStatus> => {
        reloads.push('asked');
        return Promise.resolve({ at: '2026-01-01T00:00:02.000Z', outcome: 'applied', message: null });
      },
    });
    try {
      const result = await runCli(['reload', '--socket', join(scratch, 'run.sock'), '--timeout', '10']);
      expect({ code: result.code, stdout: result.stdout.trim(), stderr: result.stderr }).toEqual({ code: 0, stdout: `vrrp reload: /etc/vrrp/vrrp.json applied (pid ${status.pid})`, stderr: '' });
      expect(reloads).toEqual(['asked']);
    } finally {
      await server.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
