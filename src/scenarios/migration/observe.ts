/** What the migration scenario looks at on the cluster: the probe, its lease, its DNS answers, its reachability. */
import { dnsProbeShell, parseDnsProbe } from '../../facts/host/dns.js';
import { splitHeadedFiles } from '../../facts/host-facts.js';
import { parseLeases } from '../../facts/parsers/dnsmasq.js';
import { parseLxcList } from '../../facts/parsers/lxc.js';
import { parsePing } from '../../facts/parsers/ping.js';
import type { ContainerInfo } from '../../facts/types.js';
import type { HostSpec } from '../../inventory/types.js';
import { checkAborted, type Migration, run } from './context.js';

/** The probe as `lxc list` on h shows it (undefined: not there, or the list failed). */
export async function containerInfo(m: Migration, h: HostSpec): Promise<ContainerInfo | undefined> {
  const r = await run(m, h, [m.lxc, 'list', m.name, '--format', 'json'], 30_000);
  return r.exitCode === 0 ? parseLxcList(r.stdout).find((c) => c.name === m.name) : undefined;
}

/** Ask `what` every 500 ms until it answers or `ms` pass (an interrupt stops it). */
export async function poll<T>(
  m: Migration,
  what: () => Promise<T | undefined>,
  ms: number,
): Promise<{ value?: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    checkAborted(m);
    const v = await what();
    if (v !== undefined) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > ms) return { ms: Date.now() - t0 };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The address the DHCP host's leases give this MAC. */
export async function leaseFor(m: Migration, mac: string): Promise<string | undefined> {
  const bridge = m.inv.cluster.bridge;
  const files = [
    '/var/lib/misc/dnsmasq.leases',
    `/var/lib/lxd/networks/${bridge}/dnsmasq.leases`,
    `/var/snap/lxd/common/lxd/networks/${bridge}/dnsmasq.leases`,
  ];
  const r = await run(m, m.dhcpHost, [
    'sh',
    '-c',
    'for f in "$@"; do [ -r "$f" ] && { printf "==> %s <==\\n" "$f"; cat "$f"; }; done; true',
    'sh',
    ...files,
  ]);
  for (const f of splitHeadedFiles(r.stdout)) {
    const l = parseLeases(f.content).find((x) => x.mac.toLowerCase() === mac.toLowerCase());
    if (l) return l.ip;
  }
  return undefined;
}

/** What NAME.DOMAIN resolves to from each host, asking the one dnsmasq. */
export async function dnsFromEveryHost(m: Migration): Promise<Map<string, string[]>> {
  const fq = `${m.name}.${m.inv.cluster.domain}`;
  const out = new Map<string, string[]>();
  await Promise.all(
    m.inv.hosts.map(async (h) => {
      const r = await run(m, h, ['sh', '-c', dnsProbeShell(m.dhcpHost.bridgeAddress, [fq])], 15_000);
      out.set(h.name, parseDnsProbe(r.stdout).find((x) => x.name === fq)?.addresses ?? []);
    }),
  );
  return out;
}

/** From one running container (not the probe) on each host but `except`, ping target; time until all answer. */
export async function reachFromOthers(m: Migration, target: string, except: string) {
  const { lxc, name } = m;
  const sources: { h: HostSpec; c: string }[] = [];
  for (const h of m.inv.hosts.filter((x) => x.name !== except)) {
    const r = await run(m, h, [lxc, 'list', '--format', 'json'], 30_000);
    const c = r.exitCode === 0 ? parseLxcList(r.stdout).find((x) => x.running && x.name !== name) : undefined;
    if (c) sources.push({ h, c: c.name });
  }
  const pending = new Set(sources.map((s) => s.h.name));
  const lines: string[] = [];
  const t0 = Date.now();
  while (pending.size > 0 && Date.now() - t0 < m.o.settleMs) {
    checkAborted(m);
    await Promise.all(
      sources
        .filter((s) => pending.has(s.h.name))
        .map(async (s) => {
          const r = await run(
            m,
            s.h,
            [lxc, 'exec', s.c, '--', 'ping', '-n', '-c', '1', '-W', '1', target],
            10_000,
          );
          if (r.exitCode === 0) {
            pending.delete(s.h.name);
            lines.push(
              `${s.c}@${s.h.name}: reached ${target} after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
            );
          } else if (Date.now() - t0 + 1000 >= m.o.settleMs) {
            lines.push(`${s.c}@${s.h.name}: ${parsePing(r.stdout + r.stderr, target).error ?? 'no reply'}`);
          }
        }),
    );
  }
  return { sources, unreachable: [...pending], ms: Date.now() - t0, lines };
}
