/**
 * Which container daemon a host is judged by: LXD (client `lxc`) or its fork
 * Incus (client `incus`). The inventory may name it (a host's `daemon:` over
 * the cluster's, `cluster.lxd: lxc|incus` meaning the same); otherwise it is
 * detected per host. Stage one's list keeps the client order it always had
 * (lxc, then incus), so recordings made before Incus support replay as they
 * were; when stage one leaves a doubt (the other daemon runs too, or the
 * client found first does not answer), stage two lists the other daemon and
 * the one that holds the containers is judged.
 */
import type { HostSpec, Inventory, LxdDaemon } from '../inventory/types.js';
import { redactSecrets } from '../redact.js';
import { quoteArg as q } from '../transport/quote.js';
import type { HostFacts } from './host-facts.js';
import { LXC_LIST_FILTER_PY, reduceLxcList } from './parsers/lxc.js';
import type { Section } from './script.js';
import type { ContainerInfo, DaemonJudgement, LxdClient, ProcessInfo } from './types.js';

export type { DaemonJudgement, LxdClient };

/** Stage two's sections: the other daemon's list, and Incus's view of the bridge. */
export const LXC_LIST_OTHER = 'lxc-list-other';
export const INCUS_NETWORK = 'incus-network';

export const clientOf = (d: LxdDaemon): LxdClient => (d === 'incus' ? 'incus' : 'lxc');
export const daemonOf = (c: LxdClient): LxdDaemon => (c === 'incus' ? 'incus' : 'lxd');
export const daemonLabel = (d: LxdDaemon): string => (d === 'incus' ? 'Incus' : 'LXD');

/** The daemon the inventory names for this host, and where it says so. */
export function namedDaemon(
  inv: Inventory,
  host: HostSpec,
): { daemon: LxdDaemon; field: string } | undefined {
  if (host.daemon) return { daemon: host.daemon, field: `${host.name}'s daemon:` };
  if (inv.cluster.daemon) return { daemon: inv.cluster.daemon, field: 'cluster.daemon' };
  // The older key names the client; lxc means LXD.
  if (inv.cluster.lxdCommand)
    return { daemon: daemonOf(inv.cluster.lxdCommand), field: `cluster.lxd: ${inv.cluster.lxdCommand}` };
  return undefined;
}

/** The client stage one uses on this host: the named one, or undefined (lxc, then incus). */
export function configuredClient(inv: Inventory, host: HostSpec): LxdClient | undefined {
  const named = namedDaemon(inv, host);
  return named ? clientOf(named.daemon) : undefined;
}

/** Container daemons running on the host, from the process list (lxd; incusd). */
export function runningDaemons(processes: readonly ProcessInfo[] | null): Set<LxdDaemon> {
  const out = new Set<LxdDaemon>();
  for (const p of processes ?? []) {
    const exe = p.exe?.replace(/ \(deleted\)$/, '') ?? '';
    const base = exe.split('/').pop() ?? '';
    if (p.comm === 'incusd' || base === 'incusd') out.add('incus');
    else if (p.comm === 'lxd' || base === 'lxd' || /^lxd(?:\s|$)/.test(p.args)) out.add('lxd');
  }
  return out;
}

/**
 * `CLIENT list --format json` for a client known to be installed: only the fields the checks read
 * leave the host (python3 filters them); without python3 the full list comes back and is reduced the
 * same way on arrival (scrubLxcList). Ends the script on a failed list; otherwise falls through.
 */
export function listCommand(client: LxdClient): string {
  const filter = `python3 -c ${q(LXC_LIST_FILTER_PY)}`;
  return `o=$(timeout 15 ${client} list --format json); rc=$?; if [ $rc -ne 0 ]; then printf '%s\\n' "$o"; exit $rc; fi; if command -v python3 >/dev/null 2>&1 && printf '%s\\n' "$o" | ${filter} 2>/dev/null; then exit 0; fi; printf '%s\\n' "$o"`;
}

/** A list's output as stored: only the container fields lxdcheck reads (stdout); stderr redacted. */
export function scrubLxcList(text: string, stream: 'stdout' | 'stderr'): string {
  return stream === 'stdout' ? reduceLxcList(text) : redactSecrets(text);
}

/** `CLIENT list --format json`, filtered on the host as stage one's list is. */
export function listShell(client: LxdClient): string {
  return `if ! command -v ${client} >/dev/null 2>&1; then echo 'lxdcheck: ${client} is not installed' >&2; exit 127; fi; ${listCommand(client)}`;
}

