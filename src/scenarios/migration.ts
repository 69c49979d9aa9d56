/**
 * The migration scenario (mutating, needs --allow-mutations): launch a probe
 * container on host A, record its identity (MAC, IPv4, lease, DNS answer,
 * reachability from the other hosts), move it to host B with the best
 * method that works, verify every property again, and always delete it —
 * on success, failure, timeout and Ctrl-C.
 */
import { dnsProbeShell, parseDnsProbe } from '../facts/host/dns.js';
import { splitHeadedFiles } from '../facts/host-facts.js';
import { parseLeases } from '../facts/parsers/dnsmasq.js';
import { parseLxcList } from '../facts/parsers/lxc.js';
import { parsePing } from '../facts/parsers/ping.js';
import type { ContainerInfo } from '../facts/types.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import type { CheckResult, Evidence, PlannedCheck, RunEvent, Status, Subject } from '../model.js';
import type { Transport } from '../transport/types.js';
import { deleteProbes, launchArgv, lxcOf, on, probeName } from './probes.js';

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

interface Identity {
  mac?: string;
  ipv4?: string;
  lease?: string;
  /** host -> addresses NAME.DOMAIN resolved to from that host */
  dns: Map<string, string[]>;
}

const PROPERTIES = [
  ['migration.launch', 'probe container launched and leased an address'],
  ['migration.move', 'probe container moved to the target host'],
  ['migration.mac', 'MAC address unchanged after the move'],
  ['migration.ipv4', 'same IPv4 leased again after the move'],
  ['migration.dns', 'NAME.DOMAIN resolves to the same address from every host'],
  ['migration.reach-ip', 'containers on the other hosts reach it by IP after the move'],
  ['migration.reach-name', 'containers on the other hosts reach it by name after the move'],
  ['migration.cleanup', 'the probe container is gone'],
] as const;

type PropertyId = (typeof PROPERTIES)[number][0];

class Aborted extends Error {}

