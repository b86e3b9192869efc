/**
 * The chaos run's model, kept apart from its I/O so that it can be reasoned about (and tested) on its own: the
 * three nodes, the two VRIDs, the seeded schedule of events, and what every node should hold once an event
 * settled.
 *
 * Nodes (one lab host each):
 * - `cli`: our `vrrp run` (dist/cli.js), both VRIDs in one process, `file` trackers;
 * - `app`: our library embedded in an app (test/interop/chaos/app.mjs), both VRIDs, `function` trackers that read
 *   a file; the only node whose main thread the schedule stalls;
 * - `ka`: keepalived 2.2.7, both VRIDs, `track_file`.
 *
 * VRIDs (VRRPv3, one tracker file per node shared by both of its instances; `1` in it is a failed check):
 *
 *   VRID 51, IPv4 10.99.<n>.100/24    app 150 · cli 120 · ka 100    tracker weight 0: a failed check is fault
 *   VRID 52, IPv6 2001:db8:<n>::100/64  ka 150 · cli 120 · app 100  tracker weight −60: 90 / 60 / 40 when failed
 *
 * No two effective priorities are ever equal, so with preemption on everywhere each connected part of the segment
 * has exactly one right master: the election is checked, not only the count of holders.
 *
 * The schedule is a pure function of the seed: each event is drawn against the model of the state the previous
 * events left (a node is only thawed if frozen, …), so a seed replays the same events in the same order. Timing is
 * the machine's, not the seed's: a replay repeats the schedule, not every microsecond.
 */
import { mulberry32 } from '../../../bench/stats.js';

/** The three nodes, by lab host name. */
export type NodeName = 'cli' | 'app' | 'ka';
export const NODES: readonly NodeName[] = ['cli', 'app', 'ka'];
/** What runs on each node. */
export const NODE_KIND: Readonly<Record<NodeName, string>> = { cli: 'vrrp run', app: 'embedded library app', ka: 'keepalived' };

/** The two VRIDs. */
export type VridName = 'v4' | 'v6';
export interface VridSpec {
  name: VridName;
  vrid: number;
  family: 'ipv4' | 'ipv6';
  priorities: Readonly<Record<NodeName, number>>;
  /** Added while the node's tracker fails; 0 means the instance goes to fault instead. */
  trackerWeight: number;
}
export const VRIDS: readonly VridSpec[] = [
  { name: 'v4', vrid: 51, family: 'ipv4', priorities: { app: 150, cli: 120, ka: 100 }, trackerWeight: 0 },
  { name: 'v6', vrid: 52, family: 'ipv6', priorities: { ka: 150, cli: 120, app: 100 }, trackerWeight: -60 },
];

/** Every kind of event. A disturbance impairs a node (or is over once applied); a restore undoes one impairment. */
export type EventKind =
  | 'kill9' // SIGKILL: a crash (keepalived: its VRRP child, as lab.ts does)
  | 'start' // start a killed node again
  | 'sigstop' // freeze the process (keepalived: its VRRP child)
  | 'sigcont' // thaw it
  | 'restart' // SIGTERM, wait for the exit, start again
  | 'linkDown' // `ip link set eth0 down` in the node's namespace
  | 'linkUp'
  | 'partition' // the node's port leaves the bridge: no carrier loss, the node is alone
  | 'heal' // the port joins the bridge again
  | 'trackerFail' // the node's tracker file says 1
  | 'trackerOk' // … and 0 again
  | 'stall'; // the embedded app busy-waits its main thread for `stallMs`

export const EVENT_KINDS: readonly EventKind[] = [
  'kill9',
  'start',
  'sigstop',
  'sigcont',
  'restart',
  'linkDown',
  'linkUp',
  'partition',
  'heal',
  'trackerFail',
  'trackerOk',
  'stall',
];

/** One scheduled event. */
export interface ChaosEvent {
  /** 1-based position in the schedule. */
  index: number;
  kind: EventKind;
  node: NodeName;
  /** For `stall`: how long the main thread is blocked. */
  stallMs?: number;
}

/** What the model knows of one node. */
export interface NodeModel {
  proc: 'up' | 'frozen' | 'dead';
  /** eth0 administratively up. */
  link: boolean;
  /** Its bridge port is in the bridge. */
  attached: boolean;
  trackerFailed: boolean;
}
export type World = Readonly<Record<NodeName, Readonly<NodeModel>>>;

