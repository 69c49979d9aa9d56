/** Parsers for peervpn v0.044: its log (stdout), its config file and the console peer table. */
import type { OverlayPeerState, PeervpnConfig } from '../types.js';
import { splitLines } from './text.js';

export interface PeervpnLog {
  version?: string;
  /** `entering main loop...` was printed. */
  started: boolean;
  /** From the LAST `[N] M peers connected.` line; null when there is none. */
  peerCount: number | null;
  /** Uptime (s) printed on that count line. */
  peerCountUptime?: number;
  /** Uptime (s) of the last `[N]` line of any kind. */
  lastUptime?: number;
  /**
   * The upcmd found no bridge: brctl's `bridge X does not exist!` or ip's
   * `Error: argument "X" is wrong: Device does not exist`. The tap was not
   * put on the bridge then (it may have been added by hand since).
   */
  bridgeMissing: boolean;
  /** Lines the upcmd printed (it runs right after the TAP device opens and only prints on trouble). */
  upcmdErrors: string[];
  /** `[N] warning: <msg>` messages. */
  warnings: string[];
  /** `host:port` of initpeers whose resolution failed. */
  resolveFailures: string[];
  /** Every `[N] M peers connected.` line in order (the count is printed only when it changes). */
  counts: { uptime: number; count: number }[];
  /** `main loop left.` / `exit.` were printed: the daemon shut down (SIGTERM); its counts are history. */
  stopped: boolean;
  /** `error: <msg>` lines: peervpn prints them right before it exits (e.g. a config parse error). */
  errors: string[];
  /** `Network ID: <hex>`: derived from networkname (not the psk); peers must share it. */
  networkId?: string;
  clientId?: string;
}

/** A row of the console `p` table. Numbers are hex in the table and decoded here. */
export interface PeervpnPeerRow {
  peerId: number;
  nodeId: string;
  /** The raw 24-byte address as printed. */
  addressHex: string;
  /** `ip:port` when the address is an IPv4/UDP one. */
  address?: string;
  /** Row 0 is this node itself (all-zero address). */
  self: boolean;
  status: number;
  lastPacketSeconds: number;
  sessionAgeSeconds: number;
  flag: number;
  rq: number;
}

const COUNT_LINE = /^\[(\d+)\] (\d+) peers? connected\.\s*$/;
const UPTIME_PREFIX = /^\[(\d+)\]/;
const RESOLVING = /^\[\d+\] resolving (\S+?)\.\.\.(?:\s*(done|failed).*)?$/;

/** Lines peervpn itself prints while opening the TAP device (anything else there came from upcmd). */
function isOwnTapLine(trimmed: string): boolean {
  return trimmed === '' || trimmed === 'done.' || /^device ".*":/.test(trimmed);
}

export function parsePeervpnLog(text: string): PeervpnLog {
  const log: PeervpnLog = {
    started: false,
    peerCount: null,
    bridgeMissing: false,
    upcmdErrors: [],
    warnings: [],
    resolveFailures: [],
    counts: [],
    stopped: false,
    errors: [],
  };
  let inTapSection = false;
  let pendingResolve: string | null = null;
  for (const line of splitLines(text)) {
    const trimmed = line.trim();
    const version = /^PeerVPN v(\S+)/.exec(trimmed);
    if (version) log.version = version[1]!;
    if (trimmed === 'entering main loop...') log.started = true;
    if (trimmed === 'opening TAP device...') inTapSection = true;
    else if (trimmed === 'preparing P2P engine...') inTapSection = false;
    else if (inTapSection && !isOwnTapLine(trimmed)) log.upcmdErrors.push(trimmed);
    if (/^bridge \S+ does not exist!?$/.test(trimmed)) log.bridgeMissing = true;
    if (/^Error: argument "[^"]+" is wrong: Device does not exist/.test(trimmed)) log.bridgeMissing = true;
    if (trimmed === 'main loop left.' || trimmed === 'exit.') log.stopped = true;
    const error = /^error: (.*)$/.exec(trimmed);
    if (error) log.errors.push(error[1]!);
    const id = /^(Network|Client) ID:\s+([0-9A-Fa-f]+)$/.exec(trimmed);
    if (id) log[id[1] === 'Network' ? 'networkId' : 'clientId'] = id[2]!;

    const uptime = UPTIME_PREFIX.exec(trimmed);
    if (uptime) log.lastUptime = Number(uptime[1]);
    const count = COUNT_LINE.exec(trimmed);
    if (count) {
      log.peerCountUptime = Number(count[1]);
      log.peerCount = Number(count[2]);
      log.counts.push({ uptime: log.peerCountUptime, count: log.peerCount });
    }
    const warning = /^\[\d+\] warning: (.*)$/.exec(trimmed);
    if (warning) log.warnings.push(warning[1]!);

    // `[N] resolving host:port...` is answered by `done.` or `failed: ...`, usually on the next line.
    const resolving = RESOLVING.exec(trimmed);
    if (resolving) {
      pendingResolve = resolving[2] === undefined ? resolving[1]! : null;
      if (resolving[2] === 'failed') log.resolveFailures.push(resolving[1]!);
    } else if (pendingResolve !== null && trimmed !== '') {
      if (trimmed.startsWith('failed')) log.resolveFailures.push(pendingResolve);
      pendingResolve = null;
    }
  }
  return log;
}

/**
 * The peer view from the log (its text or its parse). The count lags a dead
 * peer by ~110 s, so ageSeconds (last uptime seen minus the count's uptime)
 * lets a check say how old the count is; only a ping proves a peer is up.
 */
