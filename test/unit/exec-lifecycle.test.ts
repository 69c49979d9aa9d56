/**
 * The exec life cycle both transports share (src/transport/exec-lifecycle.ts),
 * driven by a fake process that dies, hangs through a kill, or floods output.
 */
import { PassThrough } from 'node:stream';
import test from 'ava';
import { ExecLifecycle, endStdin, notStartedResult } from '../../src/transport/exec-lifecycle.js';
import type { ExecOptions } from '../../src/transport/types.js';

/** A process as the transports see it: output, an exit status, a close, and a kill that it may ignore. */
class FakeProcess {
  kills = 0;
  constructor(
    readonly run: ExecLifecycle,
    private readonly onKill: 'dies' | 'hangs',
  ) {
    run.attach(() => {
      this.kills++;
      if (this.onKill === 'dies') this.exit(null, 'SIGKILL');
    });
    run.startClock();
  }
  out(text: string): void {
    this.run.stdout.push(Buffer.from(text));
  }
  err(text: string): void {
    this.run.stderr.push(Buffer.from(text));
  }
  exit(code: number | null, signal?: string): void {
    this.run.exited(code, signal);
    this.run.closed();
  }
}

const HOUR = 3_600_000;

function lifecycle(
  options: Partial<ExecOptions> = {},
  extra: { graceMs?: number; maxOutputBytes?: number } = {},
) {
  let finished = 0;
  const run = new ExecLifecycle(
    { timeoutMs: HOUR, ...options },
    {
      maxOutputBytes: extra.maxOutputBytes ?? 1024,
      graceMs: extra.graceMs ?? HOUR,
      onFinish: () => finished++,
    },
  );
  return { run, finishes: () => finished };
}

test('a process that exits: its output, exit code and no note; onFinish runs once', async (t) => {
  const { run, finishes } = lifecycle();
  const p = new FakeProcess(run, 'dies');
  p.out('hello\n');
  p.err('warn\n');
  p.exit(3);
  p.exit(0); // a second close changes nothing
  const r = await run.result;
  t.like(r, { stdout: 'hello\n', stderr: 'warn\n', exitCode: 3, timedOut: false });
  t.is(r.signal, undefined);
  t.is(r.aborted, undefined);
  t.is(finishes(), 1);
});

test('a process killed by a signal reports it without SIG and no exit code', async (t) => {
  const { run } = lifecycle();
  new FakeProcess(run, 'dies').exit(null, 'SIGTERM');
  t.like(await run.result, { exitCode: null, signal: 'TERM', timedOut: false });
});

test('a timeout kills the process; when it dies the result says killed after N ms', async (t) => {
  const { run } = lifecycle({ timeoutMs: 5 });
  const p = new FakeProcess(run, 'dies');
  p.out('partial');
  const r = await run.result;
  t.is(p.kills, 1);
  t.like(r, { stdout: 'partial', exitCode: null, signal: 'KILL', timedOut: true });
  t.is(r.stderr, '[lxdcheck: killed after 5 ms (timeout)]');
});

test('a process that hangs through the kill still resolves, after the grace period', async (t) => {
  const { run } = lifecycle({ timeoutMs: 1 }, { graceMs: 5 });
  const p = new FakeProcess(run, 'hangs');
  p.err('still here');
  const r = await run.result;
  t.is(p.kills, 1);
  t.like(r, { exitCode: null, signal: 'KILL', timedOut: true });
  t.is(r.stderr, 'still here\n[lxdcheck: killed after 1 ms (timeout)]');
});

test('a killed process that closes settles at once, not at the end of the grace period', (t) => {
  const { run } = lifecycle();
  const p = new FakeProcess(run, 'hangs');
  run.kill('closed');
  t.false(run.done);
  p.exit(0); // its exit status after our kill does not count: we killed it
  t.true(run.done);
  return run.result.then((r) => {
    t.like(r, { exitCode: null, signal: 'KILL', aborted: true, timedOut: false });
    t.is(r.stderr, '[lxdcheck: killed (transport closed)]');
  });
});

test('output beyond the cap is dropped, per stream, and a note says so', async (t) => {
  const { run } = lifecycle({}, { maxOutputBytes: 4096 });
  const p = new FakeProcess(run, 'dies');
  for (let i = 0; i < 100; i++) p.out('x'.repeat(1000));
  p.err('small');
  p.exit(0);
  const r = await run.result;
  t.is(r.stdout, `${'x'.repeat(4096)}\n[lxdcheck: stdout truncated after 4096 bytes]`);
  t.is(r.stderr, 'small');
  t.is(r.exitCode, 0);
});

test('an abort signal kills the process and resolves with aborted', async (t) => {
  const ac = new AbortController();
  const { run } = lifecycle({ signal: ac.signal });
  const p = new FakeProcess(run, 'dies');
  ac.abort();
  const r = await run.result;
  t.is(p.kills, 1);
  t.like(r, { exitCode: null, aborted: true, timedOut: false, stderr: '[lxdcheck: killed (aborted)]' });
});

test('a kill before anything is attached resolves at once and hands the kill to killWaiting', async (t) => {
  let lateKills = 0;
  const run = new ExecLifecycle(
    { timeoutMs: HOUR },
    {
      maxOutputBytes: 1024,
      killWaiting: () => {
        lateKills++;
      },
    },
  );
  run.kill('timeout');
  const r = await run.result;
  t.is(lateKills, 1);
  t.like(r, { exitCode: null, timedOut: true });
  t.is(r.signal, undefined, 'nothing ran that could have been signalled');
  await run.killing;
});

test('fail(): a command that could not start keeps the exit code a shell would give', async (t) => {
  const { run } = lifecycle();
  new FakeProcess(run, 'dies');
  run.fail('nope: command not found', 127);
  t.like(await run.result, { exitCode: 127, stderr: 'nope: command not found', timedOut: false });
});

test('notStartedResult and endStdin', async (t) => {
  t.like(notStartedResult('aborted'), { aborted: true, exitCode: null, durationMs: 0 });
  t.is(notStartedResult('closed').aborted, undefined);
  const stdin = new PassThrough();
  endStdin(stdin, 'input');
  t.is(String(stdin.read()), 'input');
  const empty = new PassThrough();
  endStdin(empty, undefined);
  t.true(empty.writableEnded);
});
