/** The runner: stable order, prerequisites turned into SKIP, bounded gathers, complete event streams. */
import test from 'ava';
import { Parser } from 'tap-parser';
import type { CheckDef } from '../../src/checks/check.js';
import { allChecks } from '../../src/checks/index.js';
import { selectChecks } from '../../src/engine/plan.js';
import { runChecks } from '../../src/engine/run.js';
import { readOnlyStages } from '../../src/facts/stages.js';
import type { RunEvent } from '../../src/model.js';
import { createTapReporter } from '../../src/report/tap.js';
import type { Sink } from '../../src/report/types.js';
import type { Command, ExecOptions, ExecResult, Transport } from '../../src/transport/types.js';
import { TransportError } from '../../src/transport/types.js';
import { inventory } from '../helpers/facts.js';

/** A transport whose host answers every command by running nothing: empty output, or never (hang). */
function fakeTransport(host: string, mode: 'empty' | 'hang' | 'refuse'): Transport & { execs: number } {
  return {
    host,
    connectionsOpened: 0,
    execs: 0,
    async connect() {
      if (mode === 'refuse') throw new TransportError('unreachable', `connect ECONNREFUSED ${host}:22`, host);
    },
    async exec(_c: Command, o: ExecOptions): Promise<ExecResult> {
      this.execs++;
      if (mode === 'hang') {
        await new Promise((r) => setTimeout(r, o.timeoutMs));
        return { stdout: '', stderr: '', exitCode: null, timedOut: true, durationMs: o.timeoutMs };
      }
      return { stdout: '', stderr: '', exitCode: 0, timedOut: false, durationMs: 1 };
    },
    async close() {},
  };
}

function memorySink(): Sink & { text: string } {
  return {
    text: '',
    write(s: string) {
      this.text += s;
    },
    async end() {},
  };
}

async function runWith(modes: Record<string, 'empty' | 'hang' | 'refuse'>, checks = allChecks) {
  const inv = inventory('tinc');
  const events: RunEvent[] = [];
  const sink = memorySink();
  const tap = createTapReporter(sink);
  const transports = new Map<string, ReturnType<typeof fakeTransport>>();
  const outcome = await runChecks({
    inventory: inv,
    checks,
    stages: readOnlyStages(),
    scenario: 'doctor',
    strict: false,
    concurrency: 4,
    timeoutMs: 300,
    transport: (h) => {
      const t = fakeTransport(h.name, modes[h.name] ?? 'empty');
      transports.set(h.name, t);
      return t;
    },
    emit: (e) => {
      events.push(e);
      tap.onEvent(e);
    },
  });
  await tap.finish();
  return { outcome, events, tap: sink.text, transports };
}

async function parseTap(text: string) {
  const p = new Parser({ strict: true });
  const done = new Promise<Parser['results']>((resolve) => p.on('complete', resolve));
  p.end(text);
  return done;
}

test('an unreachable host: its checks are SKIP with the reason, the others still run, the TAP is complete', async (t) => {
  const { outcome, tap, transports } = await runWith({ lxd2: 'refuse' });
  const lxd2 = outcome.results.filter((r) => r.subject.host === 'lxd2');
  const reach = lxd2.find((r) => r.id === 'ssh.reachable');
  t.is(reach?.status, 'fail');
  const dependents = lxd2.filter((r) => r.id !== 'ssh.reachable' && r.subject.peer === undefined);
  t.true(dependents.length > 5);
  for (const r of dependents) {
    t.is(r.status, 'skip', r.id);
    t.regex(r.summary, /needs ssh\.reachable on lxd2 failed: lxd2 unreachable: connect ECONNREFUSED/);
  }
  // Pings from the unreachable host cannot run; pings towards it still do (the host may be up without SSH).
  const mesh = (a: string, b: string) =>
    outcome.results.find((r) => r.id === 'mesh.bridge' && r.subject.host === a && r.subject.peer === b)
      ?.status;
  t.is(mesh('lxd2', 'lxd1'), 'skip');
  t.not(mesh('lxd1', 'lxd2'), 'skip');
  t.not(mesh('lxd1', 'lxd3'), 'skip');
  // One round trip per stage per reachable host, on one connection: stage one runs its
  // path-MTU probes as a second, parallel channel (so they wait alongside the mesh pings), and
  // the DHCP discovery's FDB stage is one more (lxd3 probed). Stage four (multicast) has nothing
  // to run without containers, so it costs no round trip.
  t.is(transports.get('lxd1')?.execs, 4);
  t.is(transports.get('lxd2')?.execs, 0);
  const parsed = await parseTap(tap);
  if (!parsed) throw new Error('no TAP result');
  t.true(parsed.plan.end === outcome.results.length);
  t.is(parsed.count, outcome.results.length);
  t.false(parsed.ok);
});

test('results come out grouped by host in inventory order, then cluster-wide, then pairs', async (t) => {
  const { events } = await runWith({});
  const order = events.flatMap((e) => (e.type === 'result' ? [e.result] : []));
  const firstPair = order.findIndex((r) => r.subject.peer !== undefined);
  const hostPart = order
    .slice(0, firstPair)
    .filter((r) => r.subject.host !== undefined && r.id !== 'dhcp.config');
  const hosts = hostPart.map((r) => r.subject.host);
  t.deepEqual([...new Set(hosts)], ['lxd1', 'lxd2', 'lxd3']);
  t.is(hostPart[0]?.id, 'ssh.reachable');
  t.true(order.slice(firstPair).every((r) => r.subject.peer !== undefined));
  const end = events.at(-1);
  t.is(end?.type, 'run-end');
});

test('a host whose gather command hangs is bounded by the timeout and reported, not waited on', async (t) => {
  const started = Date.now();
  const { outcome } = await runWith({ lxd3: 'hang' });
  t.true(Date.now() - started < 5000);
  const reach = outcome.results.find((r) => r.id === 'ssh.reachable' && r.subject.host === 'lxd3');
  t.is(reach?.status, 'warn');
  t.regex(reach?.summary ?? '', /killed after 300 ms/);
  const bridge = outcome.results.find((r) => r.id === 'bridge.exists' && r.subject.host === 'lxd3');
  t.is(bridge?.status, 'error');
});

test('--only keeps what was asked for plus its prerequisites', (t) => {
  const ids = selectChecks(allChecks, ['overlay.member'], []).map((c) => c.id);
  t.deepEqual(ids, ['ssh.reachable', 'bridge.exists', 'overlay.exists', 'overlay.member']);
  const skipped = selectChecks(allChecks, [], ['mesh.*']).map((c) => c.id);
  t.false(skipped.some((id) => id.startsWith('mesh.')));
});

test('a per-host check that reads other hosts is judged only once every host has answered', async (t) => {
  const seen: number[] = [];
  const probe: CheckDef = {
    id: 'test.cross',
    scope: 'host',
    readsOtherHosts: true,
    title: () => 'sees every host',
    proves: '',
    whyItFails: '',
    howToFix: '',
    judge(_s, ctx) {
      seen.push(ctx.hosts.size);
      return { status: 'pass', summary: 'ok' };
    },
  };
  const inv = inventory('tinc');
  await runChecks({
    inventory: inv,
    checks: [probe],
    stages: readOnlyStages(),
    scenario: 'doctor',
    strict: false,
    concurrency: 1, // hosts answer one after the other: the first host is done long before the last
    timeoutMs: 300,
    transport: (h) => fakeTransport(h.name, 'empty'),
    emit: () => undefined,
  });
  t.deepEqual(seen, [3, 3, 3]);
});
