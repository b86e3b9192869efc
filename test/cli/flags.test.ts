/**
 * The command line itself: `--version`, help for every command, and every flag mistake an error (exit 2) that names
 * the flag — never ignored, so that `vrrp doctor --interfce eth0` cannot print "ready" after checking nothing.
 * Runs the built CLI (npm test builds dist/ first); nothing here touches the network.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const COMMANDS = ['run', 'import-keepalived', 'doctor'];


describe('vrrp --version and help', () => {
  it('prints the package version for --version and -v', async () => {
    const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const result = await runCli([flag]);
      expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('lists every command on stdout for --help, exit 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  // `vrrp run --help` used to try to open a file called --help.
  it.each(COMMANDS)('prints the help of %s for `<command> --help`, `-h` and `help <command>` alike', async (command) => {
    const long = await runCli([command, '--help']);
    expect(long.code).toBe(0);
    expect(long.stdout).toMatch(new RegExp(`^usage: vrrp ${command}`));
    expect(long.stdout).toContain('-h, --help');
    expect(long.stderr).toBe('');
    expect((await runCli([command, '-h'])).stdout).toBe(long.stdout);
    expect((await runCli(['help', command])).stdout).toBe(long.stdout);
  });

  it('exits 2 with the usage on stderr when no command is given', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: vrrp <command>');
    expect(result.stdout).toBe('');
  });
});

describe('vrrp flag mistakes exit 2 and say what is wrong', () => {
  it('refuses a mistyped flag, naming it and the flag it resembles', async () => {
    const result = await runCli(['doctor', '--interfce', 'eth0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('vrrp doctor: unknown option --interfce (did you mean --interface?)');
    expect(result.stdout).toBe('');
  });

  it('refuses a flag another command has', async () => {
    const result = await runCli(['import-keepalived', '--interface', 'eth0', 'keepalived.conf']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('vrrp import-keepalived: unknown option --interface');
  });

  it('refuses a flag that needs a value and got none', async () => {
    const result = await runCli(['doctor', '--interface']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('vrrp doctor: --interface needs a value');
  });

  it('refuses a value given to a switch', async () => {
    const result = await runCli(['run', '--exit-with-parent=yes', 'vrrp.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('vrrp run: --exit-with-parent takes no value');
  });

  it('refuses a --family other than ipv4 or ipv6', async () => {
    const result = await runCli(['doctor', '--family', 'ipv5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--family must be ipv4 or ipv6, not 'ipv5'");
  });

  it('refuses run without a config, naming what is missing', async () => {
    const result = await runCli(['run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('vrrp run: missing <config>');
  });

  it('refuses an argument too many', async () => {
    const result = await runCli(['run', 'a.json', 'b.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("vrrp run: takes one <config>, got also 'b.json'");
  });

  it('refuses an unknown command, suggesting the nearest one', async () => {
    const result = await runCli(['doctr']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("vrrp: unknown command 'doctr' (did you mean doctor?)");
    expect(result.stderr).toContain('usage: vrrp <command>');
  });
});
