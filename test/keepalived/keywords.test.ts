/**
 * keepalived keywords → `vrrp run` configuration (src/keepalived/convert.ts): each covered keyword is applied with
 * keepalived's meaning and defaults, or reported at its `file:line` — a warning when the failover still works as
 * configured, an error when it would not.
 */
import { describe, expect, it } from 'vitest';
import {
  keepalivedToConfig,
  parseKeepalivedConf,
  type ImportedInstanceConfig,
  type ImportedTracker,
  type KeepalivedImport,
  type KeepalivedIssue,
} from '../../src/keepalived/index.js';

const convert = (text: string, configId?: string): KeepalivedImport =>
  keepalivedToConfig(parseKeepalivedConf(text, { file: 'k.conf', ...(configId === undefined ? {} : { configId }) }));

/** A configuration with one IPv4 instance VI_1 (eth0, VRID 51, 192.0.2.1/24), `body` inside it and `outside` before. */
const conf = (body = '', outside = ''): string =>
  `${outside}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1/24\n    }\n${body}\n}\n`;

/** The one instance of a result. */
function only(result: KeepalivedImport): ImportedInstanceConfig {
  expect(result.config.instances).toHaveLength(1);
  return result.config.instances[0] as ImportedInstanceConfig;
}

/** `k.conf:N` of the first line of `text` containing `needle`. */
function at(text: string, needle: string): string {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`no line contains ${needle}`);
  return `k.conf:${index + 1}`;
}

/** The messages of `issues` at the line of `text` containing `needle`. */
function messagesAt(issues: KeepalivedIssue[], text: string, needle: string): string[] {
  const path = at(text, needle);
  return issues.filter((issue) => issue.path === path).map((issue) => issue.message);
}

const script = (body: string, name = 'chk'): string => `vrrp_script ${name} {\n    script "/bin/check"\n${body}\n}\n`;
const tracking = (name = 'chk'): string => `track_script {\n    ${name}\n}`;
const tracker = (result: KeepalivedImport, index = 0): ImportedTracker | undefined => only(result).trackers[index];

