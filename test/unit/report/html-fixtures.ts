import type { GatherResult } from '../../../src/facts/types.js';
import type { CheckResult, RootCause, RunEvent, Status, Topology } from '../../../src/model.js';
import { createHtmlReporter } from '../../../src/report/html.js';
import { createMemorySink } from '../../../src/report/types.js';
import { BUNDLES, replayBundle } from '../../helpers/replay.js';

export { BUNDLES };

/** The event stream of a recorded bundle judged offline (what `run --replay` emits). */
export async function bundleEvents(
  name: string,
  edit?: (g: Map<string, GatherResult>) => void,
): Promise<RunEvent[]> {
  return (await replayBundle(name, edit)).events;
}

export const FIXED_NOW = new Date('2026-11-27T08:00:00.000Z');

export async function renderHtml(events: readonly RunEvent[]): Promise<string> {
  const sink = createMemorySink();
  const reporter = createHtmlReporter(sink, { now: () => FIXED_NOW, version: '0.1.0-test' });
  for (const e of events) reporter.onEvent(e);
  await reporter.finish();
  return sink.text;
}

export const HOSTILE = '<script>alert(1)</script>';
export const HOSTILE_ATTR = '"><img src=x onerror=alert(2)>';

/**
 * A recorded run where container c1 is called `<script>alert(1)</script>` and
 * an evidence excerpt tries to break out of an attribute: every place a
 * container name reaches (subjects, titles, summaries, evidence) carries it.
 */
export async function hostileEvents(bundle = 'lxd-peer-down'): Promise<RunEvent[]> {
  const events = await bundleEvents(bundle);
  const text = JSON.stringify(events).replace(
    /\bc1\b/g,
    HOSTILE.replace(/[\\"]/g, (c) => `\\${c}`),
  );
  const out = JSON.parse(text) as RunEvent[];
  for (const e of out) {
    if (e.type !== 'run-end') continue;
    const r = e.results.find((x) => x.id === 'overlay.daemon');
    if (r) {
      r.summary = `${r.summary} ${HOSTILE_ATTR}`;
      r.evidence.push({
        host: 'lxd1',
        command: `echo '${HOSTILE_ATTR}'`,
        excerpt: `${HOSTILE}\n${HOSTILE_ATTR}`,
      });
    }
  }
  return out;
}

function result(
  id: string,
  subject: CheckResult['subject'],
  status: Status,
  summary: string,
  extra: Partial<CheckResult> = {},
): CheckResult {
  return { id, title: id, subject, status, summary, evidence: [], durationMs: 1, ...extra };
}

/** A run over `n` hosts where the overlay daemon of `cut` is down: every pair touching it fails. */
export function syntheticEvents(n: number, cut: string | null): RunEvent[] {
  const hosts = Array.from({ length: n }, (_, i) => `lxd${i + 1}`);
  const topology: Topology = {
    inventory: `cluster-${n}.yaml`,
    bridge: 'lxdbr0',
    overlay: { type: 'tinc', interface: 'peervpn0' },
    dhcpHost: 'lxd1',
    hosts: hosts.map((name, i) => ({ name, bridgeAddress: `172.16.0.${i + 1}/16` })),
  };
  const rootKey = cut ? `overlay.daemon ${cut}` : '';
  const results: CheckResult[] = [];
  const explains: string[] = [];
  const consequence = (r: CheckResult, key: string) => {
    if (r.status === 'fail') {
      r.causedBy = rootKey;
      explains.push(key);
    }
    return r;
  };
  hosts.forEach((h, i) => {
    results.push(result('ssh.reachable', { host: h }, 'pass', `logged in to root@${h}`));
    results.push(result('bridge.address', { host: h }, 'pass', `lxdbr0 holds 172.16.0.${i + 1}/16`));
    const down = h === cut;
    results.push(
      result(
        'overlay.daemon',
        { host: h },
        down ? 'fail' : 'pass',
        down ? `no tincd process on ${h}` : 'tincd runs',
        {
          ...(down ? { root: true, hint: { fix: ['systemctl restart tinc@lxd'] } } : {}),
        },
      ),
    );
    if (!down) {
      const connected = cut ? n - 2 : n - 1;
      results.push(
        consequence(
          result(
            'overlay.peers',
            { host: h },
            connected < n - 1 ? 'fail' : 'pass',
            `${connected} of ${n - 1} peers`,
            {
              metrics: { peersConnected: connected, peersExpected: n - 1 },
            },
          ),
          `overlay.peers ${h}`,
        ),
      );
    }
    results.push(result('containers.listed', { host: h }, 'pass', '2 containers'));
    for (const c of [`web${i + 1}`, `db${i + 1}`])
      results.push(result('containers.address', { host: h, container: c }, 'pass', `${c} holds an address`));
  });
  for (const a of hosts)
    for (const b of hosts) {
      if (a === b) continue;
      const broken = a === cut || b === cut;
      results.push(
        consequence(
          result(
            'mesh.bridge',
            { host: a, peer: b },
            broken ? 'fail' : 'pass',
            broken ? `${a} cannot reach ${b}: 100% loss` : '0% loss',
            {
              metrics: broken
                ? { sent: 3, received: 0, lossPercent: 100 }
                : { sent: 3, received: 3, lossPercent: 0, rttAvgMs: 0.3 },
            },
          ),
          `mesh.bridge ${a}->${b}`,
        ),
      );
      results.push(
        result(
          'mesh.pmtu',
          { host: a, peer: b },
          broken ? 'skip' : 'pass',
          broken ? 'needs mesh.bridge' : '1500 ok',
          {
            ...(broken ? {} : { metrics: { mtu: 1500 } }),
          },
        ),
      );
    }
  const rootCauses: RootCause[] = cut
    ? [
        {
          key: rootKey,
          check: 'overlay.daemon',
          host: cut,
          subject: { host: cut },
          status: 'fail',
          summary: `no tincd process on ${cut}`,
          fix: ['systemctl restart tinc@lxd'],
          explains,
        },
      ]
    : [];
  return [
    {
      type: 'run-start',
      cluster: `big${n}`,
      scenario: 'doctor',
      hosts,
      planned: [],
      topology,
    },
    { type: 'run-end', results, durationMs: 4321, diagnosis: { rootCauses } },
  ];
}