/** `CLIENT network show BRIDGE`, 127 when the client is not installed. */
export function networkShowShell(client: LxdClient, bridge: string): string {
  return `if command -v ${q(client)} >/dev/null 2>&1; then timeout 10 ${q(client)} network show ${q(bridge)}; else exit 127; fi`;
}

/**
 * Stage two's follow-ups for a host whose daemon the inventory leaves open:
 * the other daemon's list when its process runs too, and `incus network show`
 * when Incus is the one (stage one asked lxc for the bridge).
 */
export function daemonFollowUps(inv: Inventory, host: HostSpec, f: HostFacts | undefined): Section[] {
  const client = f?.lxdCommand ?? null;
  if (!f || configuredClient(inv, host) !== undefined || client === null) return [];
  const out: Section[] = [];
  const other: LxdClient = client === 'lxc' ? 'incus' : 'lxc';
  if (daemonInDoubt(inv, host, client, runningDaemons(f.processes))) {
    out.push({
      name: LXC_LIST_OTHER,
      shell: listShell(other),
      timeoutSeconds: 20,
      wrapTimeout: false,
      // Only the fields the checks read are kept, as for stage one's list.
      scrub: scrubLxcList,
    });
    if (other === 'incus') out.push(networkFollowUp(inv));
  } else if (client === 'incus') {
    out.push(networkFollowUp(inv));
  }
  return out;
}

function networkFollowUp(inv: Inventory): Section {
  return {
    name: INCUS_NETWORK,
    shell: networkShowShell('incus', inv.cluster.bridge),
    timeoutSeconds: 12,
    wrapTimeout: false,
  };
}

export interface DaemonEvidence {
  /** Client of stage one's list, and its answer (containers, or null when it failed). */
  first: { client: LxdClient | null; containers: ContainerInfo[] | null };
  /** Stage two's list of the other client, when it ran. */
  other?: { client: LxdClient; containers: ContainerInfo[] | null };
  running: Set<LxdDaemon>;
}

/** Judge the daemon of one host from the inventory and what the host answered. */
export function judgeDaemon(inv: Inventory, host: HostSpec, e: DaemonEvidence): DaemonJudgement {
  const named = namedDaemon(inv, host);
  if (named) {
    return {
      daemon: named.daemon,
      client: clientOf(named.daemon),
      how: 'named',
      why: `named by ${named.field}`,
    };
  }
  const { first, other } = e;
  if (first.client === null)
    return { daemon: null, client: null, how: 'detected', why: 'no lxc or incus client' };
  const count = (l: ContainerInfo[] | null) => (l === null ? 'no answer' : `${l.length} container(s)`);
  if (other) {
    const a = first.containers;
    const b = other.containers;
    // The one that holds the containers; a tie (or no answer from the other) keeps the first.
    const pickOther = b !== null && (a === null || (b.length > 0 && a.length === 0));
    const chosen = pickOther ? other.client : first.client;
    return {
      daemon: daemonOf(chosen),
      client: chosen,
      how: 'detected',
      why: `detected: both ${first.client} (${count(a)}) and ${other.client} (${count(b)}) are here; ${
        pickOther
          ? `${chosen} holds the containers`
          : `${chosen} ${a && a.length > 0 ? 'holds the containers' : 'answered first'}`
      }; name daemon: in the inventory to choose`,
    };
  }
  const alone = first.client === 'lxc' ? 'lxc answered' : 'incus answered, lxc is not installed';
  return {
    daemon: daemonOf(first.client),
    client: first.client,
    how: 'detected',
    why: first.containers === null ? `detected: ${first.client} is installed` : `detected: ${alone}`,
  };
}

/** Whether stage two judged a host by the other daemon than stage one's list used (its probes are still to run). */
export function daemonSwitched(f: HostFacts | undefined): boolean {
  if (!f || f.raw[LXC_LIST_OTHER] === undefined) return false;
  const first = /lxdcheck-client: (lxc|incus)/.exec(f.raw['lxc-list']?.stderr ?? '')?.[1];
  return f.daemon.client !== null && f.daemon.client !== first && f.containerProbes.length === 0;
}

/**
 * Stage one leaves the daemon open on this host: the inventory names none and
 * the other daemon's process runs beside the client that answered first.
 */
export function daemonInDoubt(
  inv: Inventory,
  host: HostSpec,
  client: LxdClient | null,
  running: Set<LxdDaemon>,
): boolean {
  if (configuredClient(inv, host) !== undefined || client === null) return false;
  return running.has(daemonOf(client === 'lxc' ? 'incus' : 'lxc'));
}