describe('global_defs', () => {
  // Given router_id; then it is the process-wide routerId.
  it('applies router_id as global.routerId', () => {
    expect(convert(conf('', 'global_defs {\n  router_id LB01\n}')).config.global).toEqual({ routerId: 'LB01' });
  });

  // Given vrrp_version 3; then IPv4 instances without a version line run VRRPv3.
  it('applies vrrp_version as the default version of IPv4 instances', () => {
    expect(only(convert(conf('', 'global_defs {\n  vrrp_version 3\n}'))).version).toBe(3);
  });

  // Given vrrp_version 3 and an instance saying version 2; then the instance's own line wins.
  it("lets an instance's version line override vrrp_version", () => {
    expect(only(convert(conf('version 2', 'global_defs {\n  vrrp_version 3\n}'))).version).toBe(2);
  });

  // Given vrrp_garp_master_delay / _repeat / _refresh; then they are every instance's garp settings, in ms.
  it('applies vrrp_garp_master_delay, _repeat and _refresh as garp defaults', () => {
    const text = conf('', 'global_defs {\n  vrrp_garp_master_delay 10\n  vrrp_garp_master_repeat 2\n  vrrp_garp_master_refresh 60\n}');
    expect(only(convert(text)).garp).toEqual({ repeat: 2, delayMs: 10_000, refreshMs: 60_000 });
  });

  // Given vrrp_min_garp; then one announcement and no second round, as keepalived.conf(5) says.
  it('applies vrrp_min_garp as one announcement without a second round', () => {
    expect(only(convert(conf('', 'global_defs {\n  vrrp_min_garp\n}'))).garp).toEqual({ repeat: 1, delayMs: 0, refreshMs: 0 });
  });

  // Given vrrp_startup_delay 5.5; then global.startupDelayMs 5500.
  it('applies vrrp_startup_delay as global.startupDelayMs', () => {
    expect(convert(conf('', 'global_defs {\n  vrrp_startup_delay 5.5\n}')).config.global.startupDelayMs).toBe(5500);
  });

  // Given script_user with a group; then scripts without their own user run as user:group.
  it('applies script_user USER GROUP as the user:group of scripts', () => {
    const result = convert(conf(tracking(), `global_defs {\n  script_user nobody nogroup\n}\n${script('')}`));
    expect(tracker(result)).toMatchObject({ type: 'exec', user: 'nobody:nogroup' });
    expect(result.config.global.scriptUser).toBe('nobody:nogroup');
  });

  // Given no script_user; then the scripts run as vrrp's user, and a warning says whom keepalived would use.
  it('warns, without script_user, that scripts run as the user running vrrp', () => {
    const text = conf(tracking(), script(''));
    const result = convert(text);
    expect(tracker(result)).not.toHaveProperty('user');
    expect(messagesAt(result.warnings, text, 'vrrp_script chk')).toEqual([
      'scripts run as the user running vrrp: keepalived would run them as keepalived_script if that user exists, else as root; set script_user (global_defs) or user to choose',
    ]);
  });

  // Given the keywords that cannot be applied; then each is a warning at its line saying what happens instead.
  it.each([
    ['enable_script_security', /^enable_script_security is ignored: vrrp does not check that scripts run as root/],
    ['vrrp_strict', /^vrrp_strict is ignored: keepalived's strict mode refuses or resets/],
    ['vrrp_skip_check_adv_addr', /^vrrp_skip_check_adv_addr is ignored: keepalived 2.2.7 then skips the check for further adverts of a master whose advert it accepted, a speed-up; vrrp checks every advert, with the same outcome/],
    ['notify_fifo /run/k.fifo', /^notify_fifo is ignored: no notify FIFO/],
    ['vrrp_garp_lower_prio_repeat 2', /^vrrp_garp_lower_prio_repeat is ignored: a master that hears a lower priority re-announces/],
    ['vrrp_garp_lower_prio_delay 2', /^vrrp_garp_lower_prio_delay is ignored/],
    ['vrrp_garp_interval 0.001', /^vrrp_garp_interval is ignored: announcement timing/],
    ['vrrp_garp_master_refresh_repeat 2', /^vrrp_garp_master_refresh_repeat is ignored/],
    ['smtp_server 127.0.0.1', /^smtp_server is ignored: no e-mail alerts/],
  ])('reports %s as a warning at its line', (line, message) => {
    const text = conf('', `global_defs {\n  ${line}\n}`);
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(messagesAt(result.warnings, text, line)).toEqual([expect.stringMatching(message)]);
  });

  // Given vrrp_mcast_group4 with the IANA group; then nothing to report: it is what vrrp uses.
  it('accepts vrrp_mcast_group4 224.0.0.18 silently', () => {
    expect(convert(conf('', 'global_defs {\n  vrrp_mcast_group4 224.0.0.18\n}')).warnings).toEqual([]);
  });

  // Given another group; then refused: this node would not hear its peers.
  it('refuses a vrrp_mcast_group4 other than 224.0.0.18', () => {
    const text = conf('', 'global_defs {\n  vrrp_mcast_group4 239.0.0.18\n}');
    expect(messagesAt(convert(text).errors, text, 'vrrp_mcast_group4')).toEqual([expect.stringMatching(/^vrrp_mcast_group4 is refused: only the IANA group/)]);
  });

  // Given a misspelt keyword; then a warning names it and its line.
  it('reports an unknown global_defs keyword at its line', () => {
    const text = conf('', 'global_defs {\n  router_idd LB01\n}');
    expect(messagesAt(convert(text).warnings, text, 'router_idd')).toEqual(['router_idd is not a global_defs keyword known here; ignored']);
  });
});

describe('vrrp_script', () => {
  // Given a host where the script's program cannot run (scriptRunnable says no, as `vrrp run` asks)
  // then the tracker is disabled, as keepalived disables it at its start — the instance runs without it — and a
  // warning names the script and the program. Before, the tracker stayed down: with weight 0 the node never served.
  it('disables a script whose program cannot run here, as keepalived does, and says so', () => {
    const text = conf(tracking(), script(''));
    const result = keepalivedToConfig(parseKeepalivedConf(text, { file: 'k.conf' }), { scriptRunnable: (program) => program !== '/bin/check' });
    expect(only(result).trackers).toEqual([]);
    expect(messagesAt(result.warnings, text, 'vrrp_script chk')).toEqual([
      'vrrp_script chk: /bin/check is not found or not executable here: disabled, as keepalived does — instances tracking it run without it',
    ]);
    expect(result.errors).toEqual([]);
  });

  // Given a script whose user this host cannot run it as (script_user root, and a `vrrp run` that is not root:
  // scriptUserRefusal says why, as `vrrp run` asks); then the tracker is disabled with a warning naming the script
  // and the reason, as keepalived's check_script_secure disables it. Before, every check failed ("switching user
  // needs root"): with weight 0 the instance stayed in FAULT.
  it('disables a script whose user cannot be run as here, as keepalived does, and says so', () => {
    const text = conf(tracking(), `global_defs {\n    script_user root\n}\n${script('')}`);
    const refusal = (user: string): string | undefined => (user === 'root' ? 'cannot run as user root: switching user needs root (this process runs as uid 1000)' : undefined);
    const result = keepalivedToConfig(parseKeepalivedConf(text, { file: 'k.conf' }), { scriptUserRefusal: refusal });
    expect(only(result).trackers).toEqual([]);
    expect(messagesAt(result.warnings, text, 'vrrp_script chk')).toEqual([
      'vrrp_script chk: cannot run as user root: switching user needs root (this process runs as uid 1000): disabled, as keepalived does — instances tracking it run without it',
    ]);
    expect(result.errors).toEqual([]);
  });

  // Given no scriptRunnable (an import for another host); then the script is kept as written.
  it('keeps a script when nobody says whether it can run here', () => {
    expect(tracker(convert(conf(tracking(), script(''))))).toMatchObject({ type: 'exec', command: '/bin/check' });
  });

  // Given a quoted script with escaped quotes inside (written for keepalived 2.2, the version distributions ship)
  // then it runs as 2.2 runs it: sh -c with the inner command as one argument — and a warning says which argv that
  // is. Before, the escapes were kept in the first reading (2.3.2's way), and sh got `"test` as its command.
  it('reads escaped quotes in a script as keepalived 2.2 does, and says what runs', () => {
    const text = conf(tracking(), 'vrrp_script chk {\n    script "/bin/sh -c \\"test -e /x && exit 0\\""\n}\n');
    const result = convert(text);
    const imported = tracker(result);
    expect(imported).toMatchObject({ type: 'exec', command: '/bin/sh -c "test -e /x && exit 0"' });
    expect(messagesAt(result.warnings, text, '"/bin/sh')).toEqual([
      'script: backslash escapes are read as keepalived 2.2 reads them (in the line, then again in the command; 2.3.2 and later read them once), so this runs ["/bin/sh","-c","test -e /x && exit 0"]',
    ]);
  });

  // Given a vrrp_script defined after the instance that tracks it; then the track is ignored with a warning, as
  // keepalived 2.2.7 ignores it (it looks the name up while reading the instance: "not found, ignoring").
  it('ignores a track of a script defined after the instance, as keepalived does, and says how to have it', () => {
    const text = `${conf(tracking())}${script('    weight -20')}`;
    const result = convert(text);
    expect(only(result).trackers).toEqual([]);
    expect(messagesAt(result.warnings, text, '    chk')).toEqual([
      'track_script chk: defined after this block, and keepalived 2.2.7 looks it up as it reads ("not found, ignoring"): ignored here too — define it before the block to track it',
    ]);
  });

  // Given only `script`; then keepalived's defaults, spelled out: 1 s, timeout = interval, weight 0, rise/fall 1.
  it("spells out keepalived's defaults: interval 1000 ms, timeout = interval, weight 0, rise 1, fall 1", () => {
    expect(tracker(convert(conf(tracking(), script(''))))).toEqual({
      type: 'exec',
      name: 'chk',
      command: '/bin/check',
      intervalMs: 1000,
      timeoutMs: 1000,
      weight: 0,
      fall: 1,
      rise: 1,
      reverse: false,
      initFail: false,
    });
  });

  // Given interval, timeout, weight reverse, rise, fall, init_fail and user; then each lands in its field, in ms.
  it('applies interval, timeout (seconds → ms), weight … reverse, rise, fall, init_fail and user', () => {
    const body = '    interval 5\n    timeout 3\n    weight -10 reverse\n    rise 3\n    fall 4\n    init_fail\n    user haproxy';
    expect(tracker(convert(conf(tracking(), script(body))))).toEqual({
      type: 'exec',
      name: 'chk',
      command: '/bin/check',
      user: 'haproxy',
      intervalMs: 5000,
      timeoutMs: 3000,
      weight: -10,
      fall: 4,
      rise: 3,
      reverse: true,
      initFail: true,
    });
  });

  // Given a timeout longer than the interval; then a warning at the timeout: our checks never overlap, where
  // keepalived 2.2.7 starts the next run at its interval anyway (its vrrp_script_thread).
  it('warns that a timeout longer than the interval delays the next check, where keepalived overlaps them', () => {
    const text = conf(tracking(), script('    interval 2\n    timeout 5'));
    expect(messagesAt(convert(text).warnings, text, 'timeout 5')).toEqual([
      'timeout 5000 ms is longer than the interval (2000 ms): a slow check delays the next one (keepalived 2.2.7 starts it anyway, overlapping)',
    ]);
  });

  // Given a quoted command with arguments and single quotes inside; then the command string keeps them for argv.
  it('keeps a quoted command whole, inner quotes included, for the argv split', () => {
    const text = conf(tracking(), `vrrp_script chk {\n    script "/usr/bin/check --name 'my app'"\n}`);
    expect(tracker(convert(text))).toMatchObject({ command: "/usr/bin/check --name 'my app'" });
  });

  // Given an unquoted command with arguments; then keepalived runs only the first word — so do we, and say so.
  it('keeps only the first word of an unquoted command, as keepalived does, and warns', () => {
    const text = conf(tracking(), 'vrrp_script chk {\n    script /usr/bin/pgrep haproxy\n}');
    const result = convert(text);
    expect(tracker(result)).toMatchObject({ command: '/usr/bin/pgrep' });
    expect(messagesAt(result.warnings, text, 'script /usr')).toEqual([
      'script: "haproxy" after the command is ignored, as keepalived does: quote the whole command to pass arguments',
    ]);
  });

  // Given a vrrp_script without script; then an error at the block.
  it('refuses a vrrp_script without a script line', () => {
    const text = conf(tracking(), 'vrrp_script chk {\n    interval 2\n}');
    expect(messagesAt(convert(text).errors, text, 'vrrp_script chk')).toEqual(['vrrp_script chk: expected a script line in its block']);
  });

  // Given a bad interval; then an error at its value naming what was expected.
  // Given init_fail; then applied as documented, with a warning that keepalived 2.2 itself resets it.
  it('applies init_fail as documented and says that keepalived 2.2 has it do nothing', () => {
    const text = conf(tracking(), script('    init_fail'));
    const result = convert(text);
    expect(tracker(result)).toMatchObject({ initFail: true });
    expect(messagesAt(result.warnings, text, 'init_fail')).toEqual([
      'init_fail is applied as keepalived.conf(5) describes it (the script counts as failed until its first result); keepalived 2.2 itself resets it when an instance tracks the script, so there it had no effect',
    ]);
  });

  it('refuses an interval that is not a number of seconds', () => {
    const text = conf(tracking(), script('    interval 2s'));
    expect(messagesAt(convert(text).errors, text, 'interval 2s')).toEqual(['interval: expected seconds from 0 to 86400 (e.g. 2 or 0.5), got "2s"']);
  });

  // Given interval 2.5 and timeout 0.5 (decimals: keepalived 2.3.2 takes them, 2.2 cuts them off)
  // then 2.2's values — 2 s, and 0 made 1 s — each with a warning saying which version means what. Before, 2.5 s and
  // 0.5 s: a check that passes in 0.7 s under keepalived 2.2 timed out here.
  it('reads a script interval and timeout in whole seconds, as keepalived 2.2 does, and says so', () => {
    const text = conf(tracking(), script('    interval 2.5\n    timeout 0.5'));
    const result = convert(text);
    expect(tracker(result)).toMatchObject({ intervalMs: 2000, timeoutMs: 1000 });
    expect(messagesAt(result.warnings, text, '2.5')).toEqual(['interval: keepalived 2.2 reads whole seconds, so 2.5 is 2 s here (2.3.2 and later take 2.5 s)']);
    expect(messagesAt(result.warnings, text, '0.5')).toEqual(['timeout: keepalived 2.2 reads whole seconds, so 0.5 is 1 s here (0, made 1) (2.3.2 and later take 0.5 s)']);
  });

  // Given a script no instance tracks; then keepalived does not run it, and a warning says so.
  it('warns about a vrrp_script no instance tracks', () => {
    const text = conf('', script(''));
    expect(messagesAt(convert(text).warnings, text, 'vrrp_script chk')).toContain('vrrp_script chk is not tracked by any instance or group; it is not run');
  });

  // Given track_script naming no vrrp_script; then keepalived ignores the entry; so do we, with a warning.
  it('warns about track_script naming an undefined script', () => {
    const text = conf('track_script {\n    nothere\n}');
    const result = convert(text);
    expect(only(result).trackers).toEqual([]);
    expect(messagesAt(result.warnings, text, 'nothere')).toEqual(['track_script nothere: no vrrp_script of that name; ignored, as keepalived does']);
  });
});

describe('vrrp_track_process and track_file', () => {
  // Given a process by name; then a process tracker matching /proc/PID/comm, with quorum and quorum_max.
  it('imports a process name, quorum and quorum_max', () => {
    const text = conf('track_process {\n    haproxy\n}', 'vrrp_track_process haproxy {\n    process haproxy\n    quorum 2\n    quorum_max 8\n    weight -20\n}');
    expect(tracker(convert(text))).toEqual({ type: 'process', name: 'haproxy', process: 'haproxy', quorum: 2, quorumMax: 8, weight: -20, fall: 1, rise: 1, reverse: false, initFail: false });
  });

  // Given weight -254 in the process's block and 254 where an instance tracks it (keepalived takes ±254 for a
  // process, vrrp_tprocess_weight_handler); then both import as written and the configuration validates: the
  // schema refused them (±253, the script limit) with an error at the track_process line.
  it('takes a process weight of ±254, as keepalived does', () => {
    const text = conf('track_process {\n    haproxy\n    haproxy2 weight 254\n}', 'vrrp_track_process haproxy {\n    process haproxy\n    weight -254\n}\nvrrp_track_process haproxy2 {\n    process haproxy\n}');
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(only(result).trackers?.map((t) => [t.name, t.weight])).toEqual([
      ['haproxy', -254],
      ['haproxy2', 254],
    ]);
  });

  // Given quorum 0 (keepalived takes 1 to 65535); then the line is ignored with a warning at it, quorum stays 1.
  it('ignores a quorum outside 1..65535 with a warning, as keepalived does', () => {
    const text = conf('track_process {\n    haproxy\n}', 'vrrp_track_process haproxy {\n    process haproxy\n    quorum 0\n}');
    const result = convert(text);
    expect(tracker(result)).toMatchObject({ type: 'process', quorum: 1 });
    expect(result.errors).toEqual([]);
    expect(messagesAt(result.warnings, text, 'quorum 0')).toEqual(['quorum: expected a whole number from 1 to 65535, got "0"; ignored (quorum stays 1), as keepalived does']);
  });

  // Given quorum_max 0 (no quorum above 1); then quorum 0 and quorumMax 0: up only while no matching process runs,
  // keepalived.conf(5)'s "failure if the matching process were running at all".
  it('imports quorum_max 0 as quorum 0 and quorumMax 0', () => {
    const text = conf('track_process {\n    haproxy\n}', 'vrrp_track_process haproxy {\n    process haproxy\n    quorum_max 0\n}');
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(tracker(result)).toMatchObject({ type: 'process', quorum: 0, quorumMax: 0 });
  });

  // Given quorum_max 65536 (keepalived takes 0 to 65535); then the line is ignored with a warning: no upper limit.
  it('ignores a quorum_max outside 0..65535 with a warning, as keepalived does', () => {
    const text = conf('track_process {\n    haproxy\n}', 'vrrp_track_process haproxy {\n    process haproxy\n    quorum_max 65536\n}');
    const result = convert(text);
    expect(tracker(result)).not.toHaveProperty('quorumMax');
    expect(messagesAt(result.warnings, text, 'quorum_max')).toEqual(['quorum_max: expected a whole number from 0 to 65535, got "65536"; ignored (no limit), as keepalived does']);
  });

  // Given a quorum_max below the quorum before it; then that line is ignored with a warning, as keepalived does —
  // not a refusal of the whole configuration.
  it('ignores a quorum_max below quorum with a warning, as keepalived does', () => {
    const text = conf('track_process {\n    haproxy\n}', 'vrrp_track_process haproxy {\n    process haproxy\n    quorum 3\n    quorum_max 2\n}');
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(tracker(result)).toMatchObject({ quorum: 3 });
    expect(tracker(result)).not.toHaveProperty('quorumMax');
    expect(messagesAt(result.warnings, text, 'quorum_max')).toEqual(['quorum_max 2 is below quorum 3; ignored, as keepalived does']);
  });

  // Given a quorum above the quorum_max before it; then that line is ignored with a warning, as keepalived does.
  it('ignores a quorum above an earlier quorum_max with a warning, as keepalived does', () => {
    const text = conf('track_process {\n    haproxy\n}', 'vrrp_track_process haproxy {\n    process haproxy\n    quorum_max 2\n    quorum 3\n}');
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(tracker(result)).toMatchObject({ quorum: 1, quorumMax: 2 });
    expect(messagesAt(result.warnings, text, 'quorum 3')).toEqual(['quorum 3 is above quorum_max 2; ignored (quorum stays 1), as keepalived does']);
  });

  // Given a process with parameters; then the program and its parameters, compared exactly (keepalived's default).
  it('imports a process with parameters as command and exact params', () => {
    const text = conf('track_process {\n    named\n}', 'vrrp_track_process named {\n    process "/usr/sbin/named" -u bind "-c /etc/named.conf"\n}');
    expect(tracker(convert(text))).toMatchObject({ type: 'process', command: '/usr/sbin/named', params: ['-u', 'bind', '-c /etc/named.conf'], paramMatch: 'exact', quorum: 1 });
    expect(tracker(convert(text))).not.toHaveProperty('process');
  });

  // Given full_command alone; then the program only (argv[0]): keepalived does not look at the arguments then.
  it('imports full_command as a match of the program alone, arguments not compared', () => {
    const text = conf('track_process {\n    p\n}', 'vrrp_track_process p {\n    process /usr/bin/java\n    full_command\n}');
    const imported = tracker(convert(text));
    expect(imported).toMatchObject({ type: 'process', command: '/usr/bin/java' });
    expect(imported).not.toHaveProperty('params');
    expect(imported).not.toHaveProperty('paramMatch');
    expect(imported).not.toHaveProperty('args');
  });

  // Given a process string with a space and full_command; then a warning: keepalived compares it with argv[0].
  it('warns that a process with a space is compared with the program alone', () => {
    const text = conf('track_process {\n    p\n}', 'vrrp_track_process p {\n    process "/usr/bin/python3 /srv/app.py"\n    full_command\n}');
    const result = convert(text);
    expect(tracker(result)).toMatchObject({ command: '/usr/bin/python3 /srv/app.py' });
    expect(messagesAt(result.warnings, text, '"/usr/bin/python3')).toEqual([
      'compared with the program alone (the first word of the command line), as keepalived does: a space in it matches only a process that rewrote its command line; give the arguments as separate words after it',
    ]);
  });

  // Given param_match partial / initial; then imported as such, without a warning; delay warns (changes count at once).
  it('imports param_match partial and initial', () => {
    const partial = conf('track_process {\n    p\n}', 'vrrp_track_process p {\n    process app x\n    param_match partial\n    delay 2\n}');
    const result = convert(partial);
    expect(tracker(result)).toMatchObject({ command: 'app', params: ['x'], paramMatch: 'partial' });
    expect(messagesAt(result.warnings, partial, 'param_match')).toEqual([]);
    expect(messagesAt(result.warnings, partial, 'delay 2')).toEqual(['delay is ignored: a change in the number of processes counts at once']);
    const initial = conf('track_process {\n    p\n}', 'vrrp_track_process p {\n    param_match initial\n    process app x\n}');
    expect(tracker(convert(initial))).toMatchObject({ command: 'app', params: ['x'], paramMatch: 'initial' });
  });

  // Given param_match alone (no value); then exact: the process must have no arguments.
  it('imports a bare param_match as exact, by command line', () => {
    const text = conf('track_process {\n    p\n}', 'vrrp_track_process p {\n    process app\n    param_match\n}');
    expect(tracker(convert(text))).toMatchObject({ command: 'app', paramMatch: 'exact' });
  });

  // Given a top-level track_process block (keepalived's block is vrrp_track_process; 2.2.7 has no top-level
  // track_process and ignores it); then ignored too, with the way to have it, and its track is not found.
  it('ignores a top-level track_process block, as keepalived does, and says to rename it', () => {
    const text = conf('track_process {\n    p\n}', 'track_process p {\n    process app\n}');
    const result = convert(text);
    expect(only(result).trackers).toEqual([]);
    expect(messagesAt(result.warnings, text, 'track_process p {')).toEqual([
      'track_process: keepalived has no top-level track_process (its block is vrrp_track_process) and ignores this one: ignored here too — rename it vrrp_track_process to have it',
    ]);
  });

  // Given a track_file without weight; then keepalived's default weight 1.
  it('imports track_file with keepalived’s default weight 1', () => {
    const text = conf('track_file {\n    f\n}', 'track_file f {\n    file "/run/offset"\n}');
    expect(tracker(convert(text))).toEqual({ type: 'file', name: 'f', path: '/run/offset', weight: 1, fall: 1, rise: 1, reverse: false, initFail: false });
  });

  // Given the deprecated vrrp_track_file; then it reads like track_file.
  it('reads vrrp_track_file like track_file', () => {
    const text = conf('track_file {\n    f\n}', 'vrrp_track_file f {\n    file "/run/offset"\n    weight 5 reverse\n}');
    expect(tracker(convert(text))).toMatchObject({ type: 'file', weight: 5, reverse: true });
  });

  // Given init_file; then a warning: the file is not created, and until it is, it reads as 0 (as keepalived reads a
  // missing file, and as the file tracker does), not as down.
  it('warns that init_file does not create the file, which reads as 0 until created', () => {
    const text = conf('track_file {\n    f\n}', 'track_file f {\n    file "/run/offset"\n    init_file 0 overwrite\n}');
    expect(messagesAt(convert(text).warnings, text, 'init_file')).toEqual([
      'init_file is ignored: the file is not created; create it before starting vrrp (until then it reads as 0, as keepalived reads a missing file)',
    ]);
  });
});

describe('vrrp_instance: identity and timing', () => {
  // Given the minimal instance; then name, interface, VRID, VIP, and keepalived's defaults (priority 100, BACKUP).
  it('imports name, interface, virtual_router_id and keepalived’s defaults (priority 100, backup, v2, 1 s)', () => {
    expect(only(convert(conf()))).toEqual({
      name: 'VI_1',
      interface: 'eth0',
      vrid: 51,
      priority: 100,
      version: 2,
      advertIntervalMs: 1000,
      virtualAddresses: ['192.0.2.1/24'],
      initialState: 'backup',
      preempt: true,
      preemptDelayMs: 0,
      unicastPeers: [],
      authentication: { type: 'none' },
      garp: { repeat: 5, delayMs: 5000, refreshMs: 0 },
      trackers: [],
    });
  });

  // Given state MASTER and a priority below 255, outside a sync group; then keepalived 2.2.7 starts it as BACKUP with
  // the whole Master_Down_Interval (vrrp_init_state): imported as backup, and said.
  it('imports state MASTER below 255 outside a sync group as initialState backup, as keepalived starts it, and warns', () => {
    const text = conf('state MASTER\npriority 150');
    const result = convert(text);
    expect(only(result).initialState).toBe('backup');
    expect(messagesAt(result.warnings, text, 'state MASTER')).toEqual([
      "vrrp_instance VI_1: state MASTER below priority 255 outside a sync group starts as BACKUP in keepalived 2.2.7 (the whole Master_Down_Interval before it takes over): imported as initialState 'backup'",
    ]);
  });

  // Given state MASTER with priority 255; then it is the owner and starts as master.
  it('imports state MASTER of an address owner as initialState master', () => {
    expect(only(convert(conf('state MASTER\npriority 255'))).initialState).toBe('master');
  });

  // Given state MASTER without a priority; then keepalived 2.2.7 makes it the owner (255): so do we, and warn.
  it('makes state MASTER without priority the address owner (255), as keepalived does, and warns', () => {
    const text = conf('state MASTER');
    const result = convert(text);
    expect(only(result).priority).toBe(255);
    expect(messagesAt(result.warnings, text, 'state MASTER')).toEqual(['vrrp_instance VI_1: state MASTER without a priority makes it the address owner (priority 255), as keepalived does']);
  });

  // Given an unknown state; then BACKUP, as keepalived does, with a warning.
  it('reads an unknown state as BACKUP and warns', () => {
    const text = conf('state master');
    const result = convert(text);
    expect(only(result).initialState).toBe('backup');
    expect(messagesAt(result.warnings, text, 'state master')).toEqual(['state "master" is neither MASTER nor BACKUP; BACKUP is used, as keepalived does']);
  });

  // Given priority and advert_int; then they are applied (seconds → ms).
  it('applies priority and advert_int', () => {
    expect(only(convert(conf('priority 150\nadvert_int 3')))).toMatchObject({ priority: 150, advertIntervalMs: 3000 });
  });

  // Given a fractional advert_int on VRRPv2; then rounded to whole seconds as keepalived does, with a warning.
  it('rounds a fractional VRRPv2 advert_int to whole seconds, as keepalived does, and warns', () => {
    const text = conf('advert_int 0.4');
    const result = convert(text);
    expect(only(result).advertIntervalMs).toBe(1000);
    expect(messagesAt(result.warnings, text, 'advert_int')).toEqual(['vrrp_instance VI_1: advert_int 0.4 s set to 1 s: VRRPv2 advertises whole seconds up to 255 s, as keepalived does']);
  });

  // Given version 3 and 0.1 s; then 100 ms adverts.
  it('applies version 3 with a sub-second advert_int', () => {
    expect(only(convert(conf('version 3\nadvert_int 0.1')))).toMatchObject({ version: 3, advertIntervalMs: 100 });
  });

  // Given an out-of-range priority; then an error at its value.
  it('refuses a priority outside 1…255 at its value', () => {
    const text = conf('priority 300');
    expect(messagesAt(convert(text).errors, text, 'priority 300')).toEqual(['priority: expected a whole number from 1 to 255, got "300"']);
  });

  // Given an instance without interface; then an error at the instance.
  it('refuses an instance without interface', () => {
    const text = 'vrrp_instance NOIF {\n  virtual_router_id 1\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n';
    expect(messagesAt(convert(text).errors, text, 'vrrp_instance NOIF')).toEqual(['vrrp_instance NOIF: expected an interface line (vrrp needs the interface even with unicast peers)']);
  });

  // Given two instances with one name; then an error at the second.
  it('refuses two instances with the same name', () => {
    const text = `${conf()}\nvrrp_instance VI_1 {\n  interface eth1\n  virtual_router_id 52\n  virtual_ipaddress {\n    192.0.2.2\n  }\n}\n`;
    expect(convert(text).errors).toEqual([{ path: 'k.conf:11', message: 'vrrp_instance VI_1 is defined twice: instance names must be unique' }]);
  });

  // Given two instances with one VRID on one interface and family; then an error: they would share adverts.
  it('refuses two instances with one VRID on one interface', () => {
    const text = `${conf()}\nvrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    192.0.2.2\n  }\n}\n`;
    expect(convert(text).errors.map((e) => e.message)).toEqual(['vrrp_instance VI_2: virtual_router_id 51 is already used by VI_1 on eth0 (ipv4)']);
  });
});

describe('vrrp_instance: addresses and peers', () => {
  // Given VIPs with dev (the instance's interface) and label; then addresses with labels.
  it('imports virtual_ipaddress entries with dev (the same interface) and label', () => {
    const text = conf('virtual_ipaddress {\n    192.0.2.2/24 dev eth0 label eth0:vip\n}');
    expect(only(convert(text)).virtualAddresses).toEqual(['192.0.2.1/24', { address: '192.0.2.2/24', label: 'eth0:vip' }]);
  });

  // Given a VIP on another interface; then it goes there, and that interface is tracked (down means fault), as
  // keepalived 2.2.7 tracks a virtual address's interface.
  it('imports a virtual address on another interface (dev), tracking that interface', () => {
    const text = conf('virtual_ipaddress {\n    192.0.2.2/24 dev eth1 label eth1:vip\n    198.51.100.1/24 dev eth1\n}');
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(only(result).virtualAddresses).toEqual(['192.0.2.1/24', { address: '192.0.2.2/24', label: 'eth1:vip', dev: 'eth1' }, { address: '198.51.100.1/24', dev: 'eth1' }]);
    expect(only(result).trackers).toEqual([{ type: 'interface', name: 'eth1', interface: 'eth1', weight: 0, fall: 1, rise: 1, reverse: false, initFail: false }]);
  });

  // Given no_track on an address on another interface; then that interface is not tracked, as in keepalived.
  it('does not track the interface of an address with no_track', () => {
    const text = conf('virtual_ipaddress {\n    192.0.2.2/24 dev eth1 no_track\n}');
    const result = convert(text);
    expect(result.warnings.filter((w) => w.message.includes('no_track'))).toEqual([]);
    expect(only(result).virtualAddresses).toEqual(['192.0.2.1/24', { address: '192.0.2.2/24', dev: 'eth1' }]);
    expect(only(result).trackers ?? []).toEqual([]);
  });

  // Given track_interface with a weight and an address on that interface; then weight 0 (down means fault), as
  // keepalived 2.2.7 registers the address's interface after the track_interface entries with weight 0, which
  // replaces theirs (add_vrrp_to_interface); reported.
  it('makes a weighted track_interface of the address interface a fault tracker, as keepalived does', () => {
    const text = conf('virtual_ipaddress {\n    192.0.2.2/24 dev eth1\n}\n  track_interface {\n    eth1 weight -20\n}');
    const result = convert(text);
    expect(only(result).trackers).toEqual([{ type: 'interface', name: 'eth1', interface: 'eth1', weight: 0, fall: 1, rise: 1, reverse: false, initFail: false }]);
    expect(messagesAt(result.warnings, text, 'eth1 weight -20')).toEqual([
      'track_interface eth1 weight -20 set to 0 (down means fault): 192.0.2.2/24 is held on eth1, and keepalived faults an instance whose virtual address\'s interface is down (no_track on the address to keep the weight)',
    ]);
  });

  // Given the same with no_track on the address; then the track_interface's weight stands.
  it('keeps a weighted track_interface of an address interface when the address has no_track', () => {
    const text = conf('virtual_ipaddress {\n    192.0.2.2/24 dev eth1 no_track\n}\n  track_interface {\n    eth1 weight -20\n}');
    expect(only(convert(text)).trackers).toEqual([{ type: 'interface', name: 'eth1', interface: 'eth1', weight: -20, fall: 1, rise: 1, reverse: false, initFail: false }]);
  });

  // Given brd / scope host / no_track (without dev); then the address is kept and the options reported.
  it('warns about address options it does not apply', () => {
    const text = conf('virtual_ipaddress {\n    192.0.2.2/24 brd 192.0.2.255 no_track\n}');
    expect(messagesAt(convert(text).warnings, text, 'brd')).toEqual(['virtual_ipaddress 192.0.2.2/24: "brd 192.0.2.255 no_track" ignored: the address is added with its prefix, label and interface only']);
  });

  // Given a bad address; then an error at it.
  it('refuses an entry that is not an address', () => {
    const text = conf('virtual_ipaddress {\n    192.0.2.300\n}');
    expect(messagesAt(convert(text).errors, text, '192.0.2.300')).toEqual(['virtual_ipaddress: expected an address or address/prefix, got "192.0.2.300"']);
  });

  // Given IPv6 VIPs; then VRRPv3, keepalived's choice for IPv6.
  it('runs an IPv6 instance as VRRPv3', () => {
    const text = 'vrrp_instance V6 {\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n    2001:db8::5/64\n  }\n}\n';
    expect(only(convert(text))).toMatchObject({ version: 3, virtualAddresses: ['2001:db8::5/64'] });
  });

  // Given IPv6 VIPs and version 2 (keepalived's extension); then refused.
  it('refuses VRRPv2 over IPv6', () => {
    const text = 'vrrp_instance V6 {\n  interface eth0\n  version 2\n  virtual_router_id 5\n  virtual_ipaddress {\n    2001:db8::5/64\n  }\n}\n';
    expect(messagesAt(convert(text).errors, text, 'version 2')).toEqual(['vrrp_instance V6: VRRPv2 over IPv6 (a keepalived extension) is not supported: use version 3 on every node']);
  });

  // Given two version lines that conflict; then the first stands and the second is ignored with a warning at its
  // line, as keepalived 2.2.7's vrrp_version_handler does.
  it('keeps the first of two conflicting version lines, warning at the second', () => {
    const text = conf('version 3\nadvert_int 1\nversion 2');
    const result = convert(text);
    expect(only(result).version).toBe(3);
    expect(messagesAt(result.warnings, text, 'version 2')).toEqual([`version 2 conflicts with version 3 set at ${at(text, 'version 3')}; ignored, as keepalived does (the first one stands)`]);
  });

  // Given version 2 after IPv6 virtual addresses (which make the instance IPv6, hence VRRPv3, as keepalived reads the
  // block); then it is ignored with a warning, and the instance runs VRRPv3 — not refused.
  it('ignores version 2 after IPv6 addresses, with a warning, and runs VRRPv3', () => {
    const text = 'vrrp_instance V6 {\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n    2001:db8::5/64\n  }\n  version 2\n}\n';
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(only(result).version).toBe(3);
    expect(messagesAt(result.warnings, text, 'version 2')).toEqual([`version 2 conflicts with version 3, which the IPv6 address at ${at(text, '2001:db8::5/64')} makes the instance's; ignored, as keepalived does`]);
  });

  // Given native_ipv6 after a version 2 line; then VRRPv3, as keepalived's native_ipv6 sets it, said at its line.
  it('lets native_ipv6 set version 3 over an earlier version 2, saying so', () => {
    const text = 'vrrp_instance V6 {\n  interface eth0\n  version 2\n  native_ipv6\n  virtual_router_id 5\n  virtual_ipaddress {\n    2001:db8::5/64\n  }\n}\n';
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(only(result).version).toBe(3);
    expect(messagesAt(result.warnings, text, 'native_ipv6')).toEqual([`native_ipv6 sets version 3 over the version 2 at ${at(text, 'version 2')}, as keepalived does`]);
  });

  // Given IPv4 and IPv6 VIPs in one instance; then an error at the odd one.
  it('refuses mixed address families in one instance', () => {
    const text = conf('virtual_ipaddress {\n    2001:db8::1\n}');
    expect(messagesAt(convert(text).errors, text, '2001:db8::1')).toEqual(['vrrp_instance VI_1: 2001:db8::1 is ipv6 but the first address is ipv4: keepalived and vrrp advertise one family per instance (an address of the other family may go in virtual_ipaddress_excluded)']);
  });

  // Given virtual_ipaddress_excluded with an IPv6 and an IPv4 address in an IPv4 instance (keepalived's dual-stack
  // shape); then excludedAddresses, labels kept, whatever their family, and the config resolves.
  it('applies virtual_ipaddress_excluded as excludedAddresses, of either family', () => {
    const text = conf('virtual_ipaddress_excluded {\n    2001:db8::200/64\n    192.0.2.200/24 label eth0:ex\n}');
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(only(result)).toMatchObject({ virtualAddresses: ['192.0.2.1/24'], excludedAddresses: ['2001:db8::200/64', { address: '192.0.2.200/24', label: 'eth0:ex' }] });
  });

  // Given a sync group tracking eth1 with a weight and a member's address on eth1; then the warning names the
  // address as what tracks eth1 on the instance's side (it has no track_interface), and the weight is 0.
  it("names the address, not a track_interface, when a sync group tracks the address's interface too", () => {
    const text =
      'vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  track_interface {\n    eth1 weight -20\n  }\n}\n' +
      'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.1/24\n    192.0.2.2/24 dev eth1\n  }\n}\n';
    const result = convert(text);
    expect(result.warnings.map((w) => w.message).filter((m) => m.includes('eth1'))).toEqual([
      "vrrp_instance VI_1: track_interface eth1 is tracked for the instance's virtual address on it (weight 0) and by sync group G; the instance's unweighted entry is kept, as keepalived does",
    ]);
    expect(only(result).trackers?.map((tracker) => `${tracker.name} ${tracker.weight}`)).toEqual(['eth1 0']);
  });

  // Given an address on an interface whose name is too long for the kernel; then one error, the address's.
  it('reports a dev name the kernel would not take once, at the address', () => {
    const text = conf('virtual_ipaddress {\n    192.0.2.2/24 dev averyveryverylongname0\n}');
    expect(convert(text).errors.map((e) => e.message)).toEqual(['vrrp_instance VI_1: virtualAddresses.1.dev: must be at most 15 bytes (IFNAMSIZ)']);
  });

  // Given an excluded address on another interface; then it goes there as a virtual one does.
  it('imports an excluded address on another interface (dev)', () => {
    const text = conf('virtual_ipaddress_excluded {\n    2001:db8::200/64 dev eth1\n}');
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(only(result).excludedAddresses).toEqual([{ address: '2001:db8::200/64', dev: 'eth1' }]);
    expect(only(result).trackers?.map((tracker) => tracker.name)).toEqual(['eth1']);
  });

  // Given the interface line after the address blocks; then dev is judged once it is known, in either block: the
  // instance's own dropped, another kept and tracked.
  it('judges dev once the interface line, after the blocks, is read', () => {
    const text =
      'vrrp_instance VI_1 {\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1/24 dev eth0\n        192.0.2.2/24 dev eth1\n    }\n' +
      '    virtual_ipaddress_excluded {\n        2001:db8::200/64 dev eth2\n    }\n    interface eth0\n}\n';
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(only(result).virtualAddresses).toEqual(['192.0.2.1/24', { address: '192.0.2.2/24', dev: 'eth1' }]);
    expect(only(result).excludedAddresses).toEqual([{ address: '2001:db8::200/64', dev: 'eth2' }]);
    expect(only(result).trackers?.map((tracker) => tracker.name)).toEqual(['eth1', 'eth2']);
  });

  // Given a label on an IPv6 address; then it is dropped with a warning and the address kept, as keepalived 2.2.7
  // does (the kernel labels IPv4 addresses only).
  it('drops the label of an IPv6 address with a warning, as keepalived does', () => {
    const text = conf('virtual_ipaddress_excluded {\n    2001:db8::200/64 label eth0:v6\n}');
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(only(result).excludedAddresses).toEqual(['2001:db8::200/64']);
    expect(messagesAt(result.warnings, text, 'label eth0:v6')).toEqual(['virtual_ipaddress_excluded 2001:db8::200/64: label eth0:v6 ignored: labels exist for IPv4 addresses only (keepalived ignores it too)']);
  });

  // Given an address both advertised and excluded; then the config's own check, at the excluded line.
  it('refuses an address listed in both blocks, at the excluded line', () => {
    const text = conf('virtual_ipaddress_excluded {\n    192.0.2.1/32\n}');
    expect(messagesAt(convert(text).errors, text, '192.0.2.1/32')).toEqual(['vrrp_instance VI_1: excludedAddresses.0: 192.0.2.1 is in virtualAddresses too: list it once']);
  });

  // Given unicast_src_ip and unicast_peer; then primaryAddress and unicastPeers.
  it('applies unicast_src_ip and unicast_peer', () => {
    const text = conf('unicast_src_ip 192.0.2.11\nunicast_peer {\n    192.0.2.12\n    192.0.2.13 min_ttl 250\n}');
    const result = convert(text);
    expect(only(result)).toMatchObject({ primaryAddress: '192.0.2.11', unicastPeers: ['192.0.2.12', '192.0.2.13'] });
    expect(messagesAt(result.warnings, text, 'min_ttl')).toEqual(['unicast_peer 192.0.2.13: "min_ttl 250" is ignored: TTL limits of unicast adverts are not supported']);
  });

  // Given unicast_fault_no_peer and no peer — alone, with an empty unicast_peer block or with unicast_src_ip, each
  // of which configures unicast in keepalived 2.2.7 —; then refused at its line: keepalived keeps such an instance in
  // fault for good, and run multicast instead it could take the virtual addresses.
  it.each([
    ['alone', ''],
    ['with an empty unicast_peer block', 'unicast_peer {\n}\n'],
    ['with unicast_src_ip', 'unicast_src_ip 192.0.2.11\n'],
  ])('refuses unicast_fault_no_peer without peers (%s)', (_case, before) => {
    const text = conf(`${before}unicast_fault_no_peer`);
    expect(messagesAt(convert(text).errors, text, 'unicast_fault_no_peer')).toEqual([
      'vrrp_instance VI_1: unicast_fault_no_peer without any unicast_peer is refused: keepalived keeps such an instance in fault state for good (never master), which cannot be configured here, and running it multicast instead could take the virtual addresses; give the peers, or remove unicast_fault_no_peer to run multicast',
    ]);
  });

  // Given unicast_fault_no_peer with peers; then it changes nothing, in keepalived either: accepted without a word.
  it('accepts unicast_fault_no_peer with peers without a word', () => {
    const text = conf('unicast_peer {\n    192.0.2.12\n}\nunicast_fault_no_peer');
    const result = convert(text);
    expect(only(result).unicastPeers).toEqual(['192.0.2.12']);
    expect(result.errors).toEqual([]);
    expect(messagesAt(result.warnings, text, 'unicast_fault_no_peer')).toEqual([]);
  });

  // Given unicast_src_ip without any unicast_peer (no unicast_fault_no_peer)
  // then it runs multicast, as keepalived defaults to, and says so at the unicast_src_ip line.
  it('warns that unicast configured without peers runs multicast, as keepalived does', () => {
    const text = conf('unicast_src_ip 192.0.2.11');
    const result = convert(text);
    expect(only(result).unicastPeers).toEqual([]);
    expect(messagesAt(result.warnings, text, 'unicast_src_ip')).toEqual([
      'vrrp_instance VI_1: unicast_src_ip without any unicast_peer: the adverts go multicast, as keepalived defaults to (it calls this usage deprecated); give the peers, or add unicast_fault_no_peer to refuse running without them',
    ]);
  });

  // Given mcast_src_ip; then it is the source address, as unicast_src_ip is.
  it('applies mcast_src_ip as primaryAddress', () => {
    expect(only(convert(conf('mcast_src_ip 192.0.2.11'))).primaryAddress).toBe('192.0.2.11');
  });

  // Given v3_checksum_as_v2 on a VRRPv3 IPv4 instance; then the RFC 9568 checksum.
  it('applies v3_checksum_as_v2 as v3Ipv4Checksum rfc9568', () => {
    expect(only(convert(conf('version 3\nv3_checksum_as_v2'))).v3Ipv4Checksum).toBe('rfc9568');
  });

  // Given a VRRPv3 IPv4 instance without it; then keepalived's pseudo-header checksum, written out.
  it("writes out keepalived's pseudo-header checksum for VRRPv3 over IPv4", () => {
    expect(only(convert(conf('version 3'))).v3Ipv4Checksum).toBe('pseudo-header');
  });
});

describe('vrrp_instance: authentication, preemption, announcements', () => {
  // Given PASS authentication on VRRPv2; then simple authentication.
  it('applies authentication PASS as simple authentication', () => {
    expect(only(convert(conf('authentication {\n    auth_type PASS\n    auth_pass secret\n}'))).authentication).toEqual({ type: 'simple', password: 'secret' });
  });

  // Given a password longer than 8; then keepalived's first 8 characters, with a warning.
  it('keeps the first 8 characters of a longer auth_pass, as keepalived does, and warns', () => {
    const text = conf('authentication {\n    auth_type PASS\n    auth_pass 0123456789\n}');
    const result = convert(text);
    expect(only(result).authentication).toEqual({ type: 'simple', password: '01234567' });
    expect(messagesAt(result.warnings, text, 'auth_pass')).toEqual(['auth_pass: only the first 8 characters are used ("01234567"), as keepalived does']);
  });

  // Given authentication on VRRPv3; then ignored, as keepalived does.
  it('ignores authentication on VRRPv3, as keepalived does, and warns', () => {
    const text = conf('version 3\nauthentication {\n    auth_type PASS\n    auth_pass secret\n}');
    const result = convert(text);
    expect(only(result).authentication).toEqual({ type: 'none' });
    expect(messagesAt(result.warnings, text, 'authentication {')).toEqual(['vrrp_instance VI_1: authentication is ignored: VRRPv3 has none (RFC 9568), as keepalived does']);
  });

  // Given AH authentication; then refused.
  it('refuses auth_type AH', () => {
    const text = conf('authentication {\n    auth_type AH\n    auth_pass secret\n}');
    expect(messagesAt(convert(text).errors, text, 'authentication {')).toEqual(['vrrp_instance VI_1: auth_type AH (IPsec AH) is refused: not supported; use PASS or none']);
  });

  // Given nopreempt on a BACKUP; then preempt false.
  it('applies nopreempt', () => {
    expect(only(convert(conf('state BACKUP\nnopreempt'))).preempt).toBe(false);
  });

  // Given nopreempt then preempt, and preempt then nopreempt; then the last one wins, as keepalived's flag does.
  // Before, nopreempt won whatever came after it.
  it('takes the last of nopreempt and preempt', () => {
    expect(only(convert(conf('state BACKUP\nnopreempt\npreempt'))).preempt).toBe(true);
    expect(only(convert(conf('state BACKUP\npreempt\nnopreempt'))).preempt).toBe(false);
  });

  // Given nopreempt with state MASTER; then keepalived clears it: so do we, with a warning.
  it('ignores nopreempt with state MASTER, as keepalived does', () => {
    const text = conf('state MASTER\npriority 150\nnopreempt');
    const result = convert(text);
    expect(only(result).preempt).toBe(true);
    expect(messagesAt(result.warnings, text, 'nopreempt')).toEqual(['vrrp_instance VI_1: nopreempt is ignored with state MASTER, as keepalived does']);
  });

  // Given preempt_delay; then preemptDelayMs.
  it('applies preempt_delay in ms', () => {
    expect(only(convert(conf('preempt_delay 2.5'))).preemptDelayMs).toBe(2500);
  });

  // Given garp_master_* in the instance; then they override the global ones.
  it('applies garp_master_delay, _repeat and _refresh of the instance over global_defs', () => {
    const text = conf('garp_master_delay 1\ngarp_master_repeat 3\ngarp_master_refresh 30', 'global_defs {\n  vrrp_garp_master_delay 10\n}');
    expect(only(convert(text)).garp).toEqual({ repeat: 3, delayMs: 1000, refreshMs: 30_000 });
  });

  // Given fractional garp_master_delay / _refresh and garp_master_repeat 0; then what keepalived 2.2.7 makes of them
  // (its parser's strtoul): whole seconds, the fraction cut off, and a repeat of 0 made 1 — each reported. A repeat
  // of 0 taken as written would send no gratuitous ARP at all on a takeover.
  it('reads garp_master_delay and _refresh in whole seconds and makes a repeat of 0 one, as keepalived 2.2.7', () => {
    const text = conf('garp_master_delay 0.5\ngarp_master_repeat 0\ngarp_master_refresh 2.7');
    const result = convert(text);
    expect(only(result).garp).toEqual({ repeat: 1, delayMs: 0, refreshMs: 2000 });
    expect(result.warnings.map((warning) => warning.message)).toEqual([
      'garp_master_delay: keepalived 2.2.7 reads whole seconds, so 0.5 is 0 s here',
      'garp_master_repeat: must be greater than 0; 1, as keepalived sets it',
      'garp_master_refresh: keepalived 2.2.7 reads whole seconds, so 2.7 is 2 s here',
    ]);
  });

  // Given accept; then nothing to report: vrrp accepts traffic to the VIPs anyway.
  it('takes accept silently', () => {
    expect(convert(conf('accept')).warnings).toEqual([]);
  });

  // Given no_accept; then a warning: no firewall rule drops traffic to the VIPs.
  it('reports no_accept', () => {
    const text = conf('no_accept');
    expect(messagesAt(convert(text).warnings, text, 'no_accept')).toEqual([expect.stringMatching(/^no_accept is ignored: vrrp installs no firewall rules/)]);
  });

  // Given smtp_alert; then a warning: no e-mail.
  it('reports smtp_alert', () => {
    const text = conf('smtp_alert');
    expect(messagesAt(convert(text).warnings, text, 'smtp_alert')).toEqual(["smtp_alert is ignored: no e-mail alerts: use notify scripts or the library's events"]);
  });
});

describe('vrrp_instance: notify', () => {
  // Given every notify keyword; then each script string as written (a quoted script keeps its arguments).
  it('imports notify_master, _backup, _fault, _stop and notify as written', () => {
    const text = conf(
      'notify_master "/etc/k/n.sh master"\nnotify_backup /etc/k/backup.sh\nnotify_fault "/etc/k/n.sh fault"\nnotify_stop \'/etc/k/n.sh stop\'\nnotify /etc/k/any.sh',
    );
    expect(only(convert(text)).notify).toEqual({
      master: '/etc/k/n.sh master',
      backup: '/etc/k/backup.sh',
      fault: '/etc/k/n.sh fault',
      stop: '/etc/k/n.sh stop',
      any: '/etc/k/any.sh',
    });
  });

  // Given a user (and group) after the script; then that script runs as them, as keepalived runs it.
  it('imports the user and group after a notify script as that script user', () => {
    const text = conf('notify_master "/etc/k/n.sh master" root\nnotify_backup /etc/k/b.sh postgres dba');
    const result = convert(text);
    expect(only(result).notify).toEqual({ master: '/etc/k/n.sh master', backup: '/etc/k/b.sh', users: { master: 'root', backup: 'postgres:dba' } });
    expect(messagesAt(result.warnings, text, 'notify_master')).toEqual([]);
  });

  // Given an unquoted notify script with an argument (`notify_master /etc/k/n.sh master`: keepalived reads the word
  // as the user to run it as) on a host with no user "master" (scriptUserRefusal says so, as `vrrp run` asks);
  // then the script is left out with a warning at its line that says how to pass an argument, as keepalived ignores
  // it. Before, it was imported silently and failed at every transition.
  it('leaves out a notify script whose user cannot be run as here, and says how to pass an argument', () => {
    const text = conf('notify_master /etc/k/n.sh master\nnotify_backup /etc/k/b.sh');
    const refusal = (user: string): string | undefined => (user.split(':')[0] === 'master' ? 'cannot run as user master: not found in /etc/passwd' : undefined);
    const result = keepalivedToConfig(parseKeepalivedConf(text, { file: 'k.conf' }), { scriptUserRefusal: refusal });
    expect(only(result).notify).toEqual({ backup: '/etc/k/b.sh' });
    // A block whose every script is left out is no notify at all (its user would be warned of at start).
    const none = conf('notify_master /etc/k/n.sh master backup');
    const left = keepalivedToConfig(parseKeepalivedConf(`global_defs {\n    script_user root\n}\n${none}`, { file: 'k.conf' }), { scriptUserRefusal: refusal });
    expect(only(left)).not.toHaveProperty('notify');
    expect(left.warnings.map((warning) => warning.message).filter((message) => message.startsWith('notify_master'))).toEqual([
      'notify_master: cannot run as user master: not found in /etc/passwd: the script is ignored, as keepalived does (the word after the script is the user to run it as; to pass it arguments, quote the script with them: notify_master "/etc/k/n.sh master backup")',
    ]);
    expect(messagesAt(result.warnings, text, 'notify_master')).toEqual([
      'notify_master: cannot run as user master: not found in /etc/passwd: the script is ignored, as keepalived does (the word after the script is the user to run it as; to pass it arguments, quote the script with them: notify_master "/etc/k/n.sh master")',
    ]);
  });

  // Given script_user in global_defs; then every notify script without a user of its own runs as it. Before, the
  // scripts ran as the user running vrrp (root, for most) with no word said.
  it('applies script_user to notify scripts', () => {
    const text = `global_defs {\n    script_user keepalived_script\n}\n${conf('notify_master /etc/k/m.sh\nnotify_backup /etc/k/b.sh root')}`;
    const result = convert(text);
    expect(only(result).notify).toEqual({ master: '/etc/k/m.sh', backup: '/etc/k/b.sh', user: 'keepalived_script', users: { backup: 'root' } });
    expect(result.warnings.map((warning) => warning.message).filter((message) => message.startsWith('notify scripts run as'))).toEqual([]);
  });

  // Given notify scripts and neither script_user nor a user after them; then said once that they run as vrrp's user.
  it('says once that notify scripts without a user run as the user running vrrp', () => {
    const text = conf('notify_master /etc/k/m.sh\nnotify_backup /etc/k/b.sh');
    const result = convert(text);
    expect(result.warnings.map((warning) => warning.message).filter((message) => message.startsWith('notify scripts run as'))).toEqual([
      'notify scripts run as the user running vrrp: keepalived would run them as keepalived_script if that user exists, else as root; set script_user (global_defs) or a user after the script to choose',
    ]);
  });

  // Given notify_master twice; then the first is kept, as keepalived does.
  it('keeps the first of two notify_master lines, as keepalived does', () => {
    const text = conf('notify_master /a.sh\nnotify_master /b.sh');
    const result = convert(text);
    expect(only(result).notify).toEqual({ master: '/a.sh' });
    expect(messagesAt(result.warnings, text, 'notify_master /b.sh')).toEqual(['notify_master is set twice; the first one is kept, as keepalived does']);
  });
});

describe('vrrp_instance: track_* weight overrides', () => {
  // Given a script weight 2 and an override weight -5 noreverse; then the override wins.
  it("overrides a script's weight and reverse in track_script", () => {
    const text = conf('track_script {\n    chk weight -5 noreverse\n}', script('    weight 2 reverse'));
    expect(tracker(convert(text))).toMatchObject({ weight: -5, reverse: false });
  });

  // Given track_interface with and without weight; then interface trackers, weight 0 by default.
  it('imports track_interface entries, weight 0 unless given', () => {
    const text = conf('track_interface {\n    eth1\n    eth2 weight -20 reverse\n}');
    expect(only(convert(text)).trackers).toEqual([
      { type: 'interface', name: 'eth1', interface: 'eth1', weight: 0, fall: 1, rise: 1, reverse: false, initFail: false },
      { type: 'interface', name: 'eth2', interface: 'eth2', weight: -20, fall: 1, rise: 1, reverse: true, initFail: false },
    ]);
  });

  // Given weight 254 on an interface; then 253, as keepalived clamps it.
  it('clamps an interface or script weight of ±254 to ±253, as keepalived does', () => {
    const text = conf('track_interface {\n    eth1 weight -254\n}');
    const result = convert(text);
    expect(tracker(result)).toMatchObject({ weight: -253 });
    expect(messagesAt(result.warnings, text, 'eth1 weight')).toEqual(['track_interface eth1: weight -254 set to -253, as keepalived does']);
  });

  // Given track_file and track_process overrides; then they apply.
  it('overrides track_file and track_process weights', () => {
    const outside = 'track_file f {\n    file /run/f\n}\nvrrp_track_process p {\n    process app\n}';
    const text = conf('track_file {\n    f weight -3 reverse\n}\ntrack_process {\n    p weight 7\n}', outside);
    expect(only(convert(text)).trackers.map((t) => [t.type, t.weight, t.reverse])).toEqual([
      ['file', -3, true],
      ['process', 7, false],
    ]);
  });

  // Given an entry with an option other than weight; then keepalived drops the entry; so do we, with a warning.
  it('drops a track entry with an unknown option, as keepalived does, and warns', () => {
    const text = conf('track_interface {\n    eth1 wieght 5\n}');
    const result = convert(text);
    expect(only(result).trackers).toEqual([]);
    expect(messagesAt(result.warnings, text, 'wieght')).toEqual(['track_interface eth1: expected "weight N" after the name, got "wieght 5"; entry ignored, as keepalived does']);
  });

  // Given a script and an interface of the same name; then the second is renamed with its kind.
  it('renames a tracker whose name another tracker of the instance has', () => {
    const text = conf('track_script {\n    eth1\n}\ntrack_interface {\n    eth1\n}', script('', 'eth1'));
    expect(only(convert(text)).trackers.map((t) => t.name)).toEqual(['eth1', 'interface:eth1']);
  });

  // Given priority 255 and weighted trackers; then keepalived drops them (an owner never moves): so do we.
  it('drops weighted trackers of an address owner, as keepalived does', () => {
    const text = conf('priority 255\ntrack_script {\n    chk weight 5\n}\ntrack_interface {\n    eth1\n}', script(''));
    const result = convert(text);
    expect(only(result).trackers.map((t) => t.name)).toEqual(['eth1']);
    expect(messagesAt(result.warnings, text, 'chk weight 5')).toEqual([
      'vrrp_instance VI_1: weighted track_script chk ignored because an address owner (priority 255) never changes priority, as keepalived does',
    ]);
  });
});

describe('vrrp_instance: virtual_routes', () => {
  // Given keepalived's own examples (keepalived.conf(5)); then each becomes the route keepalived would make.
  it("reads keepalived's route lines: src, to, via or gw, dev, table, metric, types and default", () => {
    const text = conf(
      [
        'virtual_routes {',
        '    src 192.0.2.1 to 192.168.109.0/24 via 192.0.2.254 dev eth1 no_track',
        '    192.168.112.0/24 via 192.0.2.254',
        '    blackhole 192.168.114.0/24',
        '    unreachable 192.168.115.0/24 metric 7',
        '    0.0.0.0/0 gw 192.0.2.1 table 100',
        '    default via inet 192.0.2.1 table main scope link',
        '    inet6 default dev eth0',
        '    blackhole any table 5',
        '}',
      ].join('\n'),
    );
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(only(result).virtualRoutes).toEqual([
      { src: '192.0.2.1', to: '192.168.109.0/24', via: '192.0.2.254', dev: 'eth1', scope: 'global' },
      { to: '192.168.112.0/24', via: '192.0.2.254', scope: 'global' },
      { type: 'blackhole', to: '192.168.114.0/24', scope: 'global' },
      { type: 'unreachable', to: '192.168.115.0/24', metric: 7, scope: 'global' },
      { to: '0.0.0.0/0', via: '192.0.2.1', table: 100, scope: 'global' },
      { to: '0.0.0.0/0', via: '192.0.2.1', table: 254, scope: 'link' },
      { to: '::/0', dev: 'eth0', scope: 'global' },
      { type: 'blackhole', to: '0.0.0.0/0', table: 5, scope: 'global' },
    ]);
  });

  // Given routes keepalived tracks (a dev, no no_track) and does not; then both import without a word: vrrp puts
  // back any of its routes deleted while master (keepalived's tracking comes to that too, through a backup bounce).
  it('imports tracked and untracked routes alike, without a warning', () => {
    const text = conf('virtual_routes {\n    192.168.111.0/24 dev eth2\n    192.168.112.0/24 dev eth2 no_track\n}');
    const result = convert(text);
    expect([result.warnings, result.errors]).toEqual([[], []]);
    expect(only(result).virtualRoutes).toHaveLength(2);
  });

  // Given options that change the route (multipath, MTU) or a type vrrp does not make; then each is an error at its line.
  it.each([
    ['192.168.113.0/24 via 192.0.2.254 or 192.0.2.253 dev eth1', /: or is not supported: the route would not be the one keepalived makes$/],
    ['192.168.113.0/24 via 192.0.2.254 mtu 1400', /: mtu is not supported/],
    ['local 192.168.113.0/24 dev eth1', /: local routes are not supported \(unicast, blackhole, unreachable and prohibit are\)$/],
    ['192.168.113.0/24 via 192.0.2.254 table bird', /: table bird: give its number/],
    ['via 192.0.2.254', /: a route must have a destination$/],
    ['192.168.113.0/24 via', /: expected an address after via$/],
    ['192.168.113.0/24 frobnicate 1', /: unknown route keyword frobnicate$/],
    // keepalived 2.2.7 looks for the type before `to` only: after it, the type is taken for the destination.
    ['to unreachable 192.168.115.0/24', /: unknown route keyword unreachable$/],
    ['192.168.113.0/24 via 192.0.2.254 scope nowhere', /: scope nowhere is not one of global, site, link, host$/],
  ])('refuses "%s"', (route, message) => {
    const text = conf(`virtual_routes {\n    ${route}\n}`);
    expect(messagesAt(convert(text).errors, text, route)).toEqual([expect.stringMatching(message)]);
  });

  // Given a route the config refuses (host bits set); then the schema's message is reported at the route's line.
  it("reports the config's objection to a route at the route's line", () => {
    const text = conf('virtual_routes {\n    10.9.0.5/24 via 192.0.2.254\n}');
    expect(messagesAt(convert(text).errors, text, '10.9.0.5/24')).toEqual(['vrrp_instance VI_1: virtualRoutes.0.to: 10.9.0.5/24 has host bits set: the network is 10.9.0.0/24']);
  });
});

describe('vrrp_instance: virtual addresses beyond one advert', () => {
  const v6conf = (count: number): string =>
    `vrrp_instance V6 {\n    interface eth0\n    virtual_router_id 61\n    virtual_ipaddress {\n${Array.from({ length: count }, (_, i) => `        2001:db8::${(i + 1).toString(16)}/64`).join('\n')}\n    }\n    virtual_ipaddress_excluded {\n        192.0.2.9/24\n    }\n}\n`;
  const convertWith = (text: string, mtu?: number): KeepalivedImport =>
    keepalivedToConfig(parseKeepalivedConf(text, { file: 'k.conf' }), mtu === undefined ? {} : { interfaceMtu: (ifname) => (ifname === 'eth0' ? mtu : undefined) });

  // keepalived 2.2.7 counts an Ethernet, IPv6 and VRRP header against the MTU: 89 IPv6 addresses at 1500. Peers
  // must advertise the same list, so the rest go where keepalived puts them, after the configured excluded ones.
  it('moves the IPv6 addresses past 89 at MTU 1500 to the excluded ones, as keepalived does, and says so', () => {
    const result = convertWith(v6conf(92), 1500);
    const instance = only(result);
    expect(instance.virtualAddresses).toHaveLength(89);
    expect(instance.virtualAddresses.at(-1)).toBe('2001:db8::59/64');
    expect(instance.excludedAddresses).toEqual(['192.0.2.9/24', '2001:db8::5a/64', '2001:db8::5b/64', '2001:db8::5c/64']);
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((warning) => warning.message)).toEqual([
      'vrrp_instance V6: 92 virtual addresses do not fit in one advert at MTU 1500, which carries 89: the last 3 are held as excluded addresses, never advertised, as keepalived does',
    ]);
  });

  it('keeps them all where the MTU has room (9000: 255), and assumes 1500 when it cannot read the MTU', () => {
    expect(only(convertWith(v6conf(92), 9000)).virtualAddresses).toHaveLength(92);
    expect(only(convertWith(v6conf(89), 1500)).excludedAddresses).toEqual(['192.0.2.9/24']);
    const assumed = convertWith(v6conf(90));
    expect(only(assumed).virtualAddresses).toHaveLength(89);
    expect(assumed.warnings.map((warning) => warning.message)).toEqual([
      "vrrp_instance V6: 90 virtual addresses do not fit in one advert at MTU 1500 (assumed: keepalived reads eth0's where it runs), which carries 89: the last one is held as an excluded address, never advertised, as keepalived does",
    ]);
  });
});

