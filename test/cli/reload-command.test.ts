/**
 * `vrrp reload` where no run answers, and its flags (no root needed). The reload itself — SIGHUP to a run, exit 0
 * when the file was applied, 1 when refused — is shown in the lab, test/cli/reload.test.ts.
 */
import { describe, expect, it } from 'vitest';
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
});
