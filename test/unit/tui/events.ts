/** Synthetic engine events for the TUI tests: two hosts, a few checks, host pairs. */

import type { Runner, RunRequest } from '../../../src/cli/tui/runner.js';
import type { CheckResult, PlannedCheck, RunEvent, Status, Subject } from '../../../src/model.js';
import { subjectLabel } from '../../../src/model.js';

export const key = (id: string, subject: Subject): string => {
  const l = subjectLabel(subject);
  return l ? `${id} ${l}` : id;
};

export function planned(id: string, title: string, subject: Subject): PlannedCheck {
  return { key: key(id, subject), id, title, subject };
}

export const PLAN: PlannedCheck[] = [
  planned('ssh.reachable', 'lxd1 answers over SSH', { host: 'lxd1' }),
  planned('bridge.exists', 'bridge lxdbr0 exists', { host: 'lxd1' }),
  planned('overlay.member', 'peervpn0 is a port of lxdbr0', { host: 'lxd1' }),
  planned('ssh.reachable', 'lxd2 answers over SSH', { host: 'lxd2' }),
  planned('bridge.exists', 'bridge lxdbr0 exists', { host: 'lxd2' }),
  planned('overlay.member', 'peervpn0 is a port of lxdbr0', { host: 'lxd2' }),
  planned('mesh.bridge', "lxd1 pings lxd2's bridge 172.16.0.2", { host: 'lxd1', peer: 'lxd2' }),
  planned('mesh.bridge', "lxd2 pings lxd1's bridge 172.16.0.1", { host: 'lxd2', peer: 'lxd1' }),
];

export const FIX = 'ip link set peervpn0 master lxdbr0';

export function result(p: PlannedCheck, status: Status, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    id: p.id,
    title: p.title,
    subject: p.subject,
    status,
    summary: status === 'pass' ? `${p.title}: yes` : `${p.title}: no`,
    evidence: [],
    durationMs: 1,
    ...extra,
  };
}

export const MEMBER_FAIL: Partial<CheckResult> = {
  summary: 'peervpn0 is not a port of lxdbr0 on lxd2',
  expected: 'peervpn0 among the ports of lxdbr0',
  actual: 'ports of lxdbr0: (none)',
  evidence: [
    {
      host: 'lxd2',
      command: 'brctl show',
      exitCode: 0,
      excerpt: 'bridge name\tbridge id\nlxdbr0\t\t8000.0\tno',
    },
  ],
  hint: { why: 'Frames from other hosts never reach this bridge.', fix: [FIX] },
};

// The matrix reads metrics, never the prose: the summary alone would show nothing.
const PING_OK = (rtt: string): Partial<CheckResult> => ({
  summary: `3 sent, 3 received, 0% loss, rtt min/avg/max 0.1/${rtt}/0.9 ms`,
  metrics: { sent: 3, received: 3, lossPercent: 0, rttMinMs: 0.1, rttAvgMs: Number(rtt), rttMaxMs: 0.9 },
});
const PING_FAIL: Partial<CheckResult> = {
  summary: "lxd2 cannot reach lxd1's bridge 172.16.0.1: 3 sent, 0 received, 100% loss",
  actual: '3 sent, 0 received, 100% loss',
  metrics: { sent: 3, received: 0, lossPercent: 100 },
};

export function startEvent(plan: PlannedCheck[] = PLAN): RunEvent {
  return { type: 'run-start', cluster: 'lab', scenario: 'doctor', hosts: ['lxd1', 'lxd2'], planned: plan };
}

/** A full run's events; `fail` makes lxd2's overlay.member fail and lxd2→lxd1 lose every ping. */
export function runEvents(fail: boolean, plan: PlannedCheck[] = PLAN): RunEvent[] {
  const results: CheckResult[] = plan.map((p) => {
    if (fail && p.id === 'overlay.member' && p.subject.host === 'lxd2') return result(p, 'fail', MEMBER_FAIL);
    if (p.id === 'mesh.bridge') {
      if (fail && p.subject.host === 'lxd2') return result(p, 'fail', PING_FAIL);
      return result(p, 'pass', PING_OK('0.4'));
    }
    return result(p, 'pass');
  });
  const events: RunEvent[] = [startEvent(plan)];
  for (const h of ['lxd1', 'lxd2']) {
    events.push({ type: 'host-gather-start', host: h });
    events.push({ type: 'host-gather-end', host: h, ok: true, durationMs: 420 });
  }
  plan.forEach((p, i) => {
    events.push({ type: 'check-start', key: p.key, id: p.id, subject: p.subject });
    events.push({ type: 'result', key: p.key, result: results[i]! });
  });
  events.push({ type: 'run-end', results, durationMs: 1234 });
  return events;
}

/** A runner the test controls: records each request and lets the test emit events and finish the run. */
export class FakeRunner {
  calls: RunRequest[] = [];
  private finish: ((code: number) => void)[] = [];
  readonly runner: Runner = (req) => {
    this.calls.push(req);
    return new Promise<number>((resolve) => this.finish.push(resolve));
  };
  emit(...events: RunEvent[]): void {
    const req = this.calls.at(-1);
    if (!req) throw new Error('no run started');
    for (const e of events) req.onEvent(e);
  }
  end(code: number): void {
    const f = this.finish.at(-1);
    if (!f) throw new Error('no run started');
    f(code);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Let React apply dispatched updates and ink redraw (ink throttles frames):
 * wait until no new frame came for `quietMs`, at most 3 s.
 */
export async function tick(app?: { frames: string[] }, quietMs = 60): Promise<void> {
  if (!app) return sleep(quietMs);
  const deadline = Date.now() + 3000;
  let seen = app.frames.length;
  await sleep(quietMs);
  while (app.frames.length !== seen && Date.now() < deadline) {
    seen = app.frames.length;
    await sleep(quietMs);
  }
}

/** ink-testing-library frames can carry ANSI; tests read what a person reads. */
export function plain(frame: string | undefined): string {
  return (frame ?? '').replace(/\u001b\[[0-9;]*m/g, '');
}