describe('vrrp_instance: virtual_rules', () => {
  // Given keepalived's own examples and more; then each becomes the rule keepalived would make.
  it("reads keepalived's rule lines: from, to, table or lookup, an action, preference, fwmark, iif and oif, not", () => {
    const text = conf(
      [
        'virtual_rules {',
        '    from 192.168.2.0/24 table 1 preference 100 no_track',
        '    to 192.168.3.0/24 lookup main priority 101 no_track',
        '    not from all fwmark 0x10/0xff iif eth1 oif eth0 type prohibit order 102 no_track',
        '    inet6 fwmark 7 unreachable preference 103 no_track',
        '}',
      ].join('\n'),
    );
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(only(result).virtualRules).toEqual([
      { from: '192.168.2.0/24', table: 1, priority: 100 },
      { to: '192.168.3.0/24', table: 254, priority: 101 },
      { invert: true, fwmark: 16, fwmask: 255, iif: 'eth1', oif: 'eth0', action: 'prohibit', priority: 102 },
      { fwmark: 7, action: 'unreachable', priority: 103, family: 'ipv6' },
    ]);
  });

  // Given rules without a preference; then each gets the one keepalived 2.2.7 gives it — 16384 and down, per
  // family, over the file in reading order — reported as keepalived reports it.
  it('gives a rule without a preference the one keepalived would, and says so', () => {
    const other = 'vrrp_instance VI_2 {\n    interface eth0\n    virtual_router_id 52\n    virtual_ipaddress {\n        192.0.2.2/24\n    }\n    virtual_rules {\n        from 10.2.0.0/16 table 2 no_track\n    }\n}\n';
    const text = `${conf('virtual_rules {\n    from 10.1.0.0/16 table 1 no_track\n    from 2001:db8::/32 table 3 no_track\n}')}${other}`;
    const result = convert(text);
    expect(result.config.instances.flatMap((instance) => (instance.virtualRules ?? []).map((rule) => rule.priority))).toEqual([16384, 16384, 16383]);
    expect(messagesAt(result.warnings, text, '10.2.0.0/16')).toEqual([
      'virtual_rules "from 10.2.0.0/16 table 2 no_track": no preference: 16383, the one keepalived gives it (16384 and down, in reading order); probably not what you want',
    ]);
  });

  // Given a rule keepalived tracks (no no_track); then it imports without a word, as a route does.
  it('imports a tracked rule without a warning', () => {
    const text = conf('virtual_rules {\n    from 192.168.2.0/24 table 1 preference 100\n}');
    const result = convert(text);
    expect([result.warnings, result.errors]).toEqual([[], []]);
  });

  it.each([
    ['from 10.0.0.0/8 table 1 preference 5 goto 10', /: goto is not supported: the rule would not be the one keepalived makes$/],
    ['from 10.0.0.0/8 table 1 sport 80', /: sport is not supported/],
    ['from 10.0.0.0/8 preference 5', /: no action \(table, blackhole, unreachable, prohibit\): keepalived ignores the rule; remove it or give one$/],
    ['from 10.0.0.0/8 table 1 preference 5 frobnicate', /: unknown rule option frobnicate$/],
    ['from 10.0.0.0/8 table bird preference 5', /: table bird: give its number/],
    ['from ten table 1', /: from ten is not an address or address\/prefix$/],
  ])('refuses "%s"', (rule, message) => {
    const text = conf(`virtual_rules {\n    ${rule}\n}`);
    expect(messagesAt(convert(text).errors, text, rule)).toEqual([expect.stringMatching(message)]);
  });
});

