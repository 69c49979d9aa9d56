/**
 * Running commands for the lab: argv only (no shell unless a script is spelled
 * out), bounded by a timeout, never throwing unless asked to.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

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

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('empty command'));
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env ?? LAB_ENV,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const done = (exitCode: number | null, extra = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ stdout, stderr: stderr + extra, exitCode: timedOut ? null : exitCode, timedOut });
    };
    child.on('error', (e) => done(null, String(e.message)));
    // 'close' waits for the pipes; a daemon that forked and kept them open would
    // hang us, so after 'exit' we wait for the pipes only briefly.
    child.on('close', (code) => done(code));
    child.on('exit', (code) => {
      setTimeout(() => done(code), 300).unref();
    });
  });
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
