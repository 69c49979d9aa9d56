/**
 * One command's life cycle, the same for the local and the SSH transport:
 * output caps, the timeout, abort, kill and the one result.
 *
 *   waiting ──attach()──▶ running ──kill()──▶ killing ──closed() or grace──▶ done
 *      │                    │ closed() / fail()                               ▲
 *      └──kill() / fail()───┴─────────────────────────────────────────────────┘
 *
 * The transport only wires its process (a child, an SSH channel) to it: it
 * pushes output, reports exit and close, and says how to kill. A killed
 * command resolves once it closed, or after KILL_GRACE_MS whatever it does
 * (a grandchild may hold the pipes open; a remote side may not answer).
 */

import type { Writable } from 'node:stream';
import { KILL_GRACE_MS, OutputBuffer, withNote } from './output.js';
import type { ExecOptions, ExecResult } from './types.js';

export type KillReason = 'timeout' | 'abort' | 'closed';

type State = 'waiting' | 'running' | 'killing' | 'done';

export interface LifecycleHooks {
  /** Called once when the result settles (free a channel slot, forget the command). */
  onFinish?(): void;
  /**
   * Kill a command before attach(): an SSH exec request may be in flight, so
   * the command may already run remotely. The result does not wait for it.
   */
  killWaiting?(): Promise<void> | void;
}

export interface LifecycleOptions extends LifecycleHooks {
  /** Per-stream output cap. */
  maxOutputBytes: number;
  /** How long a killed command may take to close (default KILL_GRACE_MS). */
  graceMs?: number;
}

/** The result of a command that never started (aborted first, or the transport is closed). */
export function notStartedResult(why: 'aborted' | 'closed'): ExecResult {
  const result: ExecResult = {
    stdout: '',
    stderr: why === 'closed' ? '[lxdcheck: transport closed]' : '[lxdcheck: aborted before it started]',
    exitCode: null,
    timedOut: false,
    durationMs: 0,
  };
  if (why === 'aborted') result.aborted = true;
  return result;
}

/** Write the caller's stdin, if any, and close it: a command reading stdin must see EOF. */
export function endStdin(stdin: Pick<Writable, 'end'>, text: string | undefined): void {
  if (text !== undefined) stdin.end(text);
  else stdin.end();
}

export class ExecLifecycle {
  readonly stdout: OutputBuffer;
  readonly stderr: OutputBuffer;
  /** Settles exactly once, with the command's result. */
  readonly result: Promise<ExecResult>;
  /** The kill in progress, if any: close() waits for it so no remote process is left behind. */
  killing: Promise<void> = Promise.resolve();

  private state: State = 'waiting';
  private readonly started = Date.now();
  private timedOut = false;
  private aborted = false;
  private exitCode: number | null = null;
  private exitSignal: string | undefined;
  private killNote: string | undefined;
  private killer: (() => Promise<void> | void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private resolveResult: (r: ExecResult) => void = () => {};
  private readonly onAbort = () => this.kill('abort');

  constructor(
    private readonly options: ExecOptions,
    private readonly opts: LifecycleOptions,
  ) {
    this.stdout = new OutputBuffer('stdout', opts.maxOutputBytes);
    this.stderr = new OutputBuffer('stderr', opts.maxOutputBytes);
    this.result = new Promise((r) => {
      this.resolveResult = r;
    });
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Whether the command reported an exit code or a signal. */
  get hasExitStatus(): boolean {
    return this.exitCode !== null || this.exitSignal !== undefined;
  }

  /**
   * The timeout runs from here. The SSH transport calls it when a channel slot
   * is free, so a queued command's wait is not counted against it.
   */
  startClock(): void {
    if (this.state === 'done' || this.timer) return;
    this.timer = setTimeout(() => this.kill('timeout'), Math.max(0, this.options.timeoutMs));
  }

  /** The command runs; `kill` ends it (and whatever it started). */
  attach(kill: () => Promise<void> | void): void {
    if (this.state !== 'waiting') return;
    this.state = 'running';
    this.killer = kill;
  }

  /** The exit status, as the process or channel reports it; ignored once we kill it. */
  exited(code: number | null | undefined, signal?: string | null): void {
    if (this.state !== 'running' && this.state !== 'waiting') return;
    if (typeof code === 'number') this.exitCode = code;
    else if (signal) this.exitSignal = signal.replace(/^SIG/, '');
  }

  /** The process is gone and its output read; `note` explains an unusual end. */
  closed(note?: string): void {
    if (this.state === 'killing') this.finish(this.killNote);
    else this.finish(note);
  }

  /**
   * The command could not run or its connection was lost: resolve now with a
   * note. `exitCode` is what a shell would report (127: not found), or null.
   */
  fail(note: string, exitCode: number | null = null): void {
    if (this.state === 'done') return;
    this.exitCode = exitCode;
    this.finish(note);
  }

  kill(why: KillReason): void {
    if (this.state === 'done' || this.state === 'killing') return;
    if (why === 'timeout') this.timedOut = true;
    else this.aborted = true;
    this.killNote =
      why === 'timeout'
        ? `[lxdcheck: killed after ${this.options.timeoutMs} ms (timeout)]`
        : why === 'abort'
          ? '[lxdcheck: killed (aborted)]'
          : '[lxdcheck: killed (transport closed)]';
    if (this.state === 'waiting') {
      // Nothing attached to wait for: report now; a late process is the hook's to kill.
      this.killing = Promise.resolve(this.opts.killWaiting?.());
      this.finish(this.killNote);
      return;
    }
    this.state = 'killing';
    this.exitSignal = 'KILL';
    this.graceTimer = setTimeout(() => this.finish(this.killNote), this.opts.graceMs ?? KILL_GRACE_MS);
    this.killing = Promise.resolve(this.killer?.());
  }

  private finish(note: string | undefined): void {
    if (this.state === 'done') return;
    this.state = 'done';
    clearTimeout(this.timer);
    clearTimeout(this.graceTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.opts.onFinish?.();
    const killed = this.timedOut || this.aborted;
    const result: ExecResult = {
      stdout: this.stdout.text(),
      stderr: withNote(this.stderr.text(), note),
      exitCode: killed ? null : this.exitCode,
      timedOut: this.timedOut,
      durationMs: Date.now() - this.started,
    };
    if (this.exitSignal) result.signal = this.exitSignal;
    if (this.aborted) result.aborted = true;
    this.resolveResult(result);
  }
}
