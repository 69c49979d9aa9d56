/** Parsers for a tinc 1.0 log: the USR2 node dump and notable events. */
import type { OverlayPeerState, TincNode } from '../types.js';
import { splitLines } from './text.js';

/** A log line worth showing as evidence. */
export interface TincLogEvent {
  kind:
    | 'started'
    | 'stopped'
    | 'script-error'
    | 'exec-error'
    | 'connect-error'
    | 'connection-activated'
    | 'connection-closed'
    | 'timeout';
  /** The timestamp as printed (log file `2026-11-26 05:30:17` or syslog `Nov 26 05:30:17`). */
  time?: string;
  /** Node or script the line is about. */
  subject?: string;
  line: string;
}

/** `2026-11-26 05:32:00 tinc.lxd[13]: ` (logfile) or `Nov 26 05:32:00 host tinc.lxd[13]: ` (syslog). */
const PREFIX = /^(.*?)\btincd?(?:\.[^\s[]+)?\[\d+\]: ?/;

function stripPrefix(line: string): { time?: string; message: string } {
  const m = PREFIX.exec(line);
  if (!m) return { message: line };
  const time = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d)/.exec(m[1]!)?.[1];
  const out: { time?: string; message: string } = { message: line.slice(m[0].length) };
  if (time !== undefined) out.time = time;
  return out;
}

const NODE_LINE =
  /^\s*(\S+) at (\S+)(?: port (\d+))? .*?\bstatus ([0-9a-fA-F]+)(?: nexthop (\S+))?.*?(?: pmtu (\d+))?(?: \(|$)/;

function parseNodeLine(message: string): TincNode | null {
  const m = NODE_LINE.exec(message);
  if (!m) return null;
  const status = Number.parseInt(m[4]!, 16);
  const node: TincNode = {
    name: m[1]!,
    address: m[2]!,
    status,
    // tinc 1.0: status bit 0x10 is "reachable".
    reachable: (status & 0x10) !== 0,
    myself: m[2] === 'MYSELF',
  };
  if (m[3] !== undefined) node.port = Number(m[3]);
  if (m[5] !== undefined) node.nexthop = m[5];
  if (m[6] !== undefined) node.pmtu = Number(m[6]);
  return node;
}

/** Nodes of the LAST complete `Nodes:` … `End of nodes.` block; null when there is none. */
export function parseTincNodes(logText: string): TincNode[] | null {
  let last: TincNode[] | null = null;
  let open: TincNode[] | null = null;
  for (const line of splitLines(logText)) {
    const { message } = stripPrefix(line);
    const trimmed = message.trim();
    if (trimmed === 'Nodes:') open = [];
    else if (trimmed === 'End of nodes.') {
      if (open) last = open;
      open = null;
    } else if (open) {
      const node = parseNodeLine(message);
      if (node) open.push(node);
    }
  }
  return last;
}

function describe(node: TincNode): string {
  const where = node.port === undefined ? node.address : `${node.address} port ${node.port}`;
  return `${node.name} at ${where} status ${node.status.toString(16).padStart(4, '0')}`;
}

/** The daemon's peer view from a node dump: reachable non-myself nodes are connected. */
export function tincPeerState(nodes: TincNode[]): OverlayPeerState {
  const peers = nodes.filter((n) => !n.myself);
  const connected = peers.filter((n) => n.reachable).map((n) => n.name);
  return {
    source: 'tinc-dump',
    connectedCount: connected.length,
    connected,
    disconnected: peers.filter((n) => !n.reachable).map((n) => n.name),
    excerpt: nodes.map(describe).join('\n'),
  };
}

const EVENT_PATTERNS: [TincLogEvent['kind'], RegExp][] = [
  ['started', /^tincd (\S+) starting/],
  ['stopped', /^(Terminating)$/],
  [
    'script-error',
    /^Script (\S+) (?:exited with non-zero status|was killed by signal|terminated abnormally)/,
  ],
  ['exec-error', /^Error executing(?: script)? (\S+?):?(?: |$)/],
  ['exec-error', /^System call `([^']*)' failed/],
  ['connect-error', /^(?:Error while connecting to|Could not set up a meta connection to) (\S+)/],
  ['connection-activated', /^Connection with (\S+) .*activated$/],
  ['connection-closed', /^(?:Connection closed by|Closing connection with) (\S+)/],
  ['timeout', /^Timeout from (\S+)/],
];

/** Notable lines (start/stop, script failures, connections made and lost) for evidence. */
export function parseTincLogEvents(logText: string): TincLogEvent[] {
  const out: TincLogEvent[] = [];
  for (const line of splitLines(logText)) {
    const { time, message } = stripPrefix(line);
    for (const [kind, pattern] of EVENT_PATTERNS) {
      const m = pattern.exec(message.trim());
      if (!m) continue;
      const event: TincLogEvent = { kind, line };
      if (time !== undefined) event.time = time;
      if (m[1] !== undefined && kind !== 'stopped') event.subject = m[1];
      out.push(event);
      break;
    }
  }
  return out;
}
