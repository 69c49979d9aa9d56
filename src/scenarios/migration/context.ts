/** What every step of the migration scenario shares: its options, its plan, the run's state and helpers. */
import type { HostSpec, Inventory } from '../../inventory/types.js';
import type { CheckResult, Evidence, RunEvent, Status, Subject } from '../../model.js';
import type { ExecResult, Transport } from '../../transport/types.js';
import { on } from '../probes.js';
import type { SharedTransports } from '../transports.js';

export interface MigrationOptions {
  inventory: Inventory;
  transport: (h: HostSpec) => Transport;
  emit: (e: RunEvent) => void;
  signal?: AbortSignal;
  image?: string;
  from?: string;
  to?: string;
  /** How long the moved container may take to become reachable again (ARP/MAC tables learning). */
  settleMs: number;
}

export interface Identity {
  mac?: string;
  ipv4?: string;
  lease?: string;
  /** host -> addresses NAME.DOMAIN resolved to from that host */
  dns: Map<string, string[]>;
}

export const PROPERTIES = [
  ['migration.launch', 'probe container launched and leased an address'],
  ['migration.move', 'probe container moved to the target host'],
  ['migration.mac', 'MAC address unchanged after the move'],
  ['migration.ipv4', 'same IPv4 leased again after the move'],
  ['migration.dns', 'NAME.DOMAIN resolves to the same address from every host'],
  ['migration.reach-ip', 'containers on the other hosts reach it by IP after the move'],
  ['migration.reach-name', 'containers on the other hosts reach it by name after the move'],
  ['migration.cleanup', 'the probe container is gone'],
] as const;

export type PropertyId = (typeof PROPERTIES)[number][0];

export class Aborted extends Error {}

/** One migration run: what every step reads, and where the probe is. */
export interface Migration {
  o: MigrationOptions;
  inv: Inventory;
  lxc: string;
  /** The source (A) and target (B) hosts. */
  src: HostSpec;
  dst: HostSpec;
  /** The host that serves DHCP, whose leases file says which address the probe holds. */
  dhcpHost: HostSpec;
  name: string;
  subject: Subject;
  started: number;
  results: CheckResult[];
  transports: SharedTransports;
  /** The host the probe is on now (B once the move succeeded). */
  where: HostSpec;
}

export function checkAborted(m: Migration): void {
  if (m.o.signal?.aborted) throw new Aborted('interrupted');
}

export function record(
  m: Migration,
  id: PropertyId,
  status: Status,
  summary: string,
  extra: Partial<CheckResult> = {},
): void {
  const title = PROPERTIES.find(([p]) => p === id)?.[1] ?? id;
  const r: CheckResult = {
    id,
    title,
    subject: m.subject,
    status,
    summary,
    evidence: [],
    durationMs: Math.round(performance.now() - m.started),
    ...extra,
  };
  m.results.push(r);
  m.o.emit({ type: 'result', key: id, result: r });
  // Reports write their test points when the run ends (with causes): say each step as it happens.
  m.o.emit({ type: 'progress', message: `${id}: ${status}: ${summary}` });
}

export function run(m: Migration, h: HostSpec, argv: string[], timeoutMs = 60_000): Promise<ExecResult> {
  return on(m.transports.get(h), argv, timeoutMs, m.o.signal);
}

export function evidence(h: HostSpec, argv: string[], r: ExecResult): Evidence {
  return {
    host: h.name,
    command: argv.join(' '),
    exitCode: r.exitCode,
    excerpt: `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-8).join('\n'),
  };
}