export async function runMigration(
  o: MigrationOptions,
): Promise<{ results: CheckResult[]; aborted?: string }> {
  const inv = o.inventory;
  const started = performance.now();
  const lxc = lxcOf(inv);
  const a = inv.hosts.find((h) => h.name === (o.from ?? inv.hosts[0]?.name));
  const b = inv.hosts.find((h) => h.name === (o.to ?? inv.hosts.find((x) => x !== a)?.name));
  if (!a || !b || a === b)
    throw new Error('migration needs two different hosts (--from/--to, or an inventory with two)');
  const src: HostSpec = a;
  const dst: HostSpec = b;
  const name = probeName();
  const subject: Subject = { container: name, host: a.name, peer: b.name };
  const planned: PlannedCheck[] = PROPERTIES.map(([id, title]) => ({ key: id, id, title, subject }));
  o.emit({
    type: 'run-start',
    cluster: inv.cluster.name,
    scenario: 'migration',
    hosts: inv.hosts.map((h) => h.name),
    planned,
  });
  o.emit({
    type: 'progress',
    message: `migration will create container ${name} on ${a.name}${o.image ? ` from image ${o.image}` : ''}, move it to ${b.name}, and delete it`,
  });

  const results: CheckResult[] = [];
  const transports = new Map<string, Transport>();
  const t = (h: HostSpec) => {
    let x = transports.get(h.name);
    if (!x) {
      x = o.transport(h);
      transports.set(h.name, x);
    }
    return x;
  };
  const check = () => {
    if (o.signal?.aborted) throw new Aborted('interrupted');
  };
  const record = (id: PropertyId, status: Status, summary: string, extra: Partial<CheckResult> = {}) => {
    const title = PROPERTIES.find(([p]) => p === id)?.[1] ?? id;
    const r: CheckResult = {
      id,
      title,
      subject,
      status,
      summary,
      evidence: [],
      durationMs: Math.round(performance.now() - started),
      ...extra,
    };
    results.push(r);
    o.emit({ type: 'result', key: id, result: r });
    // Reports write their test points when the run ends (with causes): say each step as it happens.
    o.emit({ type: 'progress', message: `${id}: ${status}: ${summary}` });
  };
  const run = (h: HostSpec, argv: string[], timeoutMs = 60_000) => on(t(h), argv, timeoutMs, o.signal);
  const ev = (
    h: HostSpec,
    argv: string[],
    r: { exitCode: number | null; stdout: string; stderr: string },
  ): Evidence => ({
    host: h.name,
    command: argv.join(' '),
    exitCode: r.exitCode,
    excerpt: `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-8).join('\n'),
  });

  const info = async (h: HostSpec): Promise<ContainerInfo | undefined> => {
    const r = await run(h, [lxc, 'list', name, '--format', 'json'], 30_000);
    return r.exitCode === 0 ? parseLxcList(r.stdout).find((c) => c.name === name) : undefined;
  };
  const waitFor = async <T>(
    what: () => Promise<T | undefined>,
    ms: number,
  ): Promise<{ value?: T; ms: number }> => {
    const t0 = Date.now();
    for (;;) {
      check();
      const v = await what();
      if (v !== undefined) return { value: v, ms: Date.now() - t0 };
      if (Date.now() - t0 > ms) return { ms: Date.now() - t0 };
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const dhcpHost = inv.hosts.find((h) => h.name === inv.cluster.dhcp)!;
  const leaseFor = async (mac: string): Promise<string | undefined> => {
    const files = [
      '/var/lib/misc/dnsmasq.leases',
      `/var/lib/lxd/networks/${inv.cluster.bridge}/dnsmasq.leases`,
      `/var/snap/lxd/common/lxd/networks/${inv.cluster.bridge}/dnsmasq.leases`,
    ];
    const r = await run(dhcpHost, [
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
  };
  const dnsFromEveryHost = async (): Promise<Map<string, string[]>> => {
    const fq = `${name}.${inv.cluster.domain}`;
    const out = new Map<string, string[]>();
    await Promise.all(
      inv.hosts.map(async (h) => {
        const r = await run(h, ['sh', '-c', dnsProbeShell(dhcpHost.bridgeAddress, [fq])], 15_000);
        out.set(h.name, parseDnsProbe(r.stdout).find((x) => x.name === fq)?.addresses ?? []);
      }),
    );
    return out;
  };
  /** From one running container (not the probe) on each host but `except`, ping target; time until all answer. */
  const reachFromOthers = async (target: string, except: string) => {
    const sources: { h: HostSpec; c: string }[] = [];
    for (const h of inv.hosts.filter((x) => x.name !== except)) {
      const r = await run(h, [lxc, 'list', '--format', 'json'], 30_000);
      const c =
        r.exitCode === 0 ? parseLxcList(r.stdout).find((x) => x.running && x.name !== name) : undefined;
      if (c) sources.push({ h, c: c.name });
    }
    const pending = new Set(sources.map((s) => s.h.name));
    const lines: string[] = [];
    const t0 = Date.now();
    while (pending.size > 0 && Date.now() - t0 < o.settleMs) {
      check();
      await Promise.all(
        sources
          .filter((s) => pending.has(s.h.name))
          .map(async (s) => {
            const r = await run(
              s.h,
              [lxc, 'exec', s.c, '--', 'ping', '-n', '-c', '1', '-W', '1', target],
              10_000,
            );
            if (r.exitCode === 0) {
              pending.delete(s.h.name);
              lines.push(
                `${s.c}@${s.h.name}: reached ${target} after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
              );
            } else if (Date.now() - t0 + 1000 >= o.settleMs) {
              lines.push(`${s.c}@${s.h.name}: ${parsePing(r.stdout + r.stderr, target).error ?? 'no reply'}`);
            }
          }),
      );
    }
    return { sources, unreachable: [...pending], ms: Date.now() - t0, lines };
  };

  let aborted: string | undefined;
  let where: HostSpec = a;
  try {
    // 1. Launch and record the identity before the move.
    let image = o.image;
    if (!image) {
      const r = await run(a, [lxc, 'image', 'list', '--format', 'json']);
      const list =
        r.exitCode === 0
          ? (JSON.parse(r.stdout) as { fingerprint: string; aliases?: { name: string }[] }[])
          : [];
      image = list[0]?.aliases?.[0]?.name ?? list[0]?.fingerprint;
      if (!image) {
        record(
          'migration.launch',
          'fail',
          `no local image on ${a.name} to launch a probe from; name one with --image`,
          { evidence: [ev(a, [lxc, 'image', 'list'], r)] },
        );
        return { results };
      }
    }
    const launch = launchArgv(lxc, image, name);
    const launched = await run(a, launch, 180_000);
    check();
    if (launched.exitCode !== 0) {
      record('migration.launch', 'fail', `lxc launch failed on ${a.name}`, {
        evidence: [ev(a, launch, launched)],
      });
      return { results };
    }
    const up = await waitFor(async () => {
      const c = await info(a);
      return c?.ipv4[0] ? c : undefined;
    }, 60_000);
    if (!up.value) {
      record('migration.launch', 'fail', `${name} got no IPv4 address on ${a.name} within 60 s`, {
        hint: { why: 'DHCP from the one dnsmasq did not answer: see dhcp.single and overlay.member.' },
      });
      return { results };
    }
    const before: Identity = { dns: new Map() };
    before.mac = up.value.hwaddr;
    before.ipv4 = up.value.ipv4[0];
    before.lease = before.mac ? await leaseFor(before.mac) : undefined;
    before.dns = await dnsFromEveryHost();
    record(
      'migration.launch',
      'pass',
      `${name} on ${a.name}: MAC ${before.mac}, IPv4 ${before.ipv4} (after ${(up.ms / 1000).toFixed(1)} s), lease ${before.lease ?? 'none'}`,
    );

    // 2. Move with the best method that works here.
    const moved = await moveContainer();
    check();
    if (!moved.ok) {
      record(
        'migration.move',
        'fail',
        `could not move ${name} from ${a.name} to ${b.name}: ${moved.reason}`,
        { evidence: moved.evidence, ...(moved.hint ? { hint: moved.hint } : {}) },
      );
      return { results };
    }
    where = b;
    record('migration.move', 'pass', `moved with ${moved.method} in ${(moved.ms / 1000).toFixed(1)} s`, {
      evidence: moved.evidence,
    });

    // 3. Identity after the move.
    const after = await waitFor(async () => {
      const c = await info(b);
      return c?.running && c.ipv4[0] ? c : undefined;
    }, 60_000);
    const c = after.value;
    const mac = c?.hwaddr;
    record(
      'migration.mac',
      mac && mac === before.mac ? 'pass' : 'fail',
      mac === before.mac ? `MAC ${mac} kept` : `MAC changed: ${before.mac} → ${mac ?? 'unknown'}`,
      mac === before.mac
        ? {}
        : {
            expected: before.mac ?? '',
            actual: mac ?? '',
            hint: {
              why: 'A new MAC means a new DHCP lease, so a new address and a stale name.',
              fix: [`lxc config get ${name} volatile.eth0.hwaddr`],
            },
          },
    );
    const ip = c?.ipv4[0];
    const lease = mac ? await leaseFor(mac) : undefined;
    const sameIp = ip !== undefined && ip === before.ipv4;
    record(
      'migration.ipv4',
      sameIp ? 'pass' : 'fail',
      sameIp
        ? `${ip} leased again (lease ${lease ?? 'none'})`
        : `address changed: ${before.ipv4} → ${ip ?? 'none'} (lease ${lease ?? 'none'})`,
      sameIp ? {} : { expected: before.ipv4 ?? '', actual: ip ?? 'none' },
    );
    const dns = await dnsFromEveryHost();
    const wrong = [...dns.entries()].filter(([, addrs]) => !ip || !addrs.includes(ip));
    record(
      'migration.dns',
      wrong.length === 0 ? 'pass' : 'fail',
      wrong.length === 0
        ? `${name}.${inv.cluster.domain} → ${ip} from ${dns.size} hosts`
        : `from ${wrong.map(([h, x]) => `${h}: ${x.join(',') || 'no answer'}`).join('; ')}, expected ${ip}`,
    );
    if (!ip) {
      record('migration.reach-ip', 'skip', 'no address after the move');
      record('migration.reach-name', 'skip', 'no address after the move');
    } else {
      const byIp = await reachFromOthers(ip, b.name);
      record(
        'migration.reach-ip',
        byIp.sources.length === 0 ? 'skip' : byIp.unreachable.length === 0 ? 'pass' : 'fail',
        byIp.sources.length === 0
          ? 'no running container with ping on the other hosts to test from'
          : byIp.unreachable.length === 0
            ? `reached from ${byIp.sources.length} hosts within ${(byIp.ms / 1000).toFixed(1)} s`
            : `not reached from ${byIp.unreachable.join(', ')} within ${(o.settleMs / 1000).toFixed(0)} s`,
        {
          evidence: [{ note: byIp.lines.join('\n') }],
          ...(byIp.unreachable.length
            ? {
                hint: {
                  why: 'Peers still send to the old host: the VPN and bridges learned its MAC there (peervpn keeps MACs 24 h, tinc 10 min).',
                  fix: [
                    `lxc exec ${name} -- arping -U -c 3 -I eth0 ${ip}   # a gratuitous ARP teaches the new location`,
                  ],
                },
              }
            : {}),
        },
      );
      const byName = await reachFromOthers(`${name}.${inv.cluster.domain}`, b.name);
      record(
        'migration.reach-name',
        byName.sources.length === 0 ? 'skip' : byName.unreachable.length === 0 ? 'pass' : 'fail',
        byName.sources.length === 0
          ? 'no running container on the other hosts to test from'
          : byName.unreachable.length === 0
            ? `reached by name from ${byName.sources.length} hosts`
            : `not reached by name from ${byName.unreachable.join(', ')}`,
        { evidence: [{ note: byName.lines.join('\n') }] },
      );
    }
  } catch (e) {
    if (e instanceof Aborted) aborted = 'interrupted';
    else throw e;
  } finally {
    // Always clean up, with fresh bounded commands that an interrupt does not cancel.
    const leftovers: string[] = [];
    for (const h of [where, a, b]) {
      const d = await deleteProbes(t(h), inv, [name]);
      leftovers.push(...d.failed.map((f) => `${h.name}: ${f}`));
    }
    record(
      'migration.cleanup',
      leftovers.length ? 'fail' : 'pass',
      leftovers.length ? `could not delete: ${leftovers.join('; ')}` : `${name} deleted`,
      leftovers.length ? { hint: { fix: ['lxdcheck cleanup -i INVENTORY'] } } : {},
    );
    await Promise.all([...transports.values()].map((x) => x.close().catch(() => undefined)));
  }
  // Properties never reached (an early stop) are skipped with the reason.
  for (const [id] of PROPERTIES) {
    if (!results.some((r) => r.id === id))
      record(id, 'skip', aborted ? `not run: ${aborted}` : 'not reached: an earlier step failed');
  }
  const order = PROPERTIES.map(([id]) => id as string);
  results.sort((x, y) => order.indexOf(x.id) - order.indexOf(y.id));
  o.emit({
    type: 'run-end',
    results,
    durationMs: Math.round(performance.now() - started),
    ...(aborted ? { aborted } : {}),
  });
  return { results, ...(aborted ? { aborted } : {}) };

  async function moveContainer(): Promise<{
    ok: boolean;
    method?: string;
    ms: number;
    reason?: string;
    evidence: Evidence[];
    hint?: { why?: string; fix?: string[] };
  }> {
    const t0 = Date.now();
    const evidence: Evidence[] = [];
    // A real LXD cluster moves with --target; standalone daemons need a remote on A that points at B.
    const list = await run(src, [lxc, 'list', name, '--format', 'json']);
    const clustered = list.exitCode === 0 && parseLxcList(list.stdout)[0]?.location !== undefined;
    let dest: string[];
    if (clustered) dest = ['--target', dst.name];
    else {
      const remotes = await run(src, [lxc, 'remote', 'list', '--format', 'json']);
      let remote: string | undefined;
      try {
        const doc = JSON.parse(remotes.stdout) as Record<string, { Addr?: string }>;
        const hostsOfB = [dst.name, dst.ssh.hostname, dst.bridgeAddress];
        remote = Object.entries(doc).find(
          ([rname, r]) =>
            hostsOfB.includes(rname) ||
            hostsOfB.some((x) => (r.Addr ?? '').includes(`//${x}:`) || (r.Addr ?? '').endsWith(`//${x}`)),
        )?.[0];
      } catch {
        remote = undefined;
      }
      if (!remote) {
        return {
          ok: false,
          ms: 0,
          reason: `no LXD remote on ${src.name} points at ${dst.name}`,
          evidence: [ev(src, [lxc, 'remote', 'list'], remotes)],
          hint: {
            fix: [
              `on ${src.name}: lxc remote add ${dst.name} https://${dst.ssh.hostname}:8443   # with a trust token from ${dst.name}`,
            ],
          },
        };
      }
      dest = [`${remote}:${name}`];
    }
    // Live migration needs CRIU on both ends; without it LXD fails part-way, so do not try.
    const criu = await Promise.all([src, dst].map((h) => run(h, ['sh', '-c', 'command -v criu'], 10_000)));
    const live = criu.every((r) => r.exitCode === 0);
    if (!live)
      evidence.push({
        note: `live migration not attempted: criu is not installed on ${[src, dst]
          .filter((_, i) => criu[i]?.exitCode !== 0)
          .map((h) => h.name)
          .join(' and ')}`,
      });
    const attempts: { method: string; steps: string[][] }[] = [
      ...(live ? [{ method: 'live migration (CRIU)', steps: [[lxc, 'move', name, ...dest]] }] : []),
      { method: 'stateless move (stop, copy, start)', steps: [[lxc, 'move', name, ...dest, '--stateless']] },
      {
        method: 'cold move (stop, move, start)',
        steps: [
          [lxc, 'stop', name],
          [lxc, 'move', name, ...dest],
        ],
      },
    ];
    for (const at of attempts) {
      let ok = true;
      for (const step of at.steps) {
        const r = await run(src, step, 240_000);
        evidence.push(ev(src, step, r));
        if (r.exitCode !== 0) {
          ok = false;
          break;
        }
      }
      check();
      if (ok) {
        // Make sure it runs on B (a cold move leaves it stopped).
        const c = await info(dst);
        if (c && !c.running) {
          const r = await run(dst, [lxc, 'start', name], 120_000);
          evidence.push(ev(dst, [lxc, 'start', name], r));
        }
        return { ok: true, method: at.method, ms: Date.now() - t0, evidence };
      }
      // A failed live attempt may leave the container stopped on A; later attempts handle that.
    }
    return { ok: false, ms: Date.now() - t0, reason: 'every move method failed', evidence };
  }
}
