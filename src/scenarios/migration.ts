/**
 * The migration scenario (mutating, needs --allow-mutations): launch a probe
 * container on host A, record its identity (MAC, IPv4, lease, DNS answer,
 * reachability from the other hosts), move it to host B with the best
 * method that works, verify every property again, and always delete it —
 * on success, failure, timeout and Ctrl-C.
 *
 * runMigration runs the steps launch → move → verify, each stopping the run
 * when it fails, then cleanup and finish on every path. The steps share one
 * Migration (hosts, probe name, connections, what was recorded): migration/context.ts;
 * what they look at on the cluster: migration/observe.ts; the move: migration/move.ts.
 */
import type { CheckResult, PlannedCheck, Subject } from '../model.js';
import {
  Aborted,
  checkAborted,
  evidence,
  type Identity,
  type Migration,
  type MigrationOptions,
  PROPERTIES,
  record,
  run,
} from './migration/context.js';
import { moveContainer } from './migration/move.js';
import { containerInfo, dnsFromEveryHost, leaseFor, poll, reachFromOthers } from './migration/observe.js';
import { clientFor, deleteProbes, firstImage, launchArgv, lxcOf, probeName } from './probes.js';
import { sharedTransports } from './transports.js';

export type { MigrationOptions };

export async function runMigration(
  o: MigrationOptions,
): Promise<{ results: CheckResult[]; aborted?: string }> {
  const m = begin(o);
  let aborted: string | undefined;
  try {
    // The source's client: the daemon the inventory names, else the one installed there (LXD or Incus).
    m.lxc = await clientFor(m.transports.get(m.src), m.inv, m.src);
    const before = await launch(m);
    if (before && (await move(m))) await verify(m, before);
  } catch (e) {
    if (e instanceof Aborted) aborted = 'interrupted';
    else throw e;
  } finally {
    await cleanup(m);
  }
  return finish(m, aborted);
}

/** Pick the hosts and the probe's name, and announce the plan. */
function begin(o: MigrationOptions): Migration {
  const inv = o.inventory;
  const a = inv.hosts.find((h) => h.name === (o.from ?? inv.hosts[0]?.name));
  const b = inv.hosts.find((h) => h.name === (o.to ?? inv.hosts.find((x) => x !== a)?.name));
  if (!a || !b || a === b)
    throw new Error('migration needs two different hosts (--from/--to, or an inventory with two)');
  const name = probeName();
  const subject: Subject = { container: name, host: a.name, peer: b.name };
  const m: Migration = {
    o,
    inv,
    lxc: lxcOf(inv, a),
    src: a,
    dst: b,
    dhcpHost: inv.hosts.find((h) => h.name === inv.cluster.dhcp)!,
    name,
    subject,
    started: performance.now(),
    results: [],
    transports: sharedTransports(o.transport),
    where: a,
  };
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
  return m;
}

// ---- steps --------------------------------------------------------------------------------------

/** 1. Launch the probe on A and record its identity; undefined when it could not be launched. */
async function launch(m: Migration): Promise<Identity | undefined> {
  const { src: a, lxc, name } = m;
  let image = m.o.image;
  if (!image) {
    const first = await firstImage(m.transports.get(a), m.inv, {
      timeoutMs: 60_000,
      client: lxc,
      ...(m.o.signal ? { signal: m.o.signal } : {}),
    });
    image = first.image;
    if (!image) {
      record(
        m,
        'migration.launch',
        'fail',
        `no local image on ${a.name} to launch a probe from; name one with --image`,
        {
          evidence: [evidence(a, [lxc, 'image', 'list'], first.result)],
        },
      );
      return undefined;
    }
  }
  const argv = launchArgv(lxc, image, name);
  const launched = await run(m, a, argv, 180_000);
  checkAborted(m);
  if (launched.exitCode !== 0) {
    record(m, 'migration.launch', 'fail', `${lxc} launch failed on ${a.name}`, {
      evidence: [evidence(a, argv, launched)],
    });
    return undefined;
  }
  const up = await poll(
    m,
    async () => {
      const c = await containerInfo(m, a);
      return c?.ipv4[0] ? c : undefined;
    },
    60_000,
  );
  if (!up.value) {
    record(m, 'migration.launch', 'fail', `${name} got no IPv4 address on ${a.name} within 60 s`, {
      hint: { why: 'DHCP from the one dnsmasq did not answer: see dhcp.single and overlay.member.' },
    });
    return undefined;
  }
  const before: Identity = { dns: new Map() };
  before.mac = up.value.hwaddr;
  before.ipv4 = up.value.ipv4[0];
  before.lease = before.mac ? await leaseFor(m, before.mac) : undefined;
  before.dns = await dnsFromEveryHost(m);
  record(
    m,
    'migration.launch',
    'pass',
    `${name} on ${a.name}: MAC ${before.mac}, IPv4 ${before.ipv4} (after ${(up.ms / 1000).toFixed(1)} s), lease ${before.lease ?? 'none'}`,
  );
  return before;
}

