/**
 * The importer on real-world-style configurations (test/keepalived/fixtures/): each imports with the errors it
 * should have (none, unless it uses something refused), and every warning and error points at an existing line
 * of the file it names.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importKeepalivedConf, isKeepalivedConfText } from '../../src/keepalived/index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Each fixture and the keywords of the errors it must produce (in order). */
const fixtures: [string, string[]][] = [
  ['tutorial-master.conf', []],
  ['tutorial-backup.conf', []],
  ['nginx-ubuntu.conf', []],
  ['k8s-apiserver.conf', []],
  ['ipv6-v3.conf', []],
  ['cloud-unicast.conf', []],
  ['sync-group-db.conf', []],
  ['owner.conf', []],
  ['conditional.conf', []],
  ['with-includes.conf', []],
  ['lvs-mixed.conf', ['virtual_server']],
  ['kitchen-sink.conf', []],
];

describe('real-world-style configurations', () => {
  it.each(fixtures)('%s imports with exactly the expected errors', (name, errors) => {
    const result = importKeepalivedConf(fixture(name), { configId: 'main' });
    expect(result.errors.map((error) => error.message.split(' ')[0])).toEqual(errors);
    expect(result.config.instances.length).toBeGreaterThan(0);
  });

  // Only the fixtures the importer says something about: a loop over no issues would assert nothing.
  const withIssues = fixtures.filter(([name]) => {
    const result = importKeepalivedConf(fixture(name), { configId: 'main' });
    return result.warnings.length + result.errors.length > 0;
  });
  it('has fixtures with issues to place at their lines', () => {
    expect(withIssues.length).toBeGreaterThanOrEqual(5);
  });
  it.each(withIssues)('%s: every warning and error names an existing, non-empty line', (name) => {
    const result = importKeepalivedConf(fixture(name), { configId: 'main' });
    for (const issue of [...result.warnings, ...result.errors]) {
      const colon = issue.path.lastIndexOf(':');
      const lines = readFileSync(issue.path.slice(0, colon), 'utf8').split('\n');
      const line = lines[Number(issue.path.slice(colon + 1)) - 1];
      expect(line?.trim(), `${issue.path}: ${issue.message}`).toBeTruthy();
    }
  });

  // Given the kitchen sink; then each unknown keyword is reported with its file and line.
  it('reports the kitchen sink’s unknown keywords with file and line', () => {
    const result = importKeepalivedConf(fixture('kitchen-sink.conf'));
    const unknown = result.warnings.filter((warning) => warning.message.includes('known here'));
    expect(unknown.map((warning) => `${warning.path.slice(warning.path.lastIndexOf('/') + 1)} ${warning.message}`)).toEqual([
      'kitchen-sink.conf:27 vrrp_no_such_option is not a global_defs keyword known here; ignored',
      'kitchen-sink.conf:104 unknwon_keyword is not a vrrp_instance keyword known here; ignored',
    ]);
  });

  // Given the conditional fixture for node "backup"; then the backup's priority, source address and peer.
  it('imports the conditional fixture for the other node with its own lines', () => {
    const instance = importKeepalivedConf(fixture('conditional.conf'), { configId: 'backup' }).config.instances[0];
    expect(instance).toMatchObject({ priority: 100, primaryAddress: '10.20.0.2', unicastPeers: ['10.20.0.1'], virtualAddresses: ['10.20.0.100/24'], interface: 'eth0' });
  });
});

describe('telling keepalived.conf from JSON (for vrrp run FILE)', () => {
  // Given JSON; then not keepalived.conf: JSON starts with { or [.
  it('takes text starting with { or [ for JSON', () => {
    expect([isKeepalivedConfText('  {"instances": []}'), isKeepalivedConfText('[]')]).toEqual([false, false]);
  });

  // Given the tutorial's file, or one starting with a comment; then keepalived.conf.
  it('takes text starting with a keyword or a comment for keepalived.conf', () => {
    expect([isKeepalivedConfText(readFileSync(fixture('tutorial-master.conf'), 'utf8')), isKeepalivedConfText('! Configuration File for keepalived\n')]).toEqual([true, true]);
  });
});
