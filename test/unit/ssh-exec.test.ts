/**
 * The pure parts of an SSH exec (src/transport/ssh-exec.ts, channel-queue.ts):
 * the remote command line, the pgid line stripped from stderr, the channel
 * slots. The wire is tested against a real sshd in test/integration/ssh.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ChannelQueue, type ChannelSlot } from '../../src/transport/channel-queue.js';
import { PgidFilter, remoteCommand } from '../../src/transport/ssh-exec.js';

/** What `sh -c` on the remote side would run and print, here (no sudo). */
function runRemote(line: string): { stdout: string; stderr: string } {
  try {
    const stdout = execFileSync('sh', ['-c', line], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { stdout, stderr: '' };
  } catch (e) {
    const err = e as { stdout: string; stderr: string };
    return { stdout: err.stdout, stderr: err.stderr };
  }
}

test('remoteCommand: argv arrives intact after the pgid line; the script runs under sh -c', (t) => {
  const argv = ['printf', '%s|', "it's", '$(id)', 'a b', ''];
  const line = remoteCommand({ argv }, false);
  const out = execFileSync('sh', ['-c', `${line} 2>/dev/null`], { encoding: 'utf8' });
  t.is(out, "it's|$(id)|a b||");
  const err = runRemote(`${remoteCommand({ script: 'echo out; echo err >&2; exit 3' }, false)}`);
  t.is(err.stdout, 'out\n');
  t.regex(err.stderr, /^\nLXDCHECK-PGID:\d+\nerr\n$/);
});

test('remoteCommand: sudo hosts run the command under sudo -n sh -c, argv intact', (t) => {
  // A stand-in sudo that logs its arguments, drops -n and runs the rest.
  const bin = mkdtempSync(join(tmpdir(), 'lxdcheck-sudo-'));
  writeFileSync(join(bin, 'sudo'), '#!/bin/sh\necho "sudo $1 $2 $3" >&2\nshift\nexec "$@"\n', {
    mode: 0o755,
  });
  const line = remoteCommand({ argv: ['printf', '%s|', "it's", '$(id)'] }, true);
  const r = execFileSync('sh', ['-c', `${line} 2>&1`], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  t.regex(r, /^\nLXDCHECK-PGID:\d+\nsudo -n sh -c\nit's\|\$\(id\)\|$/);
});

test('PgidFilter: the pgid line is taken out, even split across chunks, the rest passes in order', (t) => {
  const seen: string[] = [];
  const f = new PgidFilter((d) => seen.push(d.toString()));
  f.push(Buffer.from('motd noise\n\nLXDCHECK-PG'));
  t.is(f.pgid, undefined);
  t.deepEqual(seen, [], 'held back while the line may still be coming');
  f.push(Buffer.from('ID:4242\nerr 1\n'));
  f.push(Buffer.from('err 2\n'));
  t.is(f.pgid, 4242);
  t.is(seen.join(''), 'motd noise\nerr 1\nerr 2\n');
});

test('PgidFilter: gives up after 8 KiB without the line and passes everything through', async (t) => {
  const seen: Buffer[] = [];
  const f = new PgidFilter((d) => seen.push(d));
  f.push(Buffer.alloc(9000, 'x'));
  await f.found; // settles: the pgid can no longer come
  t.is(f.pgid, undefined);
  t.is(Buffer.concat(seen).length, 9000);
  f.push(Buffer.from('\nLXDCHECK-PGID:1\n'));
  t.is(f.pgid, undefined, 'only the head of stderr is searched');
});

test('PgidFilter.peek: what is held back, for a result settled before the line came', (t) => {
  const f = new PgidFilter(() => {});
  f.push(Buffer.from('partial'));
  t.is(f.peek().toString(), 'partial');
});

test('ChannelQueue: at most max slots; the rest start in order as slots are released', (t) => {
  const q = new ChannelQueue(2);
  const started: number[] = [];
  const slots: ChannelSlot[] = [];
  for (let i = 0; i < 4; i++) slots.push(q.acquire(() => started.push(i)));
  t.deepEqual(started, [0, 1]);
  slots[0]!.release();
  t.deepEqual(started, [0, 1, 2]);
  slots[0]!.release(); // twice frees nothing more
  t.deepEqual(started, [0, 1, 2]);
  slots[3]!.release(); // stops waiting: never starts
  slots[1]!.release();
  slots[2]!.release();
  t.deepEqual(started, [0, 1, 2]);
  const late: number[] = [];
  q.acquire(() => late.push(1));
  q.acquire(() => late.push(2));
  t.deepEqual(late, [1, 2], 'both slots are free again');
});

test('ChannelQueue: a slot released inside its own start frees it for the next one', (t) => {
  const q = new ChannelQueue(1);
  const started: string[] = [];
  q.acquire((slot) => {
    started.push('a');
    slot.release();
  });
  q.acquire(() => started.push('b'));
  t.deepEqual(started, ['a', 'b']);
});

test('ChannelQueue.cancelAll: waiting requests never start', (t) => {
  const q = new ChannelQueue(1);
  const started: string[] = [];
  const first = q.acquire(() => started.push('a'));
  q.acquire(() => started.push('b'));
  q.cancelAll();
  first.release();
  t.deepEqual(started, ['a']);
});
