/**
 * Reading keepalived.conf from disk: the include reader (with keepalived's glob patterns: `*`, `?`, `[…]` and csh
 * braces `{a,b}`), the config id keepalived defaults to (the host name up to its first dot), and the one call the
 * CLI makes to import a file. Node-only; the parser and the converter stay pure.
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { keepalivedToConfig, type KeepalivedImport, unsignedBase0 } from './convert.js';
import { parseKeepalivedConf, type KeepalivedConf, type KeepalivedIncludeResult } from './parse.js';
import { runAsJudge } from '../trackers/exec.js';

/** Options of {@link loadKeepalivedConf} and {@link importKeepalivedConf}. */
export interface KeepalivedLoadOptions {
  /** keepalived's config id for `@ID` lines (keepalived's `-i`); default: the host name up to its first dot. */
  configId?: string;
  /** Environment for `${_ENV NAME}` (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Disable, as keepalived does when it starts, each `vrrp_script` whose program is not found or not executable on
   * this host (see {@link programRunnable}), or whose user this process cannot run it as (not in /etc/passwd; another
   * user, and this process is not root), and leave out such a notify script; for `vrrp run`, which runs the result
   * here. Default: not checked.
   */
  checkScripts?: boolean;
  /**
   * Read each instance's interface MTU on this host (/sys/class/net/IF/mtu), as keepalived does when it starts, to
   * know how many virtual addresses fit in one advert; for `vrrp run`. Default: 1500 is assumed.
   */
  readInterfaceMtus?: boolean;
  /**
   * Read this host's routing table names (/etc/iproute2/rt_tables, or the file named, see
   * {@link readRouteTableNames}), as keepalived does when it starts, for `table NAME` in virtual_routes and
   * virtual_rules. Default: only default, main and local are known by name.
   */
  readRouteTables?: boolean | string;
}

/** The file keepalived 2.2.7 reads routing table names from (lib/rttables.c; not rt_tables.d). */
export const RT_TABLES_FILE = '/etc/iproute2/rt_tables';

/**
 * Routing table names from an iproute2 rt_tables file, as keepalived 2.2.7 reads it (lib/rttables.c, read_file): a
 * line of exactly two words, `NUMBER NAME`, the number as strtoul reads it with base 0 and at most 2^32 − 1; any
 * other line is skipped — a comment line (its first word is not a number), and also a line with a comment after
 * the name, which iproute2 itself reads but keepalived 2.2.7 does not —, and the first line naming a table wins. A
 * missing or unreadable file gives none.
 */
export function readRouteTableNames(path: string = RT_TABLES_FILE): Map<string, number> {
  const names = new Map<string, number>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.length !== 2) continue;
    const [number = '', name = ''] = words;
    const id = unsignedBase0(number);
    if (id !== undefined && !names.has(name)) names.set(name, id);
  }
  return names;
}

/** keepalived's search path when PATH is not set (glibc's _PATH_DEFPATH). */
const DEFAULT_PATH = '/bin:/usr/bin';

/**
 * Whether `program` is an executable file, looked up in PATH when it has no slash — keepalived's test of a script at
 * its start (a bare name searched in PATH, a path resolved; not found, or not executable, disables it).
 */
export function programRunnable(program: string, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const executable = (path: string): boolean => {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return executable(program);
  return (env.PATH ?? DEFAULT_PATH).split(':').some((dir) => executable(join(dir === '' ? '.' : dir, program)));
}

/** Expands csh-style braces: `a{b,c{d,e}}f` → `abf`, `acdf`, `acef` (keepalived's glob uses GLOB_BRACE). */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '{') {
      if (depth++ === 0) open = i;
    } else if (c === '}' && depth > 0) {
      if (--depth === 0) {
        const head = pattern.slice(0, open);
        const tail = pattern.slice(i + 1);
        const bounds = [open, ...commas, i];
        const out: string[] = [];
        for (let k = 0; k + 1 < bounds.length; k++) {
          for (const variant of expandBraces(`${head}${pattern.slice((bounds[k] ?? 0) + 1, bounds[k + 1])}${tail}`)) out.push(variant);
        }
        return out;
      }
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  return [pattern];
}