export function peervpnPeerState(logOrText: PeervpnLog | string): OverlayPeerState {
  const log = typeof logOrText === 'string' ? parsePeervpnLog(logOrText) : logOrText;
  const state: OverlayPeerState = {
    source: 'peervpn-log',
    connectedCount: log.peerCount,
    connected: [],
    disconnected: [],
    excerpt:
      log.peerCount === null ? '' : `[${log.peerCountUptime ?? '?'}] ${log.peerCount} peers connected.`,
  };
  if (log.lastUptime !== undefined && log.peerCountUptime !== undefined) {
    state.ageSeconds = log.lastUptime - log.peerCountUptime;
  }
  return state;
}

/** Start banners (`PeerVPN v0.044`) in a log: more than one means the daemon restarted within it. */
export function peervpnStarts(text: string): number {
  return (text.match(/^PeerVPN v\S+/gm) ?? []).length;
}

/** `ps -o pid=,etimes= -C peervpn`: each running daemon and its age in seconds. */
export function parsePeervpnAges(text: string): { pid: number; ageSeconds: number }[] {
  const out: { pid: number; ageSeconds: number }[] = [];
  for (const line of splitLines(text)) {
    const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), ageSeconds: Number(m[2]) });
  }
  return out;
}

/** The psk as lxdcheck may know it: a keyed fingerprint of this run, its absence, or why it is unknown. */
export type PskFingerprint =
  | { state: 'hmac'; hex: string; tool: string }
  | { state: 'none' }
  | { state: 'unknown'; reason: string };

/** The overlay-psk section's output (`psk-hmac-sha256 <hex> <tool>` or `psk-none`). */
export function parsePskFingerprint(stdout: string, exitCode: number | null, stderr = ''): PskFingerprint {
  const m = /^psk-hmac-sha256 ([0-9a-f]{64}) (\S+)$/m.exec(stdout);
  if (exitCode === 0 && m) return { state: 'hmac', hex: m[1]!, tool: m[2]! };
  if (exitCode === 0 && /^psk-none$/m.test(stdout)) return { state: 'none' };
  // Only lxdcheck's own messages are shown (the section silences the tools' stderr).
  const own = /lxdcheck: ([^\n]*)/.exec(stderr)?.[1];
  return {
    state: 'unknown',
    reason: own ?? (exitCode === null ? 'the fingerprint did not finish' : `exit ${exitCode}`),
  };
}

/** peervpn ends a line at the first `#` or `;` anywhere (so `upcmd a; b` runs only `a`). */
function stripComment(line: string): string {
  const cut = line.search(/[#;]/);
  return (cut < 0 ? line : line.slice(0, cut)).trim();
}

function parseInitpeers(value: string): PeervpnConfig['initpeers'] {
  const words = value.split(/\s+/).filter(Boolean);
  const peers: PeervpnConfig['initpeers'] = [];
  for (let i = 0; i + 1 < words.length; i += 2) {
    const port = Number(words[i + 1]);
    if (Number.isInteger(port)) peers.push({ host: words[i]!, port });
  }
  return peers;
}

/** peervpn.conf. The psk value is dropped here and never stored: only `hasPsk` remains. */
export function parsePeervpnConfig(text: string): PeervpnConfig {
  const config: PeervpnConfig = { initpeers: [], hasPsk: false };
  for (const raw of splitLines(text)) {
    const line = stripComment(raw);
    if (line === '') continue;
    // [\s\S]: `.` stops at U+2028, which a config line may contain.
    const m = /^(\S+)\s*([\s\S]*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (key === 'endconfig') break;
    switch (key) {
      case 'psk':
        config.hasPsk = value !== '';
        break;
      case 'networkname':
      case 'interface':
      case 'upcmd':
      case 'ifconfig4':
        if (value !== '') config[key] = value;
        break;
      case 'port':
        if (/^\d+$/.test(value)) config.port = Number(value);
        break;
      case 'initpeers':
        config.initpeers.push(...parseInitpeers(value));
        break;
    }
  }
  return config;
}

const PEER_ROW =
  /^([0-9A-F]{8})\s+([0-9A-F]{64})\s+([0-9A-F]{48})\s+([0-9A-F]{2})\s+([0-9A-F]{8})\s+([0-9A-F]{8})\s+([0-9A-F]{4})\s+([0-9A-F]{2})\s*$/i;

/** peervpn's address record: 01 04 01 00, IPv4 (4 bytes), port (2 bytes), zero padding. */
function decodeIpv4(addressHex: string): string | undefined {
  if (!/^01040100/i.test(addressHex)) return undefined;
  const bytes = addressHex
    .slice(8, 20)
    .match(/../g)!
    .map((b) => Number.parseInt(b, 16));
  return `${bytes.slice(0, 4).join('.')}:${bytes[4]! * 256 + bytes[5]!}`;
}

function toPeerRow(m: RegExpExecArray): PeervpnPeerRow {
  const hex = (i: number) => Number.parseInt(m[i]!, 16);
  const row: PeervpnPeerRow = {
    peerId: hex(1),
    nodeId: m[2]!,
    addressHex: m[3]!,
    self: /^0+$/.test(m[3]!),
    status: hex(4),
    lastPacketSeconds: hex(5),
    sessionAgeSeconds: hex(6),
    flag: hex(7),
    rq: hex(8),
  };
  const address = decodeIpv4(m[3]!);
  if (address !== undefined) row.address = address;
  return row;
}

/** The console `p` output. When the text holds several tables (a log), the last one wins. */
export function parsePeervpnPeerTable(text: string): PeervpnPeerRow[] {
  let rows: PeervpnPeerRow[] = [];
  for (const line of splitLines(text)) {
    if (/^PeerID\s+NodeID/.test(line.trim())) {
      rows = [];
      continue;
    }
    const m = PEER_ROW.exec(line.trim());
    if (m) rows.push(toPeerRow(m));
  }
  return rows;
}