/** 2. Move the probe from A to B with the best method that works here; false when none did. */
async function move(m: Migration): Promise<boolean> {
  const moved = await moveContainer(m);
  checkAborted(m);
  if (!moved.ok) {
    record(
      m,
      'migration.move',
      'fail',
      `could not move ${m.name} from ${m.src.name} to ${m.dst.name}: ${moved.reason}`,
      { evidence: moved.evidence, ...(moved.hint ? { hint: moved.hint } : {}) },
    );
    return false;
  }
  m.where = m.dst;
  record(m, 'migration.move', 'pass', `moved with ${moved.method} in ${(moved.ms / 1000).toFixed(1)} s`, {
    evidence: moved.evidence,
  });
  return true;
}

/** 3. The identity after the move: MAC, IPv4 and lease, DNS from every host, reachability by IP and name. */
async function verify(m: Migration, before: Identity): Promise<void> {
  const { name, dst: b, inv } = m;
  const after = await poll(
    m,
    async () => {
      const c = await containerInfo(m, b);
      return c?.running && c.ipv4[0] ? c : undefined;
    },
    60_000,
  );
  const c = after.value;
  const mac = c?.hwaddr;
  record(
    m,
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
            fix: [`${m.lxc} config get ${name} volatile.eth0.hwaddr`],
          },
        },
  );
  const ip = c?.ipv4[0];
  const lease = mac ? await leaseFor(m, mac) : undefined;
  const sameIp = ip !== undefined && ip === before.ipv4;
  record(
    m,
    'migration.ipv4',
    sameIp ? 'pass' : 'fail',
    sameIp
      ? `${ip} leased again (lease ${lease ?? 'none'})`
      : `address changed: ${before.ipv4} → ${ip ?? 'none'} (lease ${lease ?? 'none'})`,
    sameIp ? {} : { expected: before.ipv4 ?? '', actual: ip ?? 'none' },
  );
  const dns = await dnsFromEveryHost(m);
  const wrong = [...dns.entries()].filter(([, addrs]) => !ip || !addrs.includes(ip));
  record(
    m,
    'migration.dns',
    wrong.length === 0 ? 'pass' : 'fail',
    wrong.length === 0
      ? `${name}.${inv.cluster.domain} → ${ip} from ${dns.size} hosts`
      : `from ${wrong.map(([h, x]) => `${h}: ${x.join(',') || 'no answer'}`).join('; ')}, expected ${ip}`,
  );
  if (!ip) {
    record(m, 'migration.reach-ip', 'skip', 'no address after the move');
    record(m, 'migration.reach-name', 'skip', 'no address after the move');
    return;
  }
  const byIp = await reachFromOthers(m, ip, b.name);
  record(
    m,
    'migration.reach-ip',
    byIp.sources.length === 0 ? 'skip' : byIp.unreachable.length === 0 ? 'pass' : 'fail',
    byIp.sources.length === 0
      ? 'no running container with ping on the other hosts to test from'
      : byIp.unreachable.length === 0
        ? `reached from ${byIp.sources.length} hosts within ${(byIp.ms / 1000).toFixed(1)} s`
        : `not reached from ${byIp.unreachable.join(', ')} within ${(m.o.settleMs / 1000).toFixed(0)} s`,
    {
      evidence: [{ note: byIp.lines.join('\n') }],
      ...(byIp.unreachable.length
        ? {
            hint: {
              why: 'Peers still send to the old host: the VPN and bridges learned its MAC there (peervpn keeps MACs 24 h, tinc 10 min).',
              fix: [
                `${m.lxc} exec ${name} -- arping -U -c 3 -I eth0 ${ip}   # a gratuitous ARP teaches the new location`,
              ],
            },
          }
        : {}),
    },
  );
  const byName = await reachFromOthers(m, `${name}.${inv.cluster.domain}`, b.name);
  record(
    m,
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

/** 4. Always: delete the probe wherever it may be, with fresh bounded commands an interrupt does not cancel. */
async function cleanup(m: Migration): Promise<void> {
  const leftovers: string[] = [];
  for (const h of [m.where, m.src, m.dst]) {
    const d = await deleteProbes(m.transports.get(h), m.inv, [m.name], m.lxc);
    leftovers.push(...d.failed.map((f) => `${h.name}: ${f}`));
  }
  record(
    m,
    'migration.cleanup',
    leftovers.length ? 'fail' : 'pass',
    leftovers.length ? `could not delete: ${leftovers.join('; ')}` : `${m.name} deleted`,
    leftovers.length ? { hint: { fix: ['lxdcheck cleanup -i INVENTORY'] } } : {},
  );
  await m.transports.closeAll();
}

/** Properties never reached (an early stop) are skipped with the reason; results in plan order; run-end. */
function finish(m: Migration, aborted: string | undefined): { results: CheckResult[]; aborted?: string } {
  const { results } = m;
  for (const [id] of PROPERTIES) {
    if (!results.some((r) => r.id === id))
      record(m, id, 'skip', aborted ? `not run: ${aborted}` : 'not reached: an earlier step failed');
  }
  const order = PROPERTIES.map(([id]) => id as string);
  results.sort((x, y) => order.indexOf(x.id) - order.indexOf(y.id));
  m.o.emit({
    type: 'run-end',
    results,
    durationMs: Math.round(performance.now() - m.started),
    ...(aborted ? { aborted } : {}),
  });
  return { results, ...(aborted ? { aborted } : {}) };
}
