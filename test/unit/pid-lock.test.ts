/** The one PID lock (src/util/pid-lock.ts) and the run lock built on it (src/engine/lock.ts). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { acquireLock, LockBusyError } from '../../src/engine/lock.js';
import {
  pidAlive,
  pidLockHolder,
  releasePidLock,
  tryPidLock,
  waitForPidLock,
} from '../../src/util/pid-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-pid-lock-'));
let n = 0;
const lockPath = () => join(dir, `l${n++}.lock`);

/** A pid that surely ran and is gone (spawnSync has reaped it). */
const deadPid = () => spawnSync('true').pid!;

test('taken once, busy while held (naming the holder), free again after release', (t) => {
  const path = lockPath();
  t.deepEqual(tryPidLock(path), { ok: true });
  t.is(pidLockHolder(path), process.pid);
  t.deepEqual(tryPidLock(path), { ok: false, holder: process.pid });
  releasePidLock(path);
  t.false(existsSync(path));
  t.deepEqual(tryPidLock(path), { ok: true });
  releasePidLock(path);
});

test('a lock whose holder is gone is taken over', (t) => {
  const path = lockPath();
  mkdirSync(path);
  writeFileSync(join(path, 'pid'), `${deadPid()}\n`);
  t.deepEqual(tryPidLock(path), { ok: true });
  t.is(pidLockHolder(path), process.pid);
  releasePidLock(path);
});

test('the old plain-file form counts: busy when its pid lives, taken over when it is gone', (t) => {
  const live = lockPath();
  writeFileSync(live, `${process.pid}\n`);
  t.deepEqual(tryPidLock(live), { ok: false, holder: process.pid });
  const stale = lockPath();
  writeFileSync(stale, `${deadPid()}\n`);
  t.deepEqual(tryPidLock(stale), { ok: true });
  releasePidLock(stale);
});

test('a lock without a pid is being written (busy), unless it is old (its maker crashed)', (t) => {
  const path = lockPath();
  mkdirSync(path);
  t.deepEqual(tryPidLock(path), { ok: false, holder: undefined });
  const old = new Date(Date.now() - 60_000);
  utimesSync(path, old, old);
  t.deepEqual(tryPidLock(path), { ok: true });
  releasePidLock(path);
});

test("release never removes another process's lock", (t) => {
  const path = lockPath();
  mkdirSync(path);
  writeFileSync(join(path, 'pid'), '1\n');
  releasePidLock(path);
  t.is(pidLockHolder(path), 1);
});

test('waitForPidLock gives up while a live holder keeps it, and takes it once free', async (t) => {
  const path = lockPath();
  t.true(tryPidLock(path).ok);
  t.false(await waitForPidLock(path, 0, 1));
  releasePidLock(path);
  t.true(await waitForPidLock(path, 0, 1));
  releasePidLock(path);
});

test('pidAlive: this process lives, a reaped one does not', (t) => {
  t.true(pidAlive(process.pid));
  t.false(pidAlive(deadPid()));
});

test('the run lock: a second run on the same inventory is refused with the holder named', (t) => {
  const path = lockPath();
  const release = acquireLock(path);
  const err = t.throws(() => acquireLock(path), { instanceOf: LockBusyError });
  t.is(err?.message, `another lxdcheck run (pid ${process.pid}) holds ${path} for this inventory`);
  release();
  release(); // twice is fine
  t.notThrows(() => acquireLock(path)());
});