export function initialWorld(): World {
  const healthy = (): NodeModel => ({ proc: 'up', link: true, attached: true, trackerFailed: false });
  return { cli: healthy(), app: healthy(), ka: healthy() };
}

/** The world after `event`. */
export function applyEvent(world: World, event: ChaosEvent): World {
  const node: NodeModel = { ...world[event.node] };
  switch (event.kind) {
    case 'kill9':
      node.proc = 'dead';
      break;
    case 'start':
    case 'sigcont':
      node.proc = 'up';
      break;
    case 'sigstop':
      node.proc = 'frozen';
      break;
    case 'linkDown':
      node.link = false;
      break;
    case 'linkUp':
      node.link = true;
      break;
    case 'partition':
      node.attached = false;
      break;
    case 'heal':
      node.attached = true;
      break;
    case 'trackerFail':
      node.trackerFailed = true;
      break;
    case 'trackerOk':
      node.trackerFailed = false;
      break;
    case 'restart':
    case 'stall':
      break;
  }
  return { ...world, [event.node]: node };
}

/** Whether `kind` can happen to `node` in `world`. */
export function applicable(world: World, kind: EventKind, node: NodeName): boolean {
  const n = world[node];
  switch (kind) {
    case 'kill9':
      return n.proc !== 'dead';
    case 'start':
      return n.proc === 'dead';
    case 'sigstop':
    case 'restart':
      return n.proc === 'up';
    case 'sigcont':
      return n.proc === 'frozen';
    case 'linkDown':
      return n.link;
    case 'linkUp':
      return !n.link;
    case 'partition':
      return n.attached;
    case 'heal':
      return !n.attached;
    case 'trackerFail':
      return !n.trackerFailed;
    case 'trackerOk':
      return n.trackerFailed;
    case 'stall':
      return node === 'app' && n.proc === 'up';
  }
}

/** The impairments of a world, each with the event that undoes it. */
export function impairments(world: World): { node: NodeName; restore: EventKind }[] {
  return NODES.flatMap((node) => {
    const n = world[node];
    const list: { node: NodeName; restore: EventKind }[] = [];
    if (n.proc === 'dead') list.push({ node, restore: 'start' });
    if (n.proc === 'frozen') list.push({ node, restore: 'sigcont' });
    if (!n.link) list.push({ node, restore: 'linkUp' });
    if (!n.attached) list.push({ node, restore: 'heal' });
    if (n.trackerFailed) list.push({ node, restore: 'trackerOk' });
    return list;
  });
}

/** Relative weights of the disturbances. */
const DISTURBANCES: readonly [EventKind, number][] = [
  ['kill9', 2],
  ['sigstop', 1.5],
  ['restart', 1.5],
  ['linkDown', 1],
  ['partition', 1],
  ['trackerFail', 1.5],
  ['stall', 1.5],
];

export interface ScheduleOptions {
  /** Impairments alive at once, at most (default 2: at least one node of three is usually whole). */
  maxImpairments?: number;
  /** Probability of restoring an impairment rather than adding a disturbance, when there is one (default 0.45). */
  restoreProbability?: number;
  stallMinMs?: number;
  stallMaxMs?: number;
  /** Append restores so that the run ends with every node whole (default true); they count as events. */
  endWhole?: boolean;
}

/**
 * `count` events drawn from `seed` (plus, with `endWhole`, the restores that make every node whole again: the
 * last check is then of the healthy cluster).
 */
export function generateSchedule(seed: number, count: number, options: ScheduleOptions = {}): ChaosEvent[] {
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const maxImpairments = options.maxImpairments ?? 2;
  const restoreProbability = options.restoreProbability ?? 0.45;
  const stallMin = options.stallMinMs ?? 200;
  const stallMax = options.stallMaxMs ?? 1500;
  let world = initialWorld();
  const events: ChaosEvent[] = [];
  const push = (kind: EventKind, node: NodeName): void => {
    const event: ChaosEvent = { index: events.length + 1, kind, node };
    if (kind === 'stall') event.stallMs = Math.round(stallMin + random() * (stallMax - stallMin));
    events.push(event);
    world = applyEvent(world, event);
  };
  while (events.length < count) {
    const impaired = impairments(world);
    if (impaired.length >= maxImpairments || (impaired.length > 0 && random() < restoreProbability)) {
      const { node, restore } = pick(impaired);
      push(restore, node);
      continue;
    }
    const candidates = DISTURBANCES.filter(([kind]) => NODES.some((node) => applicable(world, kind, node)));
    const total = candidates.reduce((sum, [, weight]) => sum + weight, 0);
    let draw = random() * total;
    let kind = candidates[candidates.length - 1]![0];
    for (const [each, weight] of candidates) {
      draw -= weight;
      if (draw < 0) {
        kind = each;
        break;
      }
    }
    push(kind, pick(NODES.filter((node) => applicable(world, kind, node))));
  }
  if (options.endWhole ?? true) {
    for (const { node, restore } of impairments(world)) push(restore, node);
  }
  return events;
}

