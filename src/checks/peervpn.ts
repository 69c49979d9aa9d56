/**
 * How lxdcheck reads the state of a peervpn daemon (docs/peervpn.md): never
 * from one signal when a second is cheap. The log (its current instance
 * only), the process list with the daemon's age, the mesh pings, the psk
 * fingerprints and the other hosts' own view are read together here; the
 * overlay checks ask these helpers only when the overlay is peervpn. Comparing
 * the psk and networkname across hosts is in peervpn-config.ts.
 */

import { OVERLAY_AGE } from '../facts/host/overlay/peervpn.js';
import { unitsOfInterest } from '../facts/host/services.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { PeervpnLog } from '../facts/parsers/peervpn.js';
import type { Inventory } from '../inventory/types.js';
import type { Evidence } from '../model.js';
import { fail, type JudgeContext, pass, type Verdict, warn } from './check.js';
import { configCause, peervpnConfPath, pskEvidence } from './peervpn-config.js';
import { otherHosts, sectionEvidence, vpnRestartCommand } from './util.js';
/**
 * A restarted peer's old session stays in the survivors' count until it
 * times out: ~100 s, printed at the next check ~11 s later (docs/peervpn.md,
 * faultB: killed at 461 s, counted until 572 s). With margin.
 */
export const RESTART_WINDOW_SECONDS = 130;

/**
 * A daemon this young may not have printed its full count: the first real
 * count comes ~12 s after start, a restarted host reconnects in up to ~24 s,
 * and the count is checked every ~11 s.
 */
export const STARTING_SECONDS = 40;

export type PeervpnRunState =
  | { kind: 'running'; pids: number[]; ageSeconds: number | null }
  /** No daemon runs: what its log's last instance says about how it ended. */
  | { kind: 'stopped'; how: string; processKnown: boolean }
  /** A daemon runs, but the log read ends in a shutdown: that log is not this daemon's. */
  | { kind: 'stale-log'; pids: number[] }
  | { kind: 'unknown' };

/** The last count line as peervpn printed it, for messages. */
export function countLine(log: PeervpnLog | null | undefined): string | null {
  return log && log.peerCount !== null
    ? `[${log.peerCountUptime ?? '?'}] ${log.peerCount} peers connected.`
    : null;
}

function unitOf(f: HostFacts, inv: Inventory): Record<string, string> | undefined {
  const name = unitsOfInterest(inv)[0];
  return name && f.units ? f.units.get(name) : undefined;
}

function pidsFromPs(f: HostFacts): number[] | null {
  if (!f.processes) return null;
  return f.processes
    .filter((p) => p.comm === 'peervpn' || p.args.split(/\s+/)[0]?.endsWith('/peervpn'))
    .map((p) => p.pid);
}

/** How a daemon that no longer runs ended, by its log's last instance. */
function howItEnded(log: PeervpnLog | null): string {
  if (log?.errors.length) return `it exited with \`error: ${log.errors[log.errors.length - 1]}\``;
  if (log?.stopped) return 'it was stopped: its log ends with `main loop left.` / `exit.`';
  if (log) return 'its log ends without shutdown lines: it was killed or crashed';
  return 'its log could not be read';
}

/** The daemon's age: ps etimes, else systemd's start time against the host's uptime. */
function ageOf(f: HostFacts, inv: Inventory): number | null {
  const ages = f.peervpn?.running?.map((r) => r.ageSeconds) ?? [];
  if (ages.length > 0) return Math.min(...ages);
  const enter = Number(unitOf(f, inv)?.['ActiveEnterTimestampMonotonic'] ?? '0');
  if (enter > 0 && f.uptimeSeconds !== null) return Math.max(0, Math.round(f.uptimeSeconds - enter / 1e6));
  return null;
}

export function peervpnRunState(f: HostFacts, inv: Inventory): PeervpnRunState {
  const log = f.peervpn?.log ?? null;
  // Either process source may see it (ps -C matches the process name, the ps list also argv[0]).
  const fromAge = f.peervpn?.running?.map((r) => r.pid) ?? null;
  const fromPs = pidsFromPs(f);
  const pids =
    fromAge === null && fromPs === null ? null : [...new Set([...(fromAge ?? []), ...(fromPs ?? [])])];
  const ended = Boolean(log && (log.stopped || log.errors.length > 0));
  if (pids === null) {
    const active = unitOf(f, inv)?.['ActiveState'];
    if (ended || active === 'inactive' || active === 'failed') {
      return { kind: 'stopped', how: howItEnded(log), processKnown: false };
    }
    return { kind: 'unknown' };
  }
  if (pids.length === 0) return { kind: 'stopped', how: howItEnded(log), processKnown: true };
  if (ended) return { kind: 'stale-log', pids };
  return { kind: 'running', pids, ageSeconds: ageOf(f, inv) };
}

