/**
 * The migration scenario against a fake pair of standalone LXD daemons: the steps (launch, move, verify,
 * cleanup) in order, each failure stopping the later steps, and the probe container deleted on every
 * path: success, a failed launch, a failed move, no image, and an interrupt. The fake answers `lxc list`
 * with entries cut from a real capture (fixtures/lxc/lxd-running-list.json); the other answers
 * (image list, remotes, leases, DNS probe) are hand-written in the formats the scenario parses.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import type { HostSpec } from '../../src/inventory/types.js';
import type { CheckResult, RunEvent } from '../../src/model.js';
import { runMigration } from '../../src/scenarios/migration.js';
import { isProbeName } from '../../src/scenarios/probes.js';
import type { Command, ExecResult, Transport } from '../../src/transport/types.js';
import { inventory } from '../helpers/facts.js';

const REAL_ENTRY = (
  JSON.parse(
    readFileSync(new URL('../../fixtures/lxc/lxd-running-list.json', import.meta.url), 'utf8'),
  ) as Record<string, unknown>[]
)[0]!;

interface FakeContainer {
  name: string;
  mac: string;
  ip?: string;
  running: boolean;
}

interface FakeOptions {
  images?: boolean;
  launchFails?: boolean;
  moveFails?: boolean;
  /** Called when `lxc launch` runs (e.g. to interrupt the run there). */
  onLaunch?: () => void;
}

/** An entry of `lxc list --format json` as LXD 5.0 prints it, renamed and readdressed. */
function entry(c: FakeContainer): Record<string, unknown> {
  const e = structuredClone(REAL_ENTRY) as Record<string, unknown> & {
    state: { network: { eth0: Record<string, unknown> } };
  };
  e['name'] = c.name;
  e['status'] = c.running ? 'Running' : 'Stopped';
  e.state.network.eth0['hwaddr'] = c.mac;
  e.state.network.eth0['addresses'] =
    c.ip && c.running ? [{ family: 'inet', address: c.ip, netmask: '16', scope: 'global' }] : [];
  return e;
}

class FakeCluster {
  readonly containers = new Map<string, FakeContainer[]>([
    ['lxd1', [{ name: 'c1', mac: '00:16:3e:00:00:c1', ip: '172.16.134.82', running: true }]],
    ['lxd2', [{ name: 'c2', mac: '00:16:3e:00:00:c2', ip: '172.16.134.83', running: true }]],
    ['lxd3', [{ name: 'c3', mac: '00:16:3e:00:00:c3', ip: '172.16.134.84', running: true }]],
  ]);
  readonly calls: string[] = [];
  readonly closed: string[] = [];
  constructor(readonly o: FakeOptions = {}) {}

  probes(): string[] {
    return [...this.containers.entries()].flatMap(([h, cs]) =>
      cs.filter((c) => isProbeName(c.name)).map((c) => `${c.name}@${h}`),
    );
  }

  transport = (h: HostSpec): Transport => ({
    host: h.name,
    connectionsOpened: 1,
    connect: async () => undefined,
    close: async () => {
      this.closed.push(h.name);
    },
    exec: async (cmd: Command) => this.exec(h.name, 'argv' in cmd ? [...cmd.argv] : ['sh', '-c', cmd.script]),
  });