/** A glob segment (`*`, `?`, `[…]`) as a regular expression; a leading dot must be matched literally, as in glob. */
function segmentPattern(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] ?? '';
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        const body = segment.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < segment.length) source += (segment[++i] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${segment.startsWith('.') ? '' : '(?!\\.)'}${source}$`);
}

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The files a keepalived include pattern names, sorted per brace alternative as glob(3) sorts them. */
export function globFiles(pattern: string): string[] {
  const found: string[] = [];
  for (const alternative of expandBraces(pattern)) {
    const absolute = alternative.startsWith('/');
    let paths = [absolute ? '/' : '.'];
    const segments = alternative.split('/').filter((segment) => segment !== '');
    for (const segment of segments) {
      const next: string[] = [];
      for (const base of paths) {
        if (!/[*?[]/.test(segment)) {
          next.push(base === '.' && !absolute ? segment : join(base, segment));
          continue;
        }
        let names: string[];
        try {
          names = readdirSync(base).sort();
        } catch {
          continue;
        }
        const regex = segmentPattern(segment);
        for (const name of names) if (regex.test(name)) next.push(base === '.' && !absolute ? name : join(base, name));
      }
      paths = next;
    }
    for (const path of paths) if (isFile(path) && !found.includes(path)) found.push(path);
  }
  return found;
}

/**
 * Reads and parses a keepalived configuration file and everything it includes. An included file with an execute bit
 * is skipped, as keepalived skips it (a note; a syntax error for `includer` and the other variants, which keepalived
 * refuses then). Throws `KeepalivedSyntaxError` (file, line, column) for a syntax error, including an include that
 * cannot be read.
 */
export function loadKeepalivedConf(path: string, options: KeepalivedLoadOptions = {}): KeepalivedConf {
  const text = readFileSync(path, 'utf8');
  // Absolute, as keepalived's ${_PWD} is, so that a script named relative to it runs from any working directory.
  const file = resolve(path);
  // The parser has already made a relative pattern relative to the including file's directory. keepalived 2.2.7
  // (lib/parser.c, check_glob_file) skips a file with any execute bit, named by a glob or not: so does the parser.
  const include = (pattern: string): KeepalivedIncludeResult[] =>
    globFiles(pattern).map((file) => {
      const mode = statSync(file).mode;
      if ((mode & 0o111) !== 0) return { file, skipped: `executable (mode ${(mode & 0o7777).toString(8)})` };
      return { file, text: readFileSync(file, 'utf8') };
    });
  return parseKeepalivedConf(text, {
    file,
    include,
    configId: options.configId ?? hostname().split('.')[0] ?? '',
    env: options.env ?? process.env,
  });
}

/**
 * Imports a keepalived configuration file for `vrrp run` / `vrrp import-keepalived`: reads it (with its includes)
 * and converts it. Syntax errors throw `KeepalivedSyntaxError`; everything else is in the result's `errors` (do not
 * run) and `warnings` (runs; each says what differs from keepalived and why), each with its `file:line`.
 */
export function importKeepalivedConf(path: string, options: KeepalivedLoadOptions = {}): KeepalivedImport {
  const env = options.env ?? process.env;
  return keepalivedToConfig(loadKeepalivedConf(path, options), {
    ...(options.checkScripts === true
      ? { scriptRunnable: (program: string) => programRunnable(program, env), scriptUserRefusal: runAsJudge(process.getuid?.() ?? 0) }
      : {}),
    ...(options.readInterfaceMtus === true ? { interfaceMtu: interfaceMtu } : {}),
    ...(options.readRouteTables ? { routeTables: readRouteTableNames(options.readRouteTables === true ? RT_TABLES_FILE : options.readRouteTables) } : {}),
  });
}

/** An interface's MTU from sysfs; undefined when there is no such interface (or no sysfs). */
function interfaceMtu(ifname: string): number | undefined {
  if (ifname.includes('/') || ifname === '.' || ifname === '..') return undefined;
  try {
    const mtu = Number(readFileSync(`/sys/class/net/${ifname}/mtu`, 'utf8').trim());
    return Number.isInteger(mtu) && mtu > 0 ? mtu : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a configuration file's text is keepalived.conf rather than JSON: JSON starts with `{` or `[`, which
 * keepalived.conf cannot (its first statement is a keyword). For `vrrp run FILE`.
 */
export function isKeepalivedConfText(text: string): boolean {
  const first = /^\s*(\S)/.exec(text)?.[1];
  return first !== undefined && first !== '{' && first !== '[';
}