/** A daemon young enough that a low count is still its start-up, by its age or (age unknown) its log. */
function starting(f: HostFacts, state: PeervpnRunState): number | 'by-log' | null {
  if (state.kind !== 'running') return null;
  if (state.ageSeconds !== null) return state.ageSeconds <= STARTING_SECONDS ? state.ageSeconds : null;
  // Age unknown: while at 0 peers peervpn re-resolves its initpeers every ~31 s, printing `[31] resolving`;
  // a log still at uptime 0 is younger than that (when it has initpeers to resolve).
  const log = f.peervpn?.log;
  const hasInitpeers = (f.peervpnConfig?.initpeers.length ?? 0) > 0;
  return log && log.lastUptime === 0 && log.peerCount === 0 && hasInitpeers ? 'by-log' : null;
}

/** A host whose daemon runs, long past start-up, with 0 peers although its initpeers resolve. */
function isolated(ctx: JudgeContext, host: string): boolean {
  const f = ctx.hosts.get(host);
  if (!f?.reachable || !f.peervpn?.log) return false;
  const state = peervpnRunState(f, ctx.inventory);
  const log = f.peervpn.log;
  // With no process list, a log past its first re-resolve (~31 s) that has not ended is a running daemon.
  const running =
    (state.kind === 'running' && starting(f, state) === null) ||
    (state.kind === 'unknown' && (log.lastUptime ?? 0) > 31);
  return running && log.peerCount === 0 && log.resolveFailures.length === 0;
}

/** Others (not `host`) whose own logs say they are connected to somebody: the L2 works without `host`. */
function connectedOthers(ctx: JudgeContext, host: string): string[] {
  return otherHosts(ctx.inventory, host)
    .map((h) => h.name)
    .filter((n) => (ctx.hosts.get(n)?.peervpn?.log?.peerCount ?? 0) > 0);
}

// ---------------------------------------------------------------- verdicts for overlay.peers

