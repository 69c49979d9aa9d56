/** The compound gather command, run by a real sh: sections come back separated, with their own exit codes. */
import { spawnSync } from 'node:child_process';
import test from 'ava';
import { parseFanOut } from '../../src/facts/fanout.js';
import { buildScript, newMarker, type Section, splitSections } from '../../src/facts/script.js';

function run(sections: Section[]) {
  const marker = newMarker();
  const r = spawnSync('sh', ['-c', buildScript(sections, marker)], { encoding: 'utf8', timeout: 20_000 });
  return splitSections(sections, r.stdout, r.stderr, marker, false);
}

test('stdout, stderr and exit codes of each section are kept apart', (t) => {
  const out = run([
    { name: 'a', shell: 'printf "one\\ntwo\\n"', timeoutSeconds: 5 },
    { name: 'b', shell: 'sh -c "echo oops >&2; exit 3"', timeoutSeconds: 5 },
    { name: 'c', shell: 'printf "no newline at end"', timeoutSeconds: 5 },
    { name: 'd', shell: 'lxdcheck-no-such-tool --x', timeoutSeconds: 5 },
  ]);
  const { durationMs, ...a } = out.a ?? { durationMs: undefined };
  t.deepEqual(a, { command: 'printf "one\\ntwo\\n"', stdout: 'one\ntwo\n', stderr: '', exitCode: 0 });
  // Each section's own wall time on the host, from /proc/uptime at its markers.
  t.is(typeof durationMs, 'number');
  t.is(out.b?.exitCode, 3);
  t.is(out.b?.stderr, 'oops\n');
  t.is(out.b?.stdout, '');
  t.is(out.c?.stdout, 'no newline at end');
  t.is(out.d?.exitCode, 127);
});

test('a hung section is killed at its own timeout and the rest still runs', (t) => {
  const started = Date.now();
  const out = run([
    { name: 'slow', shell: 'sleep 30', timeoutSeconds: 1 },
    { name: 'after', shell: 'echo still here', timeoutSeconds: 5 },
  ]);
  t.true(Date.now() - started < 10_000);
  t.true(out.slow?.timedOut);
  t.is(out.after?.stdout, 'still here\n');
});

test('a section that reads stdin gets EOF instead of the rest of the script', (t) => {
  const out = run([
    { name: 'reader', shell: 'cat', timeoutSeconds: 5 },
    { name: 'next', shell: 'echo ok', timeoutSeconds: 5 },
  ]);
  t.is(out.reader?.stdout, '');
  t.is(out.next?.stdout, 'ok\n');
});

test('output that imitates a marker without the per-run nonce does not split a section', (t) => {
  const out = run([
    {
      name: 'tricky',
      shell: 'printf "\\n@@LXDCHECK-000000000000 end tricky 0\\nmore\\n"',
      timeoutSeconds: 5,
    },
  ]);
  t.is(out.tricky?.stdout, '\n@@LXDCHECK-000000000000 end tricky 0\nmore\n');
  t.is(out.tricky?.exitCode, 0);
});

test('sections missing from a killed run have no exit code and count as timed out', (t) => {
  const sections: Section[] = [{ name: 'x', shell: 'true', timeoutSeconds: 1 }];
  const out = splitSections(sections, '', '', newMarker(), true);
  t.is(out.x?.exitCode, null);
  t.true(out.x?.timedOut);
});

test('bad section names are refused (they are spliced into the script)', (t) => {
  t.throws(() => buildScript([{ name: 'a;rm -rf /', shell: 'true', timeoutSeconds: 1 }], newMarker()));
});

test('the parallel ping fan-out framing parses back into blocks', (t) => {
  const blocks = parseFanOut('##PING 172.16.0.2 rc=0\nline1\nline2\n##PING 172.16.0.3 1500 rc=1\nfail\n');
  t.deepEqual(blocks, [
    { key: '172.16.0.2', exitCode: 0, output: 'line1\nline2' },
    { key: '172.16.0.3 1500', exitCode: 1, output: 'fail' },
  ]);
});

test('an `exit` inside a compound section ends that section only', (t) => {
  const out = run([
    { name: 'quits', shell: 'if true; then echo before; exit 3; fi', timeoutSeconds: 5, wrapTimeout: false },
    { name: 'next', shell: 'echo next', timeoutSeconds: 5 },
  ]);
  t.is(out.quits?.exitCode, 3);
  t.is(out.quits?.stdout, 'before\n');
  t.is(out.next?.stdout, 'next\n');
});

test('a hung compound section (not wrappable by `timeout` directly) is killed at its own bound too', (t) => {
  const out = run([
    { name: 'hung', shell: 'if true; then sleep 30; fi', timeoutSeconds: 1, wrapTimeout: false },
    { name: 'fanout', shell: '( sleep 30 ) & wait', timeoutSeconds: 1, wrapTimeout: false },
    { name: 'after', shell: 'echo still here', timeoutSeconds: 5 },
  ]);
  t.true(out.hung?.timedOut);
  t.true(out.fanout?.timedOut);
  t.is(out.after?.stdout, 'still here\n');
});

test('a section that sleeps reports at least that long (host-side markers, not the transport)', (t) => {
  const out = run([{ name: 'nap', shell: 'sleep 0.3', timeoutSeconds: 5 }]);
  t.true((out.nap?.durationMs ?? 0) >= 250);
});

test('an old-style begin marker without a time still splits (no duration)', (t) => {
  const marker = newMarker();
  const out = splitSections(
    [{ name: 'x', shell: 'true', timeoutSeconds: 1 }],
    `${marker} begin x\nhello\n${marker} end x 0\n`,
    '',
    marker,
    false,
  );
  t.is(out.x?.stdout, 'hello');
  t.is(out.x?.exitCode, 0);
  t.is(out.x?.durationMs, undefined);
});
