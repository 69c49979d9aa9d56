/**
 * Container facts: which containers run where (from `lxc list` on every
 * host), and what each running container sees from the inside — its tools,
 * pings to the other containers by address and by name, and what the names
 * resolve to. One `lxc exec` per source container, all of a host's
 * containers in parallel over that host's one SSH connection.
 */
import type { HostSpec, Inventory } from '../inventory/types.js';
import { quoteArg as q } from '../transport/quote.js';
import { parseFanOut } from './fanout.js';
import type { HostFacts } from './host-facts.js';
import { parsePing } from './parsers/ping.js';
import { withConfirmRound } from './ping.js';
import type { Section } from './script.js';
import type { ContainerInfo, ContainerProbe, PingResult, RawOutput } from './types.js';

/** Tools lxdcheck looks for inside containers, and the Debian package that brings each. */
export const CONTAINER_TOOLS: Record<string, string> = {
  ping: 'iputils-ping',
  getent: 'libc-bin',
  python3: 'python3-minimal',
  socat: 'socat',
};

/** Above this many containers, each one probes a deterministic sample of targets (see --sample). */
export const DEFAULT_FULL_MESH_LIMIT = 24;
export const DEFAULT_SAMPLE = 8;

export interface PlacedContainer {
  name: string;
  /** Inventory host it runs on. */
  host: string;
  info: ContainerInfo;
}

/**
 * Every container in the cluster with the host it runs on. Standalone LXD
 * daemons list only their own; a real LXD cluster lists all, with a
 * location: both are understood, and each container appears once per host.
 */