function stoppedVerdict(
  f: HostFacts,
  host: string,
  inv: Inventory,
  how: string,
  evidence: Evidence[],
): Verdict {
  const history = countLine(f.peervpn?.log);
  return fail(
    `peervpn is not running on ${host}: ${how}${history ? `; the count \`${history}\` in its log is history, not the current state` : ''}`,
    {
      expected: `${inv.hosts.length - 1} peers`,
      actual: '0 (no daemon)',
      evidence,
      hint: {
        why: 'Without the daemon this host’s bridge is an island; the other hosts keep counting it for ~100 s.',
        fix: [vpnRestartCommand(inv)],
      },
    },
  );
}

/**
 * The peervpn-specific reading of overlay.peers, before the generic count
 * and ping logic: this host stopped, its log not the running daemon's, still
 * starting, or peers lost to a differing psk / networkname, a stopped peer,
 * or a peer cut off from everyone. null = nothing special: judge generically.
 */
export function peervpnPeersVerdict(
  ctx: JudgeContext,
  host: string,
  pingDown: string[],
  evidence: Evidence[],
): Verdict | null {
  const inv = ctx.inventory;
  const f = ctx.hosts.get(host);
  if (!f?.peervpn) return null;
  const expected = inv.hosts.length - 1;
  const state = peervpnRunState(f, inv);
  const log = f.peervpn.log;
  const count = log?.peerCount ?? null;
  const ageEvidence = f.raw[OVERLAY_AGE] ? [sectionEvidence(f, OVERLAY_AGE)] : [];

  if (state.kind === 'stopped') return stoppedVerdict(f, host, inv, state.how, [...evidence, ...ageEvidence]);
  if (state.kind === 'stale-log') {
    return warn(
      `peervpn runs on ${host} (pid ${state.pids.join(', ')}), but the log lxdcheck read ends in a shutdown: it is not this daemon's log, so its count says nothing`,
      {
        evidence: [...evidence, ...ageEvidence],
        hint: {
          why: 'The count lxdcheck reads must come from the running daemon’s log.',
          fix: ['set overlay.logFile (or overlay.unit) in the inventory to where this daemon logs'],
        },
      },
    );
  }

  // A psk or networkname that differs on this host never lets it connect: no "starting" grace for that.
  const ownConfig = configCause(ctx, host, []);
  if (ownConfig && (count === null || count < expected)) {
    return fail(`${host}: ${count ?? 0} of ${expected} peers connected: ${ownConfig.summary}`, {
      expected: `${expected} peers`,
      actual: countLine(log) ?? 'no count',
      evidence: [...evidence, ...(pskEvidence(f) ? [pskEvidence(f)!] : [])],
      hint: { why: ownConfig.why, fix: ownConfig.fix },
    });
  }
  const young = starting(f, state);
  if (young !== null && (count === null || count < expected)) {
    const age = young === 'by-log' ? 'less than ~30 s ago (its log is still at uptime 0)' : `${young} s ago`;
    const shown = count === null ? 'no count yet' : `\`${countLine(log)}\``;
    if (pingDown.length === 0 && f.mesh) {
      return pass(
        `peervpn on ${host} is starting (started ${age}; ${shown}): its first real count comes ~12 s after start, and pings across the bridge to every host already answer`,
        { evidence: [...evidence, ...ageEvidence] },
      );
    }
    return warn(
      `peervpn on ${host} is starting (started ${age}; ${shown})${pingDown.length > 0 ? `; pings to ${pingDown.join(', ')} do not answer yet` : ''}: run lxdcheck again in half a minute`,
      { evidence: [...evidence, ...ageEvidence] },
    );
  }

  // Peers this host lacks: by ping (the signal that does not lag), else by count.
  const lacking = pingDown.length > 0 ? pingDown : [];
  const short = count !== null && count < expected;
  if (!short && lacking.length === 0) return null;
  const others = otherHosts(inv, host).map((h) => h.name);
  const cause = configCause(ctx, host, lacking.length > 0 ? lacking : others);
  const fingerprintEvidence = [f, ...lacking.map((n) => ctx.hosts.get(n))]
    .map((x) => (x ? pskEvidence(x) : null))
    .filter((e): e is Evidence => e !== null);
  const answer = `${lacking.join(', ')} ${lacking.length === 1 ? 'does' : 'do'} not answer pings`;
  const summaryHead = short
    ? `${host}: ${count} of ${expected} peers connected`
    : count === null
      ? `${host}: no peer count in its peervpn log, and ${answer}`
      : `${host}: the VPN reports ${count} peers, but ${answer}`;
  if (cause) {
    return fail(`${summaryHead}: ${cause.summary}`, {
      expected: `${expected} peers`,
      actual: `${countLine(log) ?? 'no count'}; no reply from ${lacking.join(', ') || '(pings not read)'}`,
      evidence: [...evidence, ...fingerprintEvidence],
      hint: { why: cause.why, fix: cause.fix },
    });
  }
  // A lacking peer whose own facts say its daemon is gone.
  const stoppedPeers = lacking
    .map((n) => ({ n, f: ctx.hosts.get(n) }))
    .filter((x) => x.f?.reachable && x.f.peervpn)
    .map((x) => ({ n: x.n, s: peervpnRunState(x.f!, inv) }))
    .filter((x) => x.s.kind === 'stopped');
  if (stoppedPeers.length > 0) {
    return fail(
      `${summaryHead}: peervpn is not running on ${stoppedPeers.map((x) => `${x.n} (${x.s.kind === 'stopped' ? x.s.how : ''})`).join('; ')}`,
      {
        expected: `${expected} peers`,
        actual: `${countLine(log) ?? 'no count'}${short ? '' : ' (peervpn notices a vanished peer only after ~100 s)'}`,
        evidence,
        hint: {
          why: 'A stopped peer’s containers are unreachable; peervpn keeps counting it for ~100 s.',
          fix: stoppedPeers.map((x) => `on ${x.n}: ${vpnRestartCommand(inv)}`),
        },
      },
    );
  }
  // A lacking peer that (re)started moments ago is still connecting: look again, do not blame it yet.
  const connecting = lacking
    .map((n) => ({ n, f: ctx.hosts.get(n) }))
    .filter((x) => x.f?.reachable && x.f.peervpn)
    .map((x) => ({ n: x.n, s: peervpnRunState(x.f!, inv), f: x.f! }))
    .filter((x) => starting(x.f, x.s) !== null)
    .map(
      (x) =>
        `${x.n} (started ${x.s.kind === 'running' && x.s.ageSeconds !== null ? `${x.s.ageSeconds} s ago` : 'moments ago'})`,
    );
  if (connecting.length === lacking.length && connecting.length > 0) {
    return warn(
      `${summaryHead}: peervpn on ${connecting.join(', ')} is still connecting (a restarted host reconnects within ~25 s): run lxdcheck again in half a minute`,
      { evidence },
    );
  }
  // No fingerprints to tell: the other hosts' own view. A host at 0 peers whose initpeers resolve while
  // the rest are connected to each other is the odd one out: its psk / networkname or its UDP port.
  const conf = peervpnConfPath(inv);
  const port = f.peervpnConfig?.port ?? 7000;
  const cutOff = [host, ...lacking].filter((n) => isolated(ctx, n) && connectedOthers(ctx, n).length > 0);
  if (cutOff.length > 0) {
    return fail(
      `${summaryHead}: ${cutOff.join(', ')} ${cutOff.length === 1 ? 'is' : 'are'} at 0 peers although ${cutOff.length === 1 ? 'its' : 'their'} initpeers resolve, while the other hosts are connected`,
      {
        expected: `${expected} peers`,
        actual: countLine(log) ?? 'no count',
        evidence,
        hint: {
          why: 'peervpn says nothing about a wrong pre-shared key: a host with a differing networkname or psk, or whose UDP port is blocked, sits at 0 peers re-resolving its initpeers every ~30 s. The fingerprints could not be compared (see overlay.psk).',
          fix: cutOff.flatMap((n) => [
            `on ${n}: compare the \`psk\` and \`networkname\` lines of ${conf} with a connected host's; fix them, then ${vpnRestartCommand(inv)}`,
            `on ${n}: check that UDP ${port} is open to and from the other hosts`,
          ]),
        },
      },
    );
  }
  if (log && log.resolveFailures.length > 0 && short) {
    return fail(`${summaryHead}: initpeers do not resolve: ${[...new Set(log.resolveFailures)].join(', ')}`, {
      expected: `${expected} peers`,
      actual: countLine(log) ?? 'no count',
      evidence,
      hint: { fix: [`fix the initpeers line of ${conf} on ${host} (names must resolve on ${host})`] },
    });
  }
  return null;
}