describe('vrrp_instance: routing tables by name or number', () => {
  /** This host's names, as readRouteTableNames gives them from /etc/iproute2/rt_tables. */
  const hostTables = new Map([
    ['isp2', 100],
    ['main', 7], // a file may rename a reserved number's table; its line wins, as in keepalived
  ]);
  const convertWith = (text: string, routeTables?: ReadonlyMap<string, number>): KeepalivedImport =>
    keepalivedToConfig(parseKeepalivedConf(text, { file: 'k.conf' }), routeTables === undefined ? {} : { routeTables });
  const routing = (route: string, rule: string): string => conf(`virtual_routes {\n    ${route}\n}\nvirtual_rules {\n    ${rule}\n}`);

  // keepalived 2.2.7 resolves `table NAME` from the host's rt_tables as it starts (find_rttables_table).
  it("resolves a route's and a rule's table named in the host's rt_tables", () => {
    const result = convertWith(routing('10.8.0.0/16 via 192.0.2.254 table isp2', 'from 10.8.0.0/16 lookup isp2 preference 100'), hostTables);
    expect(result.errors).toEqual([]);
    expect(only(result).virtualRoutes?.[0]?.table).toBe(100);
    expect(only(result).virtualRules?.[0]?.table).toBe(100);
  });

  it("takes the file's line for a name it gives, and the reserved names for the rest", () => {
    const result = convertWith(routing('10.8.0.0/16 via 192.0.2.254 table main', 'from 10.8.0.0/16 table local preference 100'), hostTables);
    expect([only(result).virtualRoutes?.[0]?.table, only(result).virtualRules?.[0]?.table]).toEqual([7, 255]);
  });

  // strtoul with base 0, as keepalived and iproute2 read a table: 0x64 and 0144 are both table 100.
  it('reads a table number as keepalived does: decimal, 0x hexadecimal, 0 octal', () => {
    for (const written of ['100', '0x64', '0144']) {
      const result = convertWith(routing(`10.8.0.0/16 via 192.0.2.254 table ${written}`, `from 10.8.0.0/16 table ${written} preference 100`));
      expect([only(result).virtualRoutes?.[0]?.table, only(result).virtualRules?.[0]?.table], written).toEqual([100, 100]);
    }
  });

  it('refuses a name the host does not have, saying where it looked', () => {
    const text = routing('10.8.0.0/16 via 192.0.2.254 table bird', 'from 10.8.0.0/16 table bird preference 100');
    expect(convertWith(text, hostTables).errors.map((issue) => issue.message)).toEqual([
      expect.stringMatching(/: table bird: not a number, and not a table named in \/etc\/iproute2\/rt_tables \(nor default, main, local\)$/),
      expect.stringMatching(/: table bird: not a number, and not a table named in \/etc\/iproute2\/rt_tables \(nor default, main, local\)$/),
    ]);
  });

  // keepalived 2.2.7 takes a route's table 0, which the kernel puts in main, and refuses a rule's ("Table 0 is not
  // valid"); the config's tables are 1 and up.
  it("imports a route's table 0 as main, said, and refuses a rule's", () => {
    const result = convertWith(routing('10.8.0.0/16 via 192.0.2.254 table 0', 'from 10.8.0.0/16 table unspec preference 100'), new Map([['unspec', 0]]));
    expect(result.warnings.map((issue) => issue.message)).toEqual([expect.stringMatching(/: table 0 is table 0 \(unspec\), where the kernel puts a route in main: imported as table 254$/)]);
    expect(result.errors.map((issue) => issue.message)).toEqual([expect.stringMatching(/: table unspec is table 0 \(unspec\), which a rule cannot look up$/)]);
  });

  it('refuses a number past 2^32 − 1 as such, and what is not a number at all (08 is not octal)', () => {
    const text = routing('10.8.0.0/16 via 192.0.2.254 table 4294967296', 'from 10.8.0.0/16 table 08 preference 100');
    expect(convertWith(text, hostTables).errors.map((issue) => issue.message)).toEqual([
      expect.stringMatching(/: table 4294967296 is past the largest table number, 4294967295$/),
      expect.stringMatching(/: table 08: not a number, and not a table named/),
    ]);
  });
});