/** A node's effective priority in a VRID (0: fault, it serves nothing). */
export function effectivePriority(world: World, node: NodeName, vrid: VridSpec): number {
  const base = vrid.priorities[node];
  if (!world[node].trackerFailed) return base;
  return vrid.trackerWeight === 0 ? 0 : Math.max(1, Math.min(254, base + vrid.trackerWeight));
}

/** Running, thawed, link up and not in fault for this VRID: it takes part in the election. */
export function eligible(world: World, node: NodeName, vrid: VridSpec): boolean {
  const n = world[node];
  return n.proc === 'up' && n.link && effectivePriority(world, node, vrid) > 0;
}

/**
 * What each node should hold of `vrid`'s VIP once things settled: `true` / `false`, or `undefined` for a dead or
 * frozen node (nothing runs there to decide; see the lease check). The client's part of the segment (every
 * attached node) holds it on its highest eligible node; a partitioned eligible node is alone and holds it itself.
 */
export function expectedHolding(world: World, vrid: VridSpec): Record<NodeName, boolean | undefined> {
  const main = NODES.filter((node) => world[node].attached && eligible(world, node, vrid));
  const top = main.sort((x, y) => effectivePriority(world, y, vrid) - effectivePriority(world, x, vrid))[0];
  const result = {} as Record<NodeName, boolean | undefined>;
  for (const node of NODES) {
    if (world[node].proc !== 'up') result[node] = undefined;
    else if (!eligible(world, node, vrid)) result[node] = false;
    else result[node] = world[node].attached ? node === top : true;
  }
  return result;
}

/** The node the client should reach on `vrid`'s VIP, or undefined when no eligible node is on its side. */
export function clientTarget(world: World, vrid: VridSpec): NodeName | undefined {
  const expected = expectedHolding(world, vrid);
  return NODES.find((node) => world[node].attached && expected[node] === true);
}

/** One line describing a world, for logs: `cli up · app frozen,link-down · ka up,tracker-failed`. */
export function describeWorld(world: World): string {
  return NODES.map((node) => {
    const n = world[node];
    const marks = [n.proc, ...(n.link ? [] : ['link-down']), ...(n.attached ? [] : ['partitioned']), ...(n.trackerFailed ? ['tracker-failed'] : [])];
    return `${node} ${marks.join(',')}`;
  }).join(' · ');
}

/**
 * A schedule written by hand, for a short replay of one finding: `kind:node[:stallMs]` items separated by commas
 * (`partition:app,heal:app`), the list run `repeat` times. Throws on an unknown kind or node, or an event that
 * cannot happen where it stands (a `sigcont` of a node not frozen, …).
 */
export function parseSchedule(text: string, repeat = 1): ChaosEvent[] {
  const items = text.split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) throw new Error('an empty schedule');
  let world = initialWorld();
  const events: ChaosEvent[] = [];
  for (let round = 0; round < repeat; round += 1) {
    for (const item of items) {
      const [kind, node, ms] = item.split(':') as [EventKind, NodeName, string | undefined];
      if (!EVENT_KINDS.includes(kind)) throw new Error(`${item}: unknown event (${EVENT_KINDS.join(', ')})`);
      if (!NODES.includes(node)) throw new Error(`${item}: unknown node (${NODES.join(', ')})`);
      if (!applicable(world, kind, node)) throw new Error(`${item} (event ${events.length + 1}) cannot happen there: ${describeWorld(world)}`);
      const event: ChaosEvent = { index: events.length + 1, kind, node };
      if (kind === 'stall') {
        event.stallMs = Number(ms ?? 1000);
        if (!(event.stallMs > 0)) throw new Error(`${item}: a stall takes a positive number of ms`);
      }
      events.push(event);
      world = applyEvent(world, event);
    }
  }
  return events;
}
