/**
 * The lab's `run` (src/lab/exec.ts) on zx: every argv element reaches the program exactly (bash is
 * only the quoting carrier), results are captured whole, it never throws, a timeout kills the whole
 * process tree, and a forked daemon holding the pipes does not hang it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { CommandError, LAB_ENV, must, run } from '../../src/lab/exec.js';

/** Arguments a shell would split, expand, substitute, glob or read as options. */
const HOSTILE = [
  '',
  ' ',
  'two words',
  '  lead and trail  ',
  "it's",
  '"double"',
  "'single'",
  '$HOME',
  '$' + '{PATH}', // a literal ${…}, not a template
  '$(touch /tmp/lxdcheck-exec-pwned)',
  '`touch /tmp/lxdcheck-exec-pwned`',
  "$'\\n'",
  'line1\nline2',
  '\n',
  'tab\there',
  'cr\rhere',
  '-n',
  '-e',
  '--',
  '--help',
  '-',
  '\\',
  '\\n',
  '\\\\x41',
  '*',
  '/*',
  '?',
  '[a-z]',
  '~',
  '~root',
  '!',
  '!!',
  '#comment',
  ';',
  '&&',
  '||',
  '|',
  '&',
  '>out',
  '<in',
  '2>&1',
  '(sub)',
  '{a,b}',
  'a=b',
  '%s',
  '%%',
  'ü€😀 ﾃﾞ',
  '\x01\x1b[31mred\x1b[0m\x7f',
];

test('every argv element reaches the program byte for byte (printf %s\\0 echoes them back)', async (t) => {
  const r = await run(['printf', '%s\\0', ...HOSTILE]);
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stderr, '');
  t.false(r.timedOut);
  t.deepEqual(r.stdout.split('\0').slice(0, -1), HOSTILE);
  t.false(existsSync('/tmp/lxdcheck-exec-pwned'), 'no substitution ran');
});

test('one hostile argument at a time, also as the only argument', async (t) => {
  for (const arg of HOSTILE) {
    const r = await run(['printf', '%s\\0', arg]);
    t.is(r.stdout, `${arg}\0`, JSON.stringify(arg));
  }
});

test('exit status, stdout and stderr come back as the program wrote them', async (t) => {
  const r = await run(['sh', '-c', 'printf out; printf err >&2; exit 3']);
  t.deepEqual(r, { stdout: 'out', stderr: 'err', exitCode: 3, timedOut: false });
});

test('output is decoded whole: multibyte characters split across pipe reads stay intact', async (t) => {
  // 'ü\n' is 3 bytes; 300000 bytes arrive in 64 KiB reads, some ending inside a character.
  const r = await run(['sh', '-c', 'yes ü | head -n 100000']);
  t.is(r.exitCode, 0);
  t.is(r.stdout.length, 200_000);
  t.is(r.stdout, 'ü\n'.repeat(100_000));
});

test('input goes to stdin and is closed; without input stdin is empty, not an open pipe', async (t) => {
  t.is((await run(['cat'], { input: 'line one\nline two' })).stdout, 'line one\nline two');
  t.deepEqual(await run(['cat'], { input: '', timeoutMs: 10_000 }), {
    stdout: '',
    stderr: '',
    exitCode: 0,
    timedOut: false,
  });
  t.deepEqual(await run(['cat'], { timeoutMs: 10_000 }), {
    stdout: '',
    stderr: '',
    exitCode: 0,
    timedOut: false,
  });
});

test('a program that does not read its input does not break the run', async (t) => {
  const r = await run(['true'], { input: 'x'.repeat(1 << 20) });
  t.is(r.exitCode, 0);
});

test('commands get the lab PATH (system directories only) and its locale', async (t) => {
  const r = await run(['sh', '-c', 'printf "%s|%s" "$PATH" "$LC_ALL"']);
  t.is(r.stdout, `${LAB_ENV.PATH}|C.UTF-8`);
});

test('the given env is used, and bash start-up variables cannot make the carrier do anything', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-exec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rc = join(dir, 'rc');
  writeFileSync(rc, `echo sourced >&2; touch ${join(dir, 'ran')}\n`);
  const env = { ...LAB_ENV, BASH_ENV: rc, ENV: rc, SHELLOPTS: 'xtrace', MARK: 'm a r k' };
  const r = await run(['sh', '-c', 'printf "%s" "$MARK"'], { env });
  t.deepEqual(r, { stdout: 'm a r k', stderr: '', exitCode: 0, timedOut: false });
  t.false(existsSync(join(dir, 'ran')));
});

test('a program that does not exist: exitCode null, never a throw', async (t) => {
  const r = await run(['lxdcheck-no-such-program', 'x']);
  t.is(r.exitCode, null);
  t.false(r.timedOut);
  t.regex(r.stderr, /ENOENT/);
  const e = await t.throwsAsync(must(['lxdcheck-no-such-program']), { instanceOf: CommandError });
  t.regex(e?.message ?? '', /exit null/);
});

test('an empty argv is rejected', async (t) => {
  await t.throwsAsync(run([]), { message: 'empty command' });
});

/** Whether a PID is gone (or only a zombie waiting to be reaped). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

test('a timeout kills the whole process tree: exitCode null, timedOut, the forked child gone too', async (t) => {
  // `; wait` keeps sh from exec-ing sleep, as nsenter -p keeps a forked child.
  const r = await run(['sh', '-c', 'sleep 60 & echo $!; wait'], { timeoutMs: 500 });
  t.true(r.timedOut);
  t.is(r.exitCode, null);
  const pid = Number(r.stdout.trim());
  t.true(pid > 0, r.stdout);
  t.teardown(() => {
    if (pid > 0 && !gone(pid)) process.kill(pid, 'SIGKILL');
  });
  // SIGKILL is delivered at once; on a loaded machine the dying child may take a moment to be scheduled.
  for (let i = 0; i < 20 && !gone(pid); i++) await new Promise((r) => setTimeout(r, 50));
  t.true(gone(pid), `sleep ${pid} outlived the timeout`);
  const e = await t.throwsAsync(must(['sleep', '60'], { timeoutMs: 200 }), { instanceOf: CommandError });
  t.regex(e?.message ?? '', /timed out/);
});

test('a daemon that keeps the pipes open does not hold the run until its timeout', async (t) => {
  const r = await run(['sh', '-c', 'sleep 60 & echo $!'], { timeoutMs: 20_000 });
  const pid = Number(r.stdout.trim());
  t.teardown(() => {
    if (pid > 0 && !gone(pid)) process.kill(pid, 'SIGKILL');
  });
  t.false(r.timedOut);
  t.is(r.exitCode, 0);
  t.true(pid > 0, r.stdout);
});