describe('vrrp_instance: use_vmac', () => {
  // Given use_vmac alone; then the instance gets a VMAC of keepalived's default name, and nothing is said.
  it('imports use_vmac as vmac: true', () => {
    const result = convert(conf('    use_vmac'));
    expect(only(result).vmac).toBe(true);
    expect([...result.errors, ...result.warnings]).toEqual([]);
  });

  // Given use_vmac with a name, and vmac_xmit_base; then both are kept.
  it('keeps the VMAC name and vmac_xmit_base', () => {
    expect(only(convert(conf('    use_vmac vmac51'))).vmac).toEqual({ name: 'vmac51' });
    expect(only(convert(conf('    use_vmac\n    vmac_xmit_base'))).vmac).toEqual({ xmitBase: true });
  });

  // Given a global vmac_prefix; then a VMAC without a name is <prefix>.<VRID>, as keepalived names it.
  it('names a VMAC without a name after vmac_prefix', () => {
    const result = convert(conf('    use_vmac', 'global_defs {\n    vmac_prefix vmac\n}'));
    expect(only(result).vmac).toEqual({ name: 'vmac.51' });
    expect([...result.errors, ...result.warnings]).toEqual([]);
    expect(only(convert(conf('    use_vmac mine', 'global_defs {\n    vmac_prefix vmac\n}'))).vmac).toEqual({ name: 'mine' });
  });

  // Given an IPv4 and an IPv6 instance of one VRID, both with use_vmac; then they get keepalived's names in file order
  // (the run would otherwise give vrrp.51 to whichever started first); a single instance's is left to the run.
  it('names the VMACs of one VRID in two families in file order, as keepalived does', () => {
    const text = [
      'vrrp_instance V4 {\n    interface eth0\n    virtual_router_id 51\n    use_vmac\n    virtual_ipaddress {\n        192.0.2.1/24\n    }\n}',
      'vrrp_instance V6 {\n    interface eth0\n    virtual_router_id 51\n    use_vmac\n    virtual_ipaddress {\n        2001:db8::1/64\n    }\n}',
      'vrrp_instance OTHER {\n    interface eth0\n    virtual_router_id 52\n    use_vmac\n    virtual_ipaddress {\n        192.0.2.2/24\n    }\n}',
    ].join('\n');
    const result = convert(text);
    expect(result.errors).toEqual([]);
    expect(result.config.instances.map((instance) => instance.vmac)).toEqual([{ name: 'vrrp.51' }, { name: 'vrrp6.51' }, true]);
  });

  // With vmac_prefix, the names of two VMACs of one VRID in file order: the IPv6 one first takes <prefix>.N, the
  // IPv4 one then <prefix>1.N, as keepalived's would.
  it('gives the second VMAC of one VRID the next name in file order with vmac_prefix: <prefix>1.N for IPv4', () => {
    const text = [
      'global_defs {\n    vmac_prefix vm\n}',
      'vrrp_instance V6 {\n    interface eth0\n    virtual_router_id 51\n    use_vmac\n    virtual_ipaddress {\n        2001:db8::1/64\n    }\n}',
      'vrrp_instance V4 {\n    interface eth0\n    virtual_router_id 51\n    use_vmac\n    virtual_ipaddress {\n        192.0.2.1/24\n    }\n}',
    ].join('\n');
    expect(convert(text).config.instances.map((instance) => instance.vmac)).toEqual([{ name: 'vm.51' }, { name: 'vm1.51' }]);
  });

  // Given use_vmac with a MAC of one's own (keepalived takes one); then an error at its line says why not.
  it('refuses a MAC of your own', () => {
    const text = conf('    use_vmac vmac51 02:11:22:33:44:55');
    expect(messagesAt(convert(text).errors, text, 'use_vmac')).toEqual([expect.stringMatching(/^use_vmac 02:11:22:33:44:55: a MAC of your own is refused/)]);
  });

  // Given use_vmac with unicast peers and no vmac_xmit_base; then xmit base is turned on, as keepalived does, and said.
  it('turns vmac_xmit_base on for unicast peers, saying so', () => {
    const text = conf('    use_vmac\n    unicast_peer {\n        192.0.2.2\n    }');
    const result = convert(text);
    expect(only(result).vmac).toEqual({ xmitBase: true });
    expect(messagesAt(result.warnings, text, 'use_vmac')).toEqual([expect.stringMatching(/vmac_xmit_base\), as keepalived turns it on$/)]);
  });

  // Given use_vmac with unicast configured (unicast_src_ip) but no peer; then xmit base is turned on all the same, as
  // keepalived 2.2.7 keys it on unicast being configured, not on peers, and said.
  it('turns vmac_xmit_base on for unicast configured without peers, saying so', () => {
    const text = conf('    use_vmac\n    unicast_src_ip 192.0.2.11');
    const result = convert(text);
    expect(only(result).vmac).toEqual({ xmitBase: true });
    expect(messagesAt(result.warnings, text, 'use_vmac')).toEqual([
      `use_vmac with unicast configured (unicast_src_ip at ${at(text, 'unicast_src_ip')}): the adverts go from the interface itself (vmac_xmit_base), as keepalived turns it on`,
    ]);
  });

  // Given vmac_xmit_base without use_vmac; then no VMAC, and a warning that it is ignored.
  it('ignores vmac_xmit_base without use_vmac, saying so', () => {
    const text = conf('    vmac_xmit_base');
    const result = convert(text);
    expect(only(result).vmac).toBeUndefined();
    expect(messagesAt(result.warnings, text, 'vmac_xmit_base')).toEqual(['vmac_xmit_base without use_vmac is ignored, as keepalived ignores it']);
  });
});

