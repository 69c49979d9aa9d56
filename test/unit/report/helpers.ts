/** Synthetic engine event streams for reporter tests. */
import type { CheckResult, PlannedCheck, RunEvent, Status, Subject } from '../../../src/model.js';
import type { Reporter, Sink } from '../../../src/report/types.js';
import { createMemorySink } from '../../../src/report/types.js';

export function result(
  id: string,
  subject: Subject,
  status: Status,
  title: string,
  extra: Partial<CheckResult> = {},
): CheckResult {
  return {
    id,
    title,
    subject,
    status,
    summary: `${title}: ${status}`,
    evidence: [],
    durationMs: 5,
    ...extra,
  };
}

export function planFor(results: CheckResult[]): PlannedCheck[] {
  return results.map((r, i) => ({ key: `k${i}`, id: r.id, title: r.title, subject: r.subject }));
}

/** run-start, one result event per result, run-end (optionally aborted, or a bail-out first). */
export function events(
  results: CheckResult[],
  opts: {
    planned?: PlannedCheck[];
    aborted?: string;
    bailOut?: string;
    durationMs?: number;
    hosts?: string[];
  } = {},
): RunEvent[] {
  const planned = opts.planned ?? planFor(results);
  const ev: RunEvent[] = [
    {
      type: 'run-start',
      cluster: 'lab',
      scenario: 'doctor',
      hosts: opts.hosts ?? ['lxd1', 'lxd2', 'lxd3'],
      planned,
    },
  ];
  results.forEach((r, i) => {
    ev.push({ type: 'result', key: planned[i]?.key ?? `k${i}`, result: r });
  });
  if (opts.bailOut) ev.push({ type: 'bail-out', reason: opts.bailOut });
  const end: RunEvent = { type: 'run-end', results, durationMs: opts.durationMs ?? 1234 };
  if (opts.aborted) end.aborted = opts.aborted;
  ev.push(end);
  return ev;
}

export async function render(make: (sink: Sink) => Reporter, evs: RunEvent[]): Promise<string> {
  const sink = createMemorySink();
  const reporter = make(sink);
  for (const e of evs) reporter.onEvent(e);
  await reporter.finish();
  if (!sink.ended) throw new Error('reporter did not end its sink');
  return sink.text;
}

export const PEM = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACBDXKpnP0vXjnHeKp0fGEESiAxTVGcqTR+IPWkGqKN1WAAAAJhbH0ldWx9J',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');

/** A mixed run: every status, hostile descriptions and excerpts, secrets. */
export function mixedResults(): CheckResult[] {
  return [
    result('bridge.exists', { host: 'lxd1' }, 'pass', 'lxdbr0 exists'),
    result('overlay.member', { host: 'lxd2' }, 'fail', 'peervpn0 is a port of lxdbr0', {
      summary: 'peervpn0 is not attached to lxdbr0',
      expected: 'peervpn0 in the ports of lxdbr0',
      actual: 'ports: (none)',
      evidence: [
        {
          host: 'lxd2',
          command: 'brctl show lxdbr0',
          exitCode: 0,
          excerpt:
            'bridge name\tbridge id\t\tSTP enabled\tinterfaces\nlxdbr0\t\t8000.00163e000001\tno\n---\n...\nkey: "quoted" \'single\'\n',
        },
        {
          host: 'lxd2',
          command: 'cat /etc/peervpn.conf',
          exitCode: 0,
          excerpt: 'networkname lab\npsk s3cr3t-overlay-key\ninterface peervpn0\n',
          note: 'upcmd ran before lxdbr0 existed',
        },
      ],
      hint: {
        why: 'Containers on other hosts are unreachable: frames from the VPN never reach the bridge.',
        fix: ['brctl addif lxdbr0 peervpn0', 'systemctl restart peervpn'],
      },
      durationMs: 42,
    }),
    result('overlay.peers', { host: 'lxd3' }, 'warn', 'peervpn sees 2 peers', {
      summary: 'peervpn log says 1 peer but ping reaches 2: the log lags',
      evidence: [
        { host: 'lxd3', command: 'journalctl -u peervpn', exitCode: 0, excerpt: '[572] 1 peers connected.' },
      ],
    }),
    result('mesh.ping', { host: 'lxd1', peer: 'lxd3' }, 'skip', 'lxd1 reaches lxd3 over the overlay', {
      summary: 'lxd3 # unreachable\nover ssh',
    }),
    result('dhcp.single', {}, 'error', 'exactly one DHCP server # on the L2\nsecond line {', {
      summary: 'parser crashed: unexpected token',
      evidence: [
        {
          host: 'lxd1',
          command: 'lxc config show',
          exitCode: null,
          excerpt: `  core.trust_password: hunter2\n\nkey:\n${PEM}\n`,
        },
      ],
    }),
    result('containers.dns', { host: 'lxd1', container: 'c1' }, 'pass', 'c1.lxd resolves \\ backslash'),
  ];
}
