/**
 * Running commands for the lab: argv only (a script only where one is spelled out),
 * bounded by a timeout, never throwing unless asked to.
 *
 * `run` is zx's process life cycle (capture, stdin, env, and on timeout a kill of the whole process
 * tree: `nsenter -p` forks, so killing only the child, as a plain spawn does, left the forked command
 * running). zx always starts a shell; here bash is only a quoting carrier: the command line is
 * `exec -- ARGV` with every element quoted by zx's `quote` (`$'...'` with backslash escapes), so each
 * element reaches the program byte for byte and bash replaces itself by the program.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { $, type ProcessPromise, quote, which } from 'zx/core';
import { killProcessTree } from '../util/process-group.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  /** null when killed (timeout) or the program could not be started. */
  exitCode: number | null;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * The environment for every lab command: the system PATH only. Under npx/ava, PATH starts with
 * node_modules/.bin, where e.g. `nft` is @vercel/nft, not nftables.
 */
export const LAB_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
};

/**
 * Variables that make bash run code or change its options before it reads a command line: the carrier
 * must do nothing but exec, so it never sees them (nor, therefore, does the program).
 */
const isBashStartupVar = (k: string) =>
  k === 'BASH_ENV' || k === 'ENV' || k === 'SHELLOPTS' || k === 'BASHOPTS' || k.startsWith('BASH_FUNC_');

function carrierEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !isBashStartupVar(k)));
}

/** After the program exits, how long to wait for its pipes: a daemon it forked may keep them open. */
const PIPE_GRACE_MS = 300;

/** child_process.spawn, plus what a plain child needs that zx does not do. */
function spawnForRun(...args: Parameters<typeof spawn>): ChildProcess {
  const child = spawn(...args);
  // A program that exits without reading its input must not crash us with EPIPE.
  child.stdin?.on('error', () => {});
  // zx settles on 'close', which waits for every holder of the pipes; after 'exit' wait only briefly.
  child.once('exit', () => {
    setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, PIPE_GRACE_MS).unref();
  });
  return child;
}

let bash: string | undefined;

export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd] = argv;
  if (!cmd) throw new Error('empty command');
  const env = carrierEnv(opts.env ?? LAB_ENV);
  // Not found is "could not be started" (exitCode null), as a spawn of the program would say,
  // not the carrier's exit 127.
  if (!(await which(cmd, { path: env.PATH ?? '', nothrow: true }))) {
    return { stdout: '', stderr: `spawn ${cmd} ENOENT`, exitCode: null, timedOut: false };
  }
  bash ??= which.sync('bash', { path: LAB_ENV.PATH });
  const store = { stdout: [] as Buffer[], stderr: [] as Buffer[], stdall: [] as Buffer[] };
  // Every option zx would otherwise take from ZX_* variables is given here.
  const p: ProcessPromise = $({
    shell: bash,
    prefix: '',
    postfix: '',
    quote,
    cwd: process.cwd(),
    preferLocal: false,
    detached: false,
    timeout: 0,
    env,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    // A Buffer even when empty: zx writes and ends stdin only for a truthy input.
    input: opts.input === undefined ? undefined : Buffer.from(opts.input),
    spawn: spawnForRun as typeof spawn,
    store,
    nothrow: true,
    quiet: true,
    verbose: false,
  })`exec -- ${argv}`;
  // Our own timer rather than zx's `timeout` option: zx does not say whether its timer fired.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // The tree from /proc, at once: zx's own kill finds it with `ps`, and under load that once missed a
    // forked child (CI: a `sleep` outlived its command's timeout). zx's kill after it, as before.
    if (p.child) killProcessTree(p.child);
    try {
      p.kill('SIGKILL').catch(() => {});
    } catch {
      // already settled: nothing left to kill
    }
  }, opts.timeoutMs ?? 30_000);
  try {
    const out = await p;
    // Decoded once, whole: zx's own stdout/stderr decode each chunk apart and so split characters.
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
    const stderr = text(store.stderr) + (out.cause ? String(out.cause.message) : '');
    return { stdout: text(store.stdout), stderr, exitCode: timedOut ? null : out.exitCode, timedOut };
  } finally {
    clearTimeout(timer);
  }
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    const why = result.timedOut ? 'timed out' : `exit ${result.exitCode}`;
    super(`${argv.join(' ')}: ${why}: ${(result.stderr || result.stdout).trim().slice(0, 500)}`);
    this.name = 'CommandError';
  }
}

/** Run and throw a CommandError unless it exits 0. */
export async function must(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.exitCode !== 0) throw new CommandError(argv, r);
  return r.stdout;
}

/** The argv that runs `argv` inside a lab host (all of its namespaces). */
export function inHost(initPid: number, argv: readonly string[]): string[] {
  return ['nsenter', '-t', String(initPid), '-n', '-m', '-u', '-p', '--', ...argv];
}

/** Start a long-lived process in its own session, detached from us; returns its PID. */
export function startDetached(argv: readonly string[], logFile?: string): Promise<number> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('empty command'));
  const fd = logFile ? openSync(logFile, 'a') : 'ignore';
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env: LAB_ENV });
    if (typeof fd === 'number') closeSync(fd);
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      if (child.pid === undefined) reject(new Error(`could not start ${cmd}`));
      else resolve(child.pid);
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a non-undefined value or the deadline passes. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  fn: () => Promise<T | undefined>,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Map with bounded concurrency, preserving order. */
export async function pMap<T, R>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return out;
}