  private exec(host: string, argv: string[]): ExecResult {
    this.calls.push(`${host}: ${argv.slice(0, 4).join(' ')}`);
    const ok = (stdout = ''): ExecResult => ({
      stdout,
      stderr: '',
      exitCode: 0,
      timedOut: false,
      durationMs: 1,
    });
    const fail = (stderr: string): ExecResult => ({
      stdout: '',
      stderr,
      exitCode: 1,
      timedOut: false,
      durationMs: 1,
    });
    const here = this.containers.get(host)!;
    const [cmd, sub, ...rest] = argv;
    if (cmd === 'sh') {
      const script = argv[2] ?? '';
      if (script.includes('command -v criu')) return fail('');
      if (argv.some((a) => a.endsWith('dnsmasq.leases'))) {
        const leases = [...this.containers.values()]
          .flat()
          .filter((c) => c.ip)
          .map((c) => `1795674617 ${c.mac} ${c.ip} ${c.name} *`);
        return ok(`==> /var/lib/misc/dnsmasq.leases <==\n${leases.join('\n')}\n`);
      }
      const fq = /lxdcheck-probe-[0-9a-f]{6}\.lxd/.exec(script)?.[0];
      const c = [...this.containers.values()].flat().find((x) => `${x.name}.lxd` === fq);
      return ok(`${fq} ${c?.ip ? `NOERROR ${c.ip}` : 'NXDOMAIN'}\n`);
    }
    if (cmd !== 'lxc') return fail(`unexpected ${cmd}`);
    switch (sub) {
      case 'image':
        return ok(
          this.o.images === false ? '[]' : '[{"fingerprint":"a1b2c3","aliases":[{"name":"debian/12"}]}]',
        );
      case 'launch': {
        this.o.onLaunch?.();
        if (this.o.launchFails) return fail('Error: Failed instance creation: boom');
        here.push({ name: rest[1]!, mac: '00:16:3e:aa:bb:cc', ip: '172.16.150.9', running: true });
        return ok();
      }
      case 'list': {
        const name = rest[0] === '--format' ? undefined : rest[0];
        return ok(JSON.stringify(here.filter((c) => !name || c.name === name).map(entry)));
      }
      case 'remote':
        return ok(
          JSON.stringify({
            lxd2: { Addr: 'https://192.168.99.2:8443', AuthType: 'tls', Protocol: 'lxd', Public: false },
            local: { Addr: 'unix://', AuthType: '', Protocol: '', Public: false },
          }),
        );
      case 'move': {
        if (this.o.moveFails) return fail('Error: Migration operation failure');
        const [name, dest] = rest as [string, string];
        const i = here.findIndex((c) => c.name === name);
        const [c] = here.splice(i, 1);
        this.containers.get(dest.split(':')[0]!)!.push({ ...c!, running: true });
        return ok();
      }
      case 'stop':
      case 'start': {
        const c = here.find((x) => x.name === rest[0]);
        if (c) c.running = sub === 'start';
        return ok();
      }
      case 'exec':
        return ok();
      case 'delete': {
        const name = rest[1]!;
        const i = here.findIndex((c) => c.name === name);
        if (i < 0) return fail(`Error: Instance not found`);
        here.splice(i, 1);
        return ok();
      }
      default:
        return fail(`unexpected lxc ${sub}`);
    }
  }
}

async function migrate(fake: FakeCluster, signal?: AbortSignal) {
  const events: RunEvent[] = [];
  const out = await runMigration({
    inventory: inventory(),
    transport: fake.transport,
    emit: (e) => events.push(e),
    settleMs: 5_000,
    ...(signal ? { signal } : {}),
  });
  return { ...out, events };
}

/** Status and summary of each property, durations blanked. */
const brief = (rs: CheckResult[]) =>
  rs.map(
    (r) =>
      `${r.id} ${r.status}: ${r.summary.replace(/\d+\.\d s/g, 'N s').replace(/lxdcheck-probe-[0-9a-f]{6}/g, 'PROBE')}`,
  );

test('a clean move: every property passes in order and the probe is deleted', async (t) => {
  const fake = new FakeCluster();
  const { results, aborted, events } = await migrate(fake);
  t.is(aborted, undefined);
  t.deepEqual(brief(results), [
    'migration.launch pass: PROBE on lxd1: MAC 00:16:3e:aa:bb:cc, IPv4 172.16.150.9 (after N s), lease 172.16.150.9',
    'migration.move pass: moved with stateless move (stop, copy, start) in N s',
    'migration.mac pass: MAC 00:16:3e:aa:bb:cc kept',
    'migration.ipv4 pass: 172.16.150.9 leased again (lease 172.16.150.9)',
    'migration.dns pass: PROBE.lxd → 172.16.150.9 from 3 hosts',
    'migration.reach-ip pass: reached from 2 hosts within N s',
    'migration.reach-name pass: reached by name from 2 hosts',
    'migration.cleanup pass: PROBE deleted',
  ]);
  t.deepEqual(fake.probes(), []);
  t.deepEqual(fake.closed.sort(), ['lxd1', 'lxd2', 'lxd3']);
  t.is(events[0]?.type, 'run-start');
  t.is(events.at(-1)?.type, 'run-end');
  const move = results.find((r) => r.id === 'migration.move')!;
  t.regex(move.evidence.map((e) => e.note ?? e.command).join('\n'), /live migration not attempted: criu/);
});