describe('vrrp_instance: refused and unknown keywords', () => {
  // Given keywords whose absence would change the network's view; then each is an error at its line.
  it.each([
    ['use_ipvlan', /^use_ipvlan is refused: ipvlan interfaces are not supported/],
    ['use_vmac_addr', /^use_vmac_addr is refused: VMACs for the addresses on other interfaces are not supported/],
    ['mcast_dst_ip 239.1.1.1', /^mcast_dst_ip is refused/],
    ['track_bfd {\n    b1\n}', /^track_bfd is refused: BFD is not supported/],
  ])('refuses %s', (line, message) => {
    const text = conf(line);
    expect(messagesAt(convert(text).errors, text, line.split('\n')[0] ?? line)).toEqual([expect.stringMatching(message)]);
  });

  // Given a misspelt keyword; then a warning names it, its block, its line, and the keyword it is nearest to.
  it('reports an unknown keyword with its block at its line, and the keyword it may have meant', () => {
    const text = conf('virtual_ipadress {\n    192.0.2.9\n}');
    expect(messagesAt(convert(text).warnings, text, 'virtual_ipadress')).toEqual(['virtual_ipadress is not a vrrp_instance keyword known here; ignored with its block (did you mean virtual_ipaddress?)']);
    const typo = conf('priorty 101');
    expect(messagesAt(convert(typo).warnings, typo, 'priorty')).toEqual(['priorty is not a vrrp_instance keyword known here; ignored (did you mean priority?)']);
  });

  // Given a word near no keyword of its block; then no guess is offered.
  it('guesses nothing for a word far from every keyword of its block', () => {
    const text = conf('frobnicate_the_widgets yes');
    expect(messagesAt(convert(text).warnings, text, 'frobnicate')).toEqual(['frobnicate_the_widgets is not a vrrp_instance keyword known here; ignored']);
  });

  // Given a schema problem only visible on the whole instance (a label too long); then an error at its line.
  it('reports a problem the config schema finds at the keepalived line that set the field', () => {
    const text = conf('virtual_ipaddress {\n    192.0.2.2/24 label eth0:a-very-long-label\n}');
    expect(messagesAt(convert(text).errors, text, 'a-very-long-label')).toEqual(['vrrp_instance VI_1: virtualAddresses.1.label: must be at most 15 bytes (IFNAMSIZ)']);
  });
});