export function placedContainers(inv: Inventory, facts: ReadonlyMap<string, HostFacts>): PlacedContainer[] {
  const out: PlacedContainer[] = [];
  const seen = new Set<string>();
  for (const h of inv.hosts) {
    for (const c of facts.get(h.name)?.containers ?? []) {
      const host = c.location && inv.hosts.some((x) => x.name === c.location) ? c.location : h.name;
      const key = `${c.name}@${host}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ name: c.name, host, info: c });
    }
  }
  return out;
}

/** FNV-1a, for a sample that is the same on every run and every machine. */
function stableHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The containers a source probes: all others up to the full-mesh limit, else
 * `sample` of them chosen by a stable hash of (source, target), always
 * including one on every other host so no host is left unprobed.
 */
export function targetsFor(
  source: PlacedContainer,
  all: readonly PlacedContainer[],
  sample?: number,
): PlacedContainer[] {
  const others = all.filter((c) => !(c.name === source.name && c.host === source.host) && c.info.running);
  const limit = sample ?? (all.length > DEFAULT_FULL_MESH_LIMIT ? DEFAULT_SAMPLE : Number.POSITIVE_INFINITY);
  if (others.length <= limit) return others;
  const ranked = [...others].sort(
    (a, b) =>
      stableHash(`${source.name}>${a.name}@${a.host}`) - stableHash(`${source.name}>${b.name}@${b.host}`),
  );
  const picked: PlacedContainer[] = [];
  for (const host of new Set(ranked.map((c) => c.host))) {
    const first = ranked.find((c) => c.host === host);
    if (first) picked.push(first);
  }
  for (const c of ranked) if (picked.length < limit && !picked.includes(c)) picked.push(c);
  return picked.slice(0, Math.max(limit, picked.length));
}

export function fqdn(inv: Inventory, name: string): string {
  return `${name}.${inv.cluster.domain}`;
}

/** What stage one already proved about the paths a container probe takes (see cutOffs). */
export interface ProbeKnowledge {
  /** Hosts whose bridge did not answer the source's host in two ping rounds (mesh.bridge). */
  cutOffHosts?: ReadonlySet<string>;
  /**
   * The one dnsmasq cannot answer this container's queries: its host did not reach the DHCP host's
   * bridge in two rounds, or stage one saw no DNS server on the DHCP host at all.
   */
  dnsCutOff?: boolean;
}

/** Stage one read the DHCP host's processes and sockets and found nothing that serves DNS there. */
export function dnsServerDown(inv: Inventory, facts: ReadonlyMap<string, HostFacts>): boolean {
  const d = facts.get(inv.cluster.dhcp);
  if (!d?.processes || !d.udpSockets) return false;
  return d.dnsmasq.length === 0 && !d.udpSockets.some((u) => u.port === 53);
}

/** The resolver options of a container whose host cannot reach the one dnsmasq: one try of 1 s per query. */
export const CUT_OFF_RES_OPTIONS = 'timeout:1 attempts:1';

/**
 * Seconds after the first round of a ping to a host already known cut off at
 * which its confirming round starts (beside it, not after its 1 s timeout).
 */
export const CUT_OFF_CONFIRM_DELAY = '0.4';

/**
 * The script run inside one container (through `lxc exec NAME -- sh -c SCRIPT`).
 * Every probe runs at once (one deadline for all, not one after another).
 */
export function innerProbeScript(
  inv: Inventory,
  source: PlacedContainer,
  targets: readonly PlacedContainer[],
  known: ProbeKnowledge = {},
): string {
  const tools = Object.keys(CONTAINER_TOOLS).join(' ');
  const jobs: string[] = [];
  // A host that cannot reach the DNS server, or whose DNS server is not running, would wait out the
  // resolver's default 5 s x 2 tries per name and search domain (10-20 s seen in the lab): one 1 s
  // try says the same.
  const env = known.dnsCutOff ? `RES_OPTIONS=${q(CUT_OFF_RES_OPTIONS)} ` : '';
  const job = (key: string, argv: string[]) =>
    `( o=$(${env}${argv.map(q).join(' ')} 2>&1); printf '##PING %s rc=%s\\n%s\\n' ${q(key)} "$?" "$o" ) &`;
  // A ping that lost packets is asked once more at once (`confirm KEY`): one lost reply on a busy
  // host is no failure. A name that did not resolve is not asked again (that would only wait out
  // the resolver a second time; the DNS answers are checked on their own).
  const pingJob = (key: string, target: string, resolve: boolean) => {
    const argv = `${resolve ? env : ''}${['ping', '-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', target].map(q).join(' ')}`;
    return `( o=$(${argv} 2>&1); rc=$?; printf '##PING %s rc=%s\\n%s\\n' ${q(key)} "$rc" "$o"; if [ $rc -ne 0 ]; then case "$o" in *resolution*|*"not known"*) ;; *) o=$(${argv} 2>&1); printf '##PING %s rc=%s\\n%s\\n' ${q(`confirm ${key}`)} "$?" "$o" ;; esac; fi ) &`;
  };
  // A target on a host stage one already found cut off from here (two lost rounds): its confirming
  // round starts once the first round's packets are out, beside it, and is printed either way.
  // (A name that did not resolve is still not confirmed.)
  const cutOffJob = (key: string, target: string, resolve: boolean) => {
    const argv = `${resolve ? env : ''}${['ping', '-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', target].map(q).join(' ')}`;
    return [
      `( o=$(${argv} 2>&1); printf '##PING %s rc=%s\\n%s\\n' ${q(key)} "$?" "$o" ) &`,
      `( sleep ${CUT_OFF_CONFIRM_DELAY}; o=$(${argv} 2>&1); rc=$?; case "$o" in *resolution*|*"not known"*) ;; *) printf '##PING %s rc=%s\\n%s\\n' ${q(`confirm ${key}`)} "$rc" "$o" ;; esac ) &`,
    ].join('\n');
  };
  const names = new Map<string, boolean>();
  for (const t of targets) {
    const ip = t.info.ipv4[0];
    const cut = known.cutOffHosts?.has(t.host) === true;
    if (ip) jobs.push(cut ? cutOffJob(`ip ${ip}`, ip, false) : pingJob(`ip ${ip}`, ip, false));
    const n = fqdn(inv, t.name);
    // Two containers of one name on different hosts: the name counts as cut off only if both are.
    names.set(n, (names.get(n) ?? true) && cut);
  }
  for (const [n, cut] of names) {
    // Where the resolver gets one short try, the name is asked as absolute (a trailing dot): the search
    // domains would each cost that try again for a name that is already fully qualified.
    const asked = known.dnsCutOff ? `${n}.` : n;
    jobs.push(cut ? cutOffJob(`name ${n}`, asked, true) : pingJob(`name ${n}`, asked, true));
    jobs.push(job(`dns ${n}`, ['getent', 'ahostsv4', asked]));
  }
  return [
    `echo ${q(`##CT ${source.name}`)}`,
    `printf '##TOOLS'; for t in ${tools}; do command -v "$t" >/dev/null 2>&1 && printf ' %s' "$t"; done; echo`,
    ...jobs,
    'wait',
  ].join('\n');
}

/** Stage one's proof of silence: the hosts whose bridge did not answer `host`'s pings in either round. */
export function cutOffFrom(inv: Inventory, host: string, facts: ReadonlyMap<string, HostFacts>): Set<string> {
  const mesh = facts.get(host)?.mesh ?? [];
  const out = new Set<string>();
  for (const h of inv.hosts) {
    if (h.name === host) continue;
    const m = mesh.find((p) => p.target === h.bridgeAddress);
    if (m && m.received === 0 && m.confirmRound?.lostAgain) out.add(h.name);
  }
  return out;
}

export function containerSections(
  inv: Inventory,
  host: HostSpec,
  facts: ReadonlyMap<string, HostFacts>,
  sample?: number,
): Section[] {
  const all = placedContainers(inv, facts);
  const lxc = facts.get(host.name)?.lxdCommand ?? inv.cluster.lxdCommand ?? 'lxc';
  const cutOffHosts = cutOffFrom(inv, host.name, facts);
  const known: ProbeKnowledge = {
    cutOffHosts,
    dnsCutOff: cutOffHosts.has(inv.cluster.dhcp) || dnsServerDown(inv, facts),
  };
  return all
    .filter((c) => c.host === host.name && c.info.running)
    .map((c, i) => {
      const script = innerProbeScript(inv, c, targetsFor(c, all, sample), known);
      return {
        name: `ct-${i}`,
        // Each container in its own channel, so they run in parallel.
        group: `ct-${i}`,
        shell: `${q(lxc)} exec ${q(c.name)} -- sh -c ${q(script)}`,
        timeoutSeconds: 20,
      };
    });
}

export function parseContainerProbe(section: string, raw: RawOutput): ContainerProbe | null {
  const lines = raw.stdout.split('\n');
  const ct = lines
    .find((l) => l.startsWith('##CT '))
    ?.slice(5)
    .trim();
  const fromCommand = /exec (\S+) --/.exec(raw.command)?.[1]?.replace(/^'|'$/g, '');
  // The name in our own command wins: `##CT` comes from inside the container, which may lie.
  const container = fromCommand ?? ct;
  if (!container) return null;
  const toolsLine = lines.find((l) => l.startsWith('##TOOLS'));
  const probe: ContainerProbe = {
    container,
    tools: toolsLine !== undefined ? toolsLine.slice(7).trim().split(/\s+/).filter(Boolean) : null,
    byIp: new Map(),
    byName: new Map(),
    dns: new Map(),
    section,
  };
  if (toolsLine === undefined) {
    const why = raw.timedOut
      ? 'timed out'
      : `exit ${raw.exitCode}: ${(raw.stderr || raw.stdout).trim().split('\n')[0] ?? ''}`;
    probe.error = `lxc exec ${container} failed (${why})`;
  }
  const again: { kind: string; result: PingResult }[] = [];
  for (const b of parseFanOut(raw.stdout)) {
    const [kind, target, confirmed] = b.key.split(' ');
    if (!kind || !target) continue;
    if (kind === 'confirm' && confirmed)
      again.push({ kind: target, result: { ...parsePing(b.output, confirmed), target: confirmed } });
    else if (kind === 'ip') probe.byIp.set(target, { ...parsePing(b.output, target), target });
    else if (kind === 'name') probe.byName.set(target, { ...parsePing(b.output, target), target });
    else if (kind === 'dns') {
      const addresses =
        b.exitCode === 0
          ? [
              ...new Set(
                b.output
                  .split('\n')
                  .map((l) => l.split(/\s+/)[0] ?? '')
                  .filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)),
              ),
            ]
          : [];
      probe.dns.set(target, { addresses, exitCode: b.exitCode, output: b.output });
    }
  }
  for (const map of [probe.byIp, probe.byName]) {
    const kind = map === probe.byIp ? 'ip' : 'name';
    const confirm = again.filter((a) => a.kind === kind).map((a) => a.result);
    for (const r of withConfirmRound([...map.values()], confirm)) map.set(r.target, r);
  }
  return probe;
}