test('a failed launch stops the later steps, which are reported skipped, and still deletes', async (t) => {
  const fake = new FakeCluster({ launchFails: true });
  const { results, events } = await migrate(fake);
  // The reporters write their test points on run-end: without it TAP said only `Bail out! run did not finish`.
  t.is(events.at(-1)?.type, 'run-end');
  t.deepEqual(brief(results), [
    'migration.launch fail: lxc launch failed on lxd1',
    'migration.move skip: not reached: an earlier step failed',
    'migration.mac skip: not reached: an earlier step failed',
    'migration.ipv4 skip: not reached: an earlier step failed',
    'migration.dns skip: not reached: an earlier step failed',
    'migration.reach-ip skip: not reached: an earlier step failed',
    'migration.reach-name skip: not reached: an earlier step failed',
    'migration.cleanup pass: PROBE deleted',
  ]);
  t.true(fake.calls.some((c) => c.startsWith('lxd1: lxc delete --force lxdcheck-probe-')));
});

test('no local image: launch fails naming --image, with the image list as evidence', async (t) => {
  const fake = new FakeCluster({ images: false });
  const { results } = await migrate(fake);
  const launch = results[0]!;
  t.is(launch.status, 'fail');
  t.is(launch.summary, 'no local image on lxd1 to launch a probe from; name one with --image');
  t.is(launch.evidence[0]?.command, 'lxc image list');
  t.is(results.at(-1)?.status, 'pass');
  t.false(fake.calls.some((c) => c.includes('lxc launch')));
});

test('every move method failing is a move failure with each attempt as evidence; the probe is deleted', async (t) => {
  const fake = new FakeCluster({ moveFails: true });
  const { results } = await migrate(fake);
  t.deepEqual(brief(results).slice(0, 3), [
    'migration.launch pass: PROBE on lxd1: MAC 00:16:3e:aa:bb:cc, IPv4 172.16.150.9 (after N s), lease 172.16.150.9',
    'migration.move fail: could not move PROBE from lxd1 to lxd2: every move method failed',
    'migration.mac skip: not reached: an earlier step failed',
  ]);
  const move = results[1]!;
  t.deepEqual(
    move.evidence
      .filter((e) => e.command)
      .map((e) => e.command?.replace(/lxdcheck-probe-[0-9a-f]{6}/g, 'PROBE')),
    ['lxc move PROBE lxd2:PROBE --stateless', 'lxc stop PROBE', 'lxc move PROBE lxd2:PROBE'],
  );
  t.is(results.at(-1)?.summary.endsWith('deleted'), true);
  t.deepEqual(fake.probes(), []);
});

test('an interrupt right after the launch skips the rest as interrupted and deletes the probe', async (t) => {
  const ac = new AbortController();
  const fake = new FakeCluster({ onLaunch: () => ac.abort() });
  const { results, aborted, events } = await migrate(fake, ac.signal);
  t.is(aborted, 'interrupted');
  t.deepEqual(brief(results).slice(0, 2), [
    'migration.launch skip: not run: interrupted',
    'migration.move skip: not run: interrupted',
  ]);
  t.is(results.at(-1)?.status, 'pass');
  t.deepEqual(fake.probes(), []);
  const end = events.at(-1);
  t.is(end?.type === 'run-end' ? end.aborted : undefined, 'interrupted');
});