/** The start of the current run of counts above `expected` (peervpn uptime), or null. */
function excessSince(log: PeervpnLog, expected: number): number | null {
  let since: number | null = null;
  for (const c of log.counts) {
    if (c.count > expected) since ??= c.uptime;
    else since = null;
  }
  return since;
}

/**
 * More sessions than other hosts, with every inventory peer answering pings.
 * A restarted peer is counted twice (old and new session) for ~100 s: that
 * is not a forgotten node. Warn only when the excess outlasts that window,
 * or every host sees one more peer than the inventory has.
 */
export function peervpnExcessVerdict(ctx: JudgeContext, host: string, evidence: Evidence[]): Verdict {
  const inv = ctx.inventory;
  const f = ctx.hosts.get(host)!;
  const expected = inv.hosts.length - 1;
  const log = f.peervpn?.log;
  const count = log?.peerCount ?? 0;
  const state = peervpnRunState(f, inv);
  const age = state.kind === 'running' ? state.ageSeconds : null;
  const since = log ? excessSince(log, expected) : null;
  const lasting = age !== null && since !== null ? age - since : null;
  const restarted = otherHosts(inv, host)
    .map((h) => ({ n: h.name, f: ctx.hosts.get(h.name) }))
    .filter((x) => x.f?.reachable && x.f.peervpn)
    .map((x) => ({ n: x.n, s: peervpnRunState(x.f!, inv) }))
    .filter(
      (x) => x.s.kind === 'running' && x.s.ageSeconds !== null && x.s.ageSeconds <= RESTART_WINDOW_SECONDS,
    )
    .map((x) => `${x.n} (restarted ${x.s.kind === 'running' ? x.s.ageSeconds : '?'} s ago)`);
  const head = `${count} sessions for ${expected} other hosts, and all of them answer pings`;
  const window = 'peervpn counts a restarted peer’s old and new session until the old one times out (~100 s)';
  if (restarted.length > 0 || (lasting !== null && lasting <= RESTART_WINDOW_SECONDS)) {
    const why = restarted.length > 0 ? restarted.join(', ') : `the extra session appeared ${lasting} s ago`;
    return pass(`${head}: ${why}; ${window}, so this is not a forgotten node`, { evidence });
  }
  const everyone = inv.hosts.every((h) => {
    const c = ctx.hosts.get(h.name)?.peervpn?.log?.peerCount;
    return c !== null && c !== undefined && c > expected;
  });
  if ((lasting !== null && lasting > RESTART_WINDOW_SECONDS) || everyone) {
    const evidenceWhy =
      lasting !== null && lasting > RESTART_WINDOW_SECONDS
        ? `for ${lasting} s, longer than the ~100 s a restarted peer’s old session lasts`
        : `every host counts more peers than the inventory has`;
    return warn(
      `${host}: ${count} peers connected ${evidenceWhy}, but the inventory lists only ${expected} other hosts: a node outside the inventory?`,
      {
        evidence,
        hint: {
          why: 'A host outside the inventory is on the L2 (a forgotten node?): lxdcheck does not check it. Its address is in the console peer table (`p`) of peervpn.',
          fix: ['add the host to the inventory, or remove it from the overlay'],
        },
      },
    );
  }
  return pass(
    `${head}: most likely a restarted peer’s old session (${window}); if it lasts longer than ~2 minutes, look for a node outside the inventory`,
    { evidence },
  );
}