describe('vrrp_sync_group', () => {
  const pair = (group: string, outside = '', bodyA = ''): string =>
    `${outside}\nvrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1\n  }\n${bodyA}\n}\nvrrp_instance B {\n  interface eth1\n  virtual_router_id 2\n  virtual_ipaddress {\n    198.51.100.1\n  }\n}\n${group}`;

  // Given a group of A and B with notify scripts; then a group with its members and notify.
  it('imports the group, its members and its notify scripts', () => {
    const result = convert(pair('vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  notify_master "/g.sh master"\n  notify /g-any.sh\n}\n'));
    expect(result.config.groups).toEqual([{ name: 'G', members: ['A', 'B'], notify: { master: '/g.sh master', any: '/g-any.sh' } }]);
  });

  // Given a member with state MASTER below 255; then it keeps its wish: keepalived shortens a sync group member's first
  // Master_Down_Timer to one interval and the smallest skew, as initialState 'master' does — and says nothing.
  it("keeps state MASTER of a sync group member as initialState master, as keepalived starts it", () => {
    const result = convert(pair('vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n}\n', '', 'state MASTER\npriority 150'));
    expect(result.config.instances.map((i) => i.initialState)).toEqual(['master', 'backup']);
    expect(result.warnings.map((w) => w.message).filter((m) => m.includes('state MASTER'))).toEqual([]);
  });

  // Given group-level track_script and track_interface; then every member tracks them.
  it("adds the group's trackers to every member", () => {
    const result = convert(pair('vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  track_script {\n    chk\n  }\n  track_interface {\n    eth9\n  }\n}\n', script('')));
    expect(result.config.instances.map((i) => i.trackers.map((t) => t.name))).toEqual([
      ['chk', 'eth9'],
      ['chk', 'eth9'],
    ]);
  });

  // Given a group whose member A is an address owner (255) and a weighted group-level track_script; then every
  // member tracks it with weight 0 (down means fault), the owner too, as keepalived 2.2.7's
  // sync_group_tracking_init clears the weights of a group with an owner — not dropped for the owner, nor weighted
  // for the others.
  it("makes a group's weighted trackers fault trackers for every member when one is an address owner", () => {
    const text = pair('vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  track_script {\n    chk weight 10\n  }\n}\n', script(''), 'priority 255');
    const result = convert(text);
    expect(result.config.instances.map((i) => i.trackers.map((t) => `${t.name} ${t.weight}`))).toEqual([['chk 0'], ['chk 0']]);
    expect(messagesAt(result.warnings, text, 'chk weight 10')).toEqual([
      "vrrp_instance A: sync group G's track_script chk weight 10 set to 0 (down means fault) because a member is an address owner (priority 255), as keepalived does",
      "vrrp_instance B: sync group G's track_script chk weight 10 set to 0 (down means fault) because a member is an address owner (priority 255), as keepalived does",
    ]);
  });

  // Given a script tracked by member A (weight 10, kept by sync_group_tracking_weight) and by the group (weight 20
  // reverse); then one tracker with the group's weight and reverse, as keepalived 2.2.7's add_vrrp_to_track_script
  // updates the instance's entry — not the instance's, which the second mention used to leave as it was.
  it("uses the group's weight for a script both a member and its group track, as keepalived does", () => {
    const group = 'vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  sync_group_tracking_weight\n  track_script {\n    chk weight 20 reverse\n  }\n}\n';
    const text = pair(group, script(''), 'track_script {\n    chk weight 10\n}');
    const result = convert(text);
    expect(result.config.instances[0]?.trackers.map((t) => ({ name: t.name, weight: t.weight, reverse: t.reverse }))).toEqual([{ name: 'chk', weight: 20, reverse: true }]);
    expect(messagesAt(result.warnings, text, 'chk weight 20')).toEqual([
      "vrrp_instance A: track_script chk is tracked by the instance and by sync group G; the group's weight 20 is used, as keepalived does",
    ]);
  });

  // Given the same with the member's entry unweighted; then it stays unweighted (a fault tracker), as keepalived keeps it.
  it("keeps a member's unweighted entry for a script its group tracks with a weight", () => {
    const group = 'vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  track_script {\n    chk weight 20\n  }\n}\n';
    const result = convert(pair(group, script(''), 'track_script {\n    chk\n}'));
    expect(result.config.instances.map((i) => i.trackers.map((t) => `${t.name} ${t.weight}`))).toEqual([['chk 0'], ['chk 20']]);
  });

  // Given a group tracking a script defined after the group; then ignored for every member, as keepalived does.
  it('ignores a group track of a script defined after the group, as keepalived does', () => {
    const text = `${pair('vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  track_script {\n    chk\n  }\n}\n')}${script('')}`;
    const result = convert(text);
    expect(result.config.instances.map((i) => i.trackers)).toEqual([[], []]);
    // Said once, at the group's line, for both members.
    expect(messagesAt(result.warnings, text, '    chk').filter((m) => m.includes('defined after this block'))).toHaveLength(1);
  });

  // Given a member's own weighted script; then keepalived ignores it inside a group: so do we, with a warning.
  it("drops a member's weighted tracker unless sync_group_tracking_weight, as keepalived does", () => {
    const text = pair('vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n}\n', script(''), 'track_script {\n    chk weight 10\n}');
    const result = convert(text);
    expect(result.config.instances[0]?.trackers).toEqual([]);
    expect(messagesAt(result.warnings, text, 'chk weight 10')).toEqual([
      'vrrp_instance A: weighted track_script chk ignored because it is in sync group G without sync_group_tracking_weight, as keepalived does',
    ]);
  });

  // Given a member's own weighted track_interface, no sync_group_tracking_weight; then kept weighted: keepalived 2.2.7
  // logs that it ignores the weight in a sync group, yet applies it (a lab run: priority 150 → 90 when the interface
  // went down, and the group stayed master as ours does with the weight kept).
  it("keeps a member's weighted track_interface in a group, as keepalived applies it despite its log", () => {
    const text = pair('vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n}\n', '', 'track_interface {\n    eth9 weight -60\n}');
    const result = convert(text);
    expect(result.config.instances[0]?.trackers.map((t) => `${t.name} ${t.weight}`)).toEqual(['eth9 -60']);
    expect(messagesAt(result.warnings, text, 'eth9 weight -60')).toEqual([
      'vrrp_instance A: track_interface eth9 weight -60 kept: keepalived 2.2.7 logs that it ignores it in sync group G but applies it',
    ]);
  });

  // Given sync_group_tracking_weight; then members keep their weighted trackers.
  it('keeps weighted member trackers with sync_group_tracking_weight', () => {
    const text = pair('vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  sync_group_tracking_weight\n}\n', script(''), 'track_script {\n    chk weight 10\n}');
    expect(convert(text).config.instances[0]?.trackers.map((t) => t.weight)).toEqual([10]);
  });

  // Given a member that does not exist; then ignored with a warning, as keepalived does.
  it('ignores a member that is no vrrp_instance, with a warning', () => {
    const text = pair('vrrp_sync_group G {\n  group {\n    A\n    B\n    C\n  }\n}\n');
    const result = convert(text);
    expect(result.config.groups[0]?.members).toEqual(['A', 'B']);
    expect(messagesAt(result.warnings, text, '    C')).toEqual(['vrrp_sync_group G: no vrrp_instance C; ignored, as keepalived does']);
  });

  // Given an instance in two groups; then it stays in the first.
  it('keeps an instance in the first of two groups that name it', () => {
    const result = convert(pair('vrrp_sync_group G1 {\n  group {\n    A\n    B\n  }\n}\nvrrp_sync_group G2 {\n  group {\n    A\n  }\n}\n'));
    expect(result.config.groups.map((g) => [g.name, g.members])).toEqual([['G1', ['A', 'B']]]);
    expect(result.warnings.map((w) => w.message)).toEqual(['vrrp_sync_group G2 has no instance; removed, as keepalived does', 'vrrp_sync_group G2: A is already in sync group G1; ignored here, as keepalived does']);
  });
});

