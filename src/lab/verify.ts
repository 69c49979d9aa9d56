/** Is the lab healthy? Plain commands, a list of problems (empty = healthy). */
import { BRIDGE, DHCP_RANGE, DOMAIN, OVERLAY_IF } from './constants.js';
import { netnsAddress } from './containers.js';
import { pMap, run } from './exec.js';
import { execOn, netnsExists } from './host.js';
import { lxcArgv, lxcList } from './lxd.js';
import { peervpnLoggedCount } from './peervpn.js';
import { pidAlive } from './proc.js';
import { listening } from './services.js';
import type { LabContainer, LabHost, LabState } from './state.js';

/** Ping from a host; true when any reply came back. */
export async function pingFrom(
  h: Pick<LabHost, 'initPid'>,
  addr: string,
  extra: string[] = [],
): Promise<boolean> {
  const r = await execOn(h, ['ping', '-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', ...extra, addr], {
    timeoutMs: 5000,
  });
  return r.exitCode === 0;
}

/** The bridge a link is enslaved to inside a namespace, or null (undefined when the link is missing). */
export async function masterOf(ns: string, link: string): Promise<string | null | undefined> {
  const r = await run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', link]);
  if (r.exitCode !== 0) return undefined;
  return (JSON.parse(r.stdout || '[]') as { master?: string }[])[0]?.master ?? null;
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
}

export function inDhcpRange(ip: string | undefined | null): boolean {
  if (!ip) return false;
  const n = ipToNumber(ip);
  return n >= ipToNumber(DHCP_RANGE.first) && n <= ipToNumber(DHCP_RANGE.last);
}

export async function verifyHost(state: LabState, h: LabHost): Promise<string[]> {
  const problems: string[] = [];
  if (!(await pidAlive(h.initPid))) return [`${h.name}: init (pid ${h.initPid}) is not running`];
  if (!(await listening(h, 'tcp', h.underlayAddress, 22)))
    problems.push(`${h.name}: sshd is not listening on :22`);
  const master = await masterOf(h.netns, OVERLAY_IF);
  if (master === undefined) problems.push(`${h.name}: ${OVERLAY_IF} does not exist`);
  else if (master !== BRIDGE) problems.push(`${h.name}: ${OVERLAY_IF} is not a port of ${BRIDGE}`);
  if (state.options.overlay === 'tinc' && !(await pidAlive(h.daemons.tincd?.pid))) {
    problems.push(`${h.name}: tincd is not running`);
  }
  if (state.options.overlay === 'peervpn') {
    if (!(await pidAlive(h.daemons.peervpn?.pid)))
      problems.push(`${h.name}: the peervpn stand-in is not running`);
    else {
      // Healthy means its own log says so too (the first count comes ~11 s after start).
      const count = await peervpnLoggedCount(h);
      const want = state.hosts.length - 1;
      if (want > 0 && (count ?? 0) < want)
        problems.push(
          `${h.name}: peervpn's log says ${count ?? 'nothing yet about'} peers connected, not ${want}`,
        );
    }
  }
  if (h.index === 1) {
    if (!(await pidAlive(h.daemons.dnsmasq?.pid))) problems.push(`${h.name}: dnsmasq is not running`);
    else if (!(await listening(h, 'udp', h.bridgeAddress, 53)))
      problems.push(`${h.name}: dnsmasq is not listening`);
  }
  if (state.options.lxd && !(await pidAlive(h.daemons.lxd?.pid)))
    problems.push(`${h.name}: lxd is not running`);
  return problems;
}

/** Bridges reach each other across the overlay: every host <-> lxd1, and each host -> the next. */
export async function verifyOverlay(state: LabState): Promise<string[]> {
  const hosts = state.hosts;
  const first = hosts[0];
  if (!first) return ['no hosts'];
  const pairs: [LabHost, LabHost][] = [];
  for (const h of hosts.slice(1)) pairs.push([h, first], [first, h]);
  if (hosts.length > 2) {
    for (let i = 1; i < hosts.length; i++)
      pairs.push([hosts[i] as LabHost, hosts[(i + 1) % hosts.length] as LabHost]);
  }
  const results = await pMap(pairs, 16, async ([a, b]) =>
    (await pingFrom(a, b.bridgeAddress))
      ? null
      : `${a.name} cannot ping ${b.name}'s ${BRIDGE} ${b.bridgeAddress}`,
  );
  return results.filter((x): x is string => x !== null);
}

/** Every container is running with a lease from the one dnsmasq, and its name resolves to it. */
export async function verifyContainers(state: LabState): Promise<string[]> {
  const problems: string[] = [];
  const live = await currentContainers(state);
  for (const c of live) {
    if (!inDhcpRange(c.address))
      problems.push(
        `${c.name}@${c.host}: no address from ${DHCP_RANGE.first}-${DHCP_RANGE.last} (has ${c.address ?? 'none'})`,
      );
  }
  const probe = live[0];
  if (probe) {
    const answers = await pMap(live, 8, async (c) => {
      const r = await containerExecIn(state, probe, ['getent', 'hosts', `${c.name}.${DOMAIN}`], 5000);
      const got = r.stdout.trim().split(/\s+/)[0];
      return got === c.address
        ? null
        : `${probe.name} resolves ${c.name}.${DOMAIN} to ${got || 'nothing'}, expected ${c.address}`;
    });
    problems.push(...answers.filter((x): x is string => x !== null));
  }
  return problems;
}

/** The containers as they are now (address read live). */
export async function currentContainers(state: LabState): Promise<LabContainer[]> {
  if (!state.options.lxd) {
    return pMap(state.containers, 8, async (c) => {
      const alive = c.netns ? await netnsExists(c.netns) : false;
      return { ...c, address: alive && c.netns ? ((await netnsAddress(c.netns)) ?? undefined) : undefined };
    });
  }
  const out: LabContainer[] = [];
  for (const h of state.hosts) {
    for (const c of await lxcList(h)) out.push(c);
  }
  return out;
}

export async function containerExecIn(state: LabState, c: LabContainer, argv: string[], timeoutMs = 30_000) {
  if (c.kind === 'netns' && c.netns) return run(['ip', 'netns', 'exec', c.netns, ...argv], { timeoutMs });
  const h = state.hosts.find((x) => x.name === c.host);
  if (!h) throw new Error(`container ${c.name}: unknown host ${c.host}`);
  return execOn(h, lxcArgv(h, ['exec', c.name, '--', ...argv]), { timeoutMs });
}

export async function verifyLab(state: LabState): Promise<string[]> {
  const perHost = await Promise.all(state.hosts.map((h) => verifyHost(state, h)));
  const problems = perHost.flat();
  if (problems.length > 0) return problems;
  problems.push(...(await verifyOverlay(state)));
  if (problems.length > 0) return problems;
  problems.push(...(await verifyContainers(state)));
  return problems;
}

/**
 * Verify, and while problems remain re-verify once a second up to `ms`: a
 * (re)started VPN reconnects with backoff and ARP re-resolves, which can
 * take a while on a loaded machine. Returns the problems still left.
 */
export async function verifyUntilHealthy(state: LabState, ms = 45_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  let problems = await verifyLab(state);
  while (problems.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    problems = await verifyLab(state);
  }
  return problems;
}
