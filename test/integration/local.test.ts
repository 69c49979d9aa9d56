import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { createLocalTransport } from '../../src/transport/local.js';
import { pgrep, waitFor } from '../helpers/processes.js';

const T = { timeoutMs: 10_000 };

test('argv runs without a shell: metacharacters arrive as data', async (t) => {
  const tr = createLocalTransport('local');
  const args = ['$(id)', '`id`', 'a;b', '*', '', "it's", 'two\nlines'];
  const r = await tr.exec({ argv: ['printf', '%s\\0', ...args] }, T);
  t.is(r.exitCode, 0);
  t.deepEqual(r.stdout.split('\0').slice(0, -1), args);
  t.is(tr.connectionsOpened, 0);
});

test('script runs with sh -c; stdout, stderr, exit code and stdin are separate', async (t) => {
  const tr = createLocalTransport('local');
  const r = await tr.exec(
    { script: 'read x; echo "got $x"; echo oops >&2; exit 4' },
    { ...T, stdin: 'ünï\n' },
  );
  t.deepEqual([r.stdout, r.stderr, r.exitCode, r.timedOut], ['got ünï\n', 'oops\n', 4, false]);
  t.like(await tr.exec({ argv: ['cat'] }, T), { stdout: '', exitCode: 0 });
});

test('a missing program reports 127 like a shell would', async (t) => {
  const tr = createLocalTransport('local');
  const r = await tr.exec({ argv: ['/nonexistent/lxdcheck-nope'] }, T);
  t.is(r.exitCode, 127);
  t.regex(r.stderr, /command not found/);
});

test('a timeout kills the whole process group, within timeout + 1 s', async (t) => {
  const tr = createLocalTransport('local');
  const marker = `lxdcheck-local-hang-${process.pid}-${Date.now()}`;
  const r = await tr.exec(
    { script: `sh -c 'sleep 30; true' ${marker}-a & sh -c 'sleep 30; true' ${marker}-b; wait` },
    { timeoutMs: 400 },
  );
  t.true(r.timedOut);
  t.is(r.exitCode, null);
  t.is(r.signal, 'KILL');
  t.true(r.durationMs >= 380 && r.durationMs < 1400, `took ${r.durationMs} ms`);
  t.regex(r.stderr, /killed after 400 ms/);
  t.true(await waitFor(() => pgrep(marker).length === 0, 1000), `still running: ${pgrep(marker).join(' ')}`);
});

test('a grandchild that holds the pipes in another session does not make exec hang', async (t) => {
  const tr = createLocalTransport('local');
  const marker = `lxdcheck-local-setsid-${process.pid}-${Date.now()}`;
  const r = await tr.exec(
    { script: `setsid sh -c 'sleep 5; true' ${marker} & sleep 30` },
    { timeoutMs: 300 },
  );
  t.true(r.timedOut);
  t.true(r.durationMs < 300 + 1500, `took ${r.durationMs} ms`);
  for (const pid of pgrep(`5; true ${marker}`)) process.kill(pid, 'SIGKILL'); // our own stray, by pid
});

test('an abort signal kills the command', async (t) => {
  const tr = createLocalTransport('local');
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 200);
  const r = await tr.exec({ argv: ['sleep', '30'] }, { timeoutMs: 10_000, signal: ac.signal });
  t.true(r.aborted);
  t.false(r.timedOut);
  t.is(r.exitCode, null);
  t.true(r.durationMs < 1500);
});

test('the wrapper argv is put in front of every command', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-local-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // env -C DIR runs the command in DIR: proves the wrapper ran and passed the argv through
  const tr = createLocalTransport('lab-lxd1', ['env', '-C', dir, 'LXDCHECK_WRAPPED=yes']);
  t.is(tr.host, 'lab-lxd1');
  const a = await tr.exec({ argv: ['sh', '-c', 'echo "$PWD $LXDCHECK_WRAPPED"'] }, T);
  t.is(a.stdout, `${dir} yes\n`);
  const s = await tr.exec({ script: 'touch made-here; echo "$LXDCHECK_WRAPPED"' }, T);
  t.is(s.stdout, 'yes\n');
  t.true(existsSync(join(dir, 'made-here')));
});

test('close() kills running commands and refuses new ones; it is idempotent', async (t) => {
  const tr = createLocalTransport('local');
  const running = tr.exec({ argv: ['sleep', '30'] }, { timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, 100));
  await tr.close();
  await tr.close();
  const r = await running;
  t.is(r.exitCode, null);
  t.regex(r.stderr, /transport closed/);
  const after = await tr.exec({ argv: ['true'] }, T);
  t.is(after.exitCode, null);
});