describe('top level', () => {
  // Given an LVS virtual_server; then refused: the LVS half would not be set up.
  it('refuses virtual_server (LVS)', () => {
    const text = conf('', 'virtual_server 192.0.2.1 80 {\n  delay_loop 6\n}');
    expect(messagesAt(convert(text).errors, text, 'virtual_server')).toEqual([expect.stringMatching(/^virtual_server is refused: LVS is not supported/)]);
  });

  // Given static_routes; then refused: the routes would not be set.
  it('refuses static_routes', () => {
    const text = conf('', 'static_routes {\n  10.9.0.0/16 via 192.0.2.254\n}');
    expect(messagesAt(convert(text).errors, text, 'static_routes')).toEqual([expect.stringMatching(/^static_routes is refused/)]);
  });

  // Given "$VIP = …" (a blank before '='), which keepalived 2.2.7 does not take as a definition; then the line is
  // reported as an unknown keyword at its line, as any unknown line is, next to the parser's note on how to define.
  it('reports $NAME = VALUE, with a blank before =, as an unknown line', () => {
    const text = conf('', '$VIP = 192.0.2.1/24');
    expect(messagesAt(convert(text).warnings, text, '$VIP')).toEqual([
      '"$VIP = 192.0.2.1/24" is not a definition: keepalived 2.2.7 reads one only as $NAME=VALUE, with no blank before the =, and reads this as an ordinary line',
      '$VIP is not a top-level keyword known here; ignored',
    ]);
  });

  // Given no instance at all; then an error: there is nothing to run.
  it('refuses a configuration without vrrp_instance', () => {
    expect(convert('global_defs {\n  router_id x\n}\n').errors).toEqual([{ path: 'k.conf:1', message: 'no vrrp_instance: expected at least one' }]);
  });

  // Given issues from several places; then they come in the order of the configuration.
  it('lists warnings in configuration order', () => {
    const text = conf('smtp_alert\nadvert_int 0.5', 'global_defs {\n  vrrp_strict\n}');
    const lines = convert(text).warnings.map((w) => Number(w.path.split(':')[1]));
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });
});
