/**
 * peervpn's psk and networkname compared across hosts (keyed psk
 * fingerprints, the networkname of each config): who is odd, and the fix.
 */
import { OVERLAY_PSK } from '../facts/host/overlay/peervpn.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { Inventory } from '../inventory/types.js';
import type { Evidence } from '../model.js';
import type { JudgeContext } from './check.js';
import { vpnRestartCommand } from './util.js';

export function peervpnConfPath(inv: Inventory): string {
  return inv.cluster.overlay.configFile ?? '/etc/peervpn/peervpn.conf';
}

/** A host's fingerprint as evidence: its one output line, not the long fingerprinting program (a recording keeps that). */
export function pskEvidence(f: HostFacts): Evidence | null {
  const r = f.raw[OVERLAY_PSK];
  if (!r) return null;
  return {
    host: f.host,
    exitCode: r.exitCode,
    excerpt:
      [r.stdout, r.stderr]
        .map((x) => x.trim())
        .filter(Boolean)
        .join('\n') || '(no output)',
    note: 'keyed fingerprint (HMAC-SHA256 with this run’s random key) of the psk, computed on the host',
  };
}

export interface ValueGroups {
  /** Hosts by compared value (a fingerprint, `none`, or a networkname). */
  groups: Map<string, string[]>;
  /** Hosts outside the one largest group (empty when all agree or there is no single largest group). */
  odd: string[];
  /** Hosts of the largest group, when there is exactly one. */
  majority: string[];
  /** Hosts whose value could not be read, with the reason. */
  unknown: { host: string; reason: string }[];
}

function group(values: { host: string; value: string }[], unknown: ValueGroups['unknown']): ValueGroups {
  const groups = new Map<string, string[]>();
  for (const v of values) groups.set(v.value, [...(groups.get(v.value) ?? []), v.host]);
  const sizes = [...groups.values()].map((g) => g.length).sort((a, b) => b - a);
  const single = groups.size > 1 && sizes[0]! > (sizes[1] ?? 0);
  const majority = single ? [...groups.values()].find((g) => g.length === sizes[0])! : [];
  const odd = single ? values.map((v) => v.host).filter((h) => !majority.includes(h)) : [];
  return { groups, odd, majority, unknown };
}

/** The psk fingerprints of every reachable host, grouped (the fingerprints only mean something within one run). */
export function pskGroups(ctx: JudgeContext): ValueGroups {
  const values: { host: string; value: string }[] = [];
  const unknown: ValueGroups['unknown'] = [];
  for (const h of ctx.inventory.hosts) {
    const f = ctx.hosts.get(h.name);
    if (!f?.reachable) continue;
    const psk = f.peervpn?.psk;
    if (!psk) unknown.push({ host: h.name, reason: 'no fingerprint was taken' });
    else if (psk.state === 'unknown') unknown.push({ host: h.name, reason: psk.reason });
    else values.push({ host: h.name, value: psk.state === 'hmac' ? psk.hex : 'none' });
  }
  return group(values, unknown);
}

/** networkname from each reachable host's config (not a secret). */
export function networknameGroups(ctx: JudgeContext): ValueGroups {
  const values: { host: string; value: string }[] = [];
  const unknown: ValueGroups['unknown'] = [];
  for (const h of ctx.inventory.hosts) {
    const f = ctx.hosts.get(h.name);
    if (!f?.reachable) continue;
    if (f.peervpnConfig) values.push({ host: h.name, value: f.peervpnConfig.networkname ?? '(none)' });
    else unknown.push({ host: h.name, reason: 'its config could not be read' });
  }
  return group(values, unknown);
}

/** Does `a`'s value differ from `b`'s (both known)? */
function differs(g: ValueGroups, a: string, b: string): boolean {
  const of = (h: string) => [...g.groups.entries()].find(([, hs]) => hs.includes(h))?.[0];
  const va = of(a);
  const vb = of(b);
  return va !== undefined && vb !== undefined && va !== vb;
}

/** Fix lines that make `host`'s psk (or networkname) the same as a healthy host's. */
export function copyFix(
  inv: Inventory,
  host: string,
  from: string | undefined,
  what: 'psk' | 'networkname',
): string[] {
  const conf = peervpnConfPath(inv);
  const source = from ?? 'the host whose value is right';
  return [
    `on ${host}: copy the \`${what}\` line of ${conf} from ${source}${what === 'psk' ? ' (over a secure channel)' : ''}`,
    `on ${host}: ${vpnRestartCommand(inv)}`,
  ];
}

/** Who is to blame when `host` and `peers` do not connect: the odd psk or networkname, when fingerprints tell. */
export function configCause(
  ctx: JudgeContext,
  host: string,
  peers: string[],
): { summary: string; fix: string[]; why: string } | null {
  const inv = ctx.inventory;
  for (const [what, g] of [
    ['psk', pskGroups(ctx)],
    ['networkname', networknameGroups(ctx)],
  ] as const) {
    const label = what === 'psk' ? 'pre-shared key (psk)' : 'networkname';
    const why =
      what === 'psk'
        ? 'peervpn prints nothing on either side about a wrong pre-shared key: the host keeps resolving its initpeers at 0 peers, and the others never see it.'
        : 'peervpn only connects peers of the same network name (its Network ID).';
    if (g.odd.includes(host)) {
      return {
        summary: `${host}'s ${label} differs from that of ${g.majority.join(', ')} (overlay.psk)`,
        fix: copyFix(inv, host, g.majority[0], what),
        why,
      };
    }
    const oddPeers = peers.filter((p) => g.odd.includes(p));
    if (oddPeers.length > 0) {
      return {
        summary: `the ${label} of ${oddPeers.join(', ')} differs from that of ${g.majority.join(', ')} (overlay.psk)`,
        fix: oddPeers.flatMap((p) => copyFix(inv, p, g.majority[0], what)),
        why,
      };
    }
    const tied = peers.filter((p) => differs(g, host, p));
    if (tied.length > 0) {
      return {
        summary: `the ${label} differs between ${host} and ${tied.join(', ')}, and no majority tells which is right (overlay.psk)`,
        fix: [
          `make the \`${what}\` line the same in ${peervpnConfPath(inv)} on ${[host, ...tied].join(', ')}`,
          `then on each changed host: ${vpnRestartCommand(inv)}`,
        ],
        why,
      };
    }
  }
  return null;
}
