/**
 * LocalTransport: runs commands on this machine, optionally through a wrapper
 * argv (the lab's `nsenter -t PID -n -m -u -p --`). `{argv}` is executed
 * directly (no shell); `{script}` runs as `sh -c <script>`. Each command gets
 * its own process group so a timeout kills the whole tree.
 */

import { spawn } from 'node:child_process';
import { DEFAULT_MAX_OUTPUT_BYTES, KILL_GRACE_MS, OutputBuffer, withNote } from './output.js';
import type { Command, ExecOptions, ExecResult, Transport } from './types.js';

export interface LocalTransportOptions {
  /** Per-stream output cap (default 16 MiB). */
  maxOutputBytes?: number;
}

class LocalTransport implements Transport {
  readonly connectionsOpened = 0;
  private closed = false;
  private readonly running = new Set<() => void>();

  constructor(
    readonly host: string,
    private readonly wrapper: readonly string[],
    private readonly maxOutput: number,
  ) {}

  async connect(): Promise<void> {}

  exec(command: Command, options: ExecOptions): Promise<ExecResult> {
    const argv = [...this.wrapper, ...('argv' in command ? command.argv : ['sh', '-c', command.script])];
    if (argv.length === 0) throw new Error('empty command');
    const started = Date.now();
    if (this.closed || options.signal?.aborted) {
      const result: ExecResult = {
        stdout: '',
        stderr: this.closed ? '[lxdcheck: transport closed]' : '[lxdcheck: aborted before it started]',
        exitCode: null,
        timedOut: false,
        durationMs: 0,
      };
      if (!this.closed) result.aborted = true;
      return Promise.resolve(result);
    }
    return new Promise<ExecResult>((resolve) => {
      const out = new OutputBuffer('stdout', this.maxOutput);
      const err = new OutputBuffer('stderr', this.maxOutput);
      let done = false;
      let timedOut = false;
      let aborted = false;
      let exitCode: number | null = null;
      let exitSignal: string | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      let timer: NodeJS.Timeout | undefined;

      const finish = (note?: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(graceTimer);
        options.signal?.removeEventListener('abort', onAbort);
        this.running.delete(onClose);
        const result: ExecResult = {
          stdout: out.text(),
          stderr: withNote(err.text(), note),
          exitCode: timedOut || aborted ? null : exitCode,
          timedOut,
          durationMs: Date.now() - started,
        };
        if (exitSignal) result.signal = exitSignal;
        if (aborted) result.aborted = true;
        resolve(result);
      };

      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const killGroup = () => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          try {
            child.kill('SIGKILL');
          } catch {
            // already gone
          }
        }
      };
      const kill = (why: 'timeout' | 'abort' | 'closed') => {
        if (done) return;
        if (why === 'timeout') timedOut = true;
        else aborted = true;
        exitSignal = 'KILL';
        killGroup();
        const note =
          why === 'timeout'
            ? `[lxdcheck: killed after ${options.timeoutMs} ms (timeout)]`
            : why === 'abort'
              ? '[lxdcheck: killed (aborted)]'
              : '[lxdcheck: killed (transport closed)]';
        // A grandchild that left the group could keep the pipes open: resolve anyway.
        graceTimer = setTimeout(() => finish(note), KILL_GRACE_MS);
        child.once('close', () => finish(note));
      };
      const onAbort = () => kill('abort');
      const onClose = () => kill('closed');
      this.running.add(onClose);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => kill('timeout'), Math.max(0, options.timeoutMs));

      child.stdout!.on('data', (d: Buffer) => out.push(d));
      child.stderr!.on('data', (d: Buffer) => err.push(d));
      child.stdin!.on('error', () => {
        // the command did not read its stdin (EPIPE): not an error of ours
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        // spawn failed: report like a shell would (127 not found, 126 not executable)
        exitCode = e.code === 'ENOENT' ? 127 : e.code === 'EACCES' ? 126 : 1;
        const why = e.code === 'ENOENT' ? 'command not found' : e.message;
        finish(`${argv[0]}: ${why}`);
      });
      child.on('close', (code, signal) => {
        if (timedOut || aborted) return;
        exitCode = code;
        if (signal) exitSignal = signal.replace(/^SIG/, '');
        finish();
      });
      if (options.stdin !== undefined) child.stdin!.end(options.stdin);
      else child.stdin!.end();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const kill of [...this.running]) kill();
  }
}

/**
 * Run commands on this machine, prefixed by `wrapper` (e.g. `['nsenter','-t','123','-n','-m','-u','-p','--']`).
 * `connectionsOpened` stays 0: there is no connection.
 */
export function createLocalTransport(
  host: string,
  wrapper: string[] = [],
  options: LocalTransportOptions = {},
): Transport {
  return new LocalTransport(host, [...wrapper], options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
}
