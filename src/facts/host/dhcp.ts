/**
 * dhcp: the lease files of every dnsmasq layout lxdcheck knows (stage one)
 * and, on the DHCP host, the one dnsmasq's own log (stage two), read only
 * from a log folder and only for a system dnsmasq executable.
 */
import type { HostSpec, Inventory } from '../../inventory/types.js';
import { quoteArg as q } from '../../transport/quote.js';
import type { HostFacts } from '../host-facts.js';
import { okOutput, splitHeadedFiles } from '../host-facts.js';
import { parseDnsmasqDhcpAcks, parseLeases } from '../parsers/dnsmasq.js';
import type { Section } from '../script.js';
import type { RawOutput } from '../types.js';

export const LEASES = 'leases';
export const DNSMASQ_LOG = 'dnsmasq-log';

const LEASE_FILES = [
  '/var/lib/misc/dnsmasq.leases',
  '/var/lib/lxd-bridge/dnsmasq.lxdbr0.leases',
  '/var/lib/lxd/networks/BRIDGE/dnsmasq.leases',
  '/var/snap/lxd/common/lxd/networks/BRIDGE/dnsmasq.leases',
  '/var/lib/incus/networks/BRIDGE/dnsmasq.leases',
];

/** Print each readable file after a `==> path <==` header, as `tail` does for several files. */
function catFiles(paths: readonly string[]): string {
  const list = paths.map(q).join(' ');
  return `for f in ${list}; do if [ -r "$f" ]; then printf '==> %s <==\\n' "$f"; cat "$f"; fi; done`;
}

export function dhcpSections(inv: Inventory): Section[] {
  const leaseFiles = LEASE_FILES.map((f) => f.replace('BRIDGE', inv.cluster.bridge));
  return [{ name: LEASES, shell: catFiles(leaseFiles), timeoutSeconds: 5, wrapTimeout: false }];
}

/** Where a dnsmasq log may be read from: log folders only, never an arbitrary file. */
const LOG_PATH = /^\/var\/(?:log|snap\/lxd\/common\/lxd\/logs)\/(?:[A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]+$/;

/** Folders a dnsmasq executable is installed in (a copy elsewhere is not trusted with a file read). */
const SYSTEM_EXE =
  /^\/(?:usr\/(?:local\/)?s?bin|s?bin|snap\/lxd\/[^/]+\/bin|snap\/incus\/[^/]+\/bin)\/dnsmasq(?: \(deleted\))?$/;

/**
 * The one dnsmasq's log file, from its command line (--log-facility=FILE),
 * when it logs to a file: only for a process whose executable is a system
 * dnsmasq, and only a plain path in a log folder (no `..`). The host checks
 * again before reading (dnsmasqLogShell).
 */
export function dnsmasqLogFile(facts: HostFacts | undefined): { pid: number; path: string } | null {
  for (const d of facts?.dnsmasq ?? []) {
    if (d.exe !== undefined && !SYSTEM_EXE.test(d.exe)) continue;
    const m = /(?:^|\s)--log-facility[= ](\/\S+)/.exec(d.args);
    const path = m?.[1];
    if (path && LOG_PATH.test(path) && !path.split('/').includes('..')) return { pid: d.pid, path };
  }
  return null;
}

/**
 * Read the dnsmasq log only if PID still runs a dnsmasq executable and PATH is
 * a regular file that is not a symlink and resolves to itself.
 */
export function dnsmasqLogShell(pid: number, path: string): string {
  const l = q(path);
  return [
    `e=$(readlink /proc/${Math.trunc(pid)}/exe 2>/dev/null)`,
    `case "$e" in */dnsmasq|*/dnsmasq' (deleted)') ;; *) echo "lxdcheck: pid ${Math.trunc(pid)} is not a dnsmasq executable (\${e:-unreadable}); its log is not read" >&2; exit 3 ;; esac`,
    `if [ -f ${l} ] && [ ! -L ${l} ] && [ "$(readlink -f -- ${l})" = ${l} ]; then tail -n 20000 -- ${l}; else echo "lxdcheck: "${l}" is not a regular log file; not read" >&2; exit 3; fi`,
  ].join('; ');
}

/** Stage two, on the DHCP host only: the one dnsmasq's log when it logs to a file. */
export function dnsmasqLogSections(
  inv: Inventory,
  host: HostSpec,
  facts: ReadonlyMap<string, HostFacts>,
): Section[] {
  const log = host.name === inv.cluster.dhcp ? dnsmasqLogFile(facts.get(host.name)) : null;
  if (!log) return [];
  return [
    { name: DNSMASQ_LOG, shell: dnsmasqLogShell(log.pid, log.path), timeoutSeconds: 10, wrapTimeout: false },
  ];
}

export function dhcpFacts(
  raw: Record<string, RawOutput>,
): Pick<HostFacts, 'leases' | 'dnsmasqLog' | 'dhcpAcks'> {
  const leases = raw[LEASES];
  const log = okOutput(raw, DNSMASQ_LOG);
  return {
    leases: leases
      ? splitHeadedFiles(leases.stdout).map((f) => ({ file: f.file, leases: parseLeases(f.content) }))
      : [],
    dnsmasqLog: log,
    dhcpAcks: log ? parseDnsmasqDhcpAcks(log) : [],
  };
}
