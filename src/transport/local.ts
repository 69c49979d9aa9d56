/**
 * LocalTransport: runs commands on this machine, optionally through a wrapper
 * argv (the lab's `nsenter -t PID -n -m -u -p --`). `{argv}` is executed
 * directly (no shell); `{script}` runs as `sh -c <script>`. Each command gets
 * its own process group so a timeout kills the whole tree.
 */

import { spawn } from 'node:child_process';
import { killProcessGroup } from '../util/process-group.js';
import { ExecLifecycle, endStdin, notStartedResult } from './exec-lifecycle.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from './output.js';
import type { Command, ExecOptions, ExecResult, Transport } from './types.js';

export interface LocalTransportOptions {
  /** Per-stream output cap (default 16 MiB). */
  maxOutputBytes?: number;
}

class LocalTransport implements Transport {
  readonly connectionsOpened = 0;
  private closed = false;
  private readonly running = new Set<ExecLifecycle>();

  constructor(
    readonly host: string,
    private readonly wrapper: readonly string[],
    private readonly maxOutput: number,
  ) {}

  async connect(): Promise<void> {}

  exec(command: Command, options: ExecOptions): Promise<ExecResult> {
    const argv = [...this.wrapper, ...('argv' in command ? command.argv : ['sh', '-c', command.script])];
    if (argv.length === 0) throw new Error('empty command');
    if (this.closed) return Promise.resolve(notStartedResult('closed'));
    if (options.signal?.aborted) return Promise.resolve(notStartedResult('aborted'));
    const run = new ExecLifecycle(options, {
      maxOutputBytes: this.maxOutput,
      onFinish: () => this.running.delete(run),
    });
    this.running.add(run);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    run.attach(() => killProcessGroup(child));
    run.startClock();
    child.stdout!.on('data', (d: Buffer) => run.stdout.push(d));
    child.stderr!.on('data', (d: Buffer) => run.stderr.push(d));
    child.stdin!.on('error', () => {
      // the command did not read its stdin (EPIPE): not an error of ours
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      // spawn failed: report like a shell would (127 not found, 126 not executable)
      const code = e.code === 'ENOENT' ? 127 : e.code === 'EACCES' ? 126 : 1;
      run.fail(`${argv[0]}: ${e.code === 'ENOENT' ? 'command not found' : e.message}`, code);
    });
    child.on('close', (code, signal) => {
      run.exited(code, signal);
      run.closed();
    });
    endStdin(child.stdin!, options.stdin);
    return run.result;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const run of [...this.running]) run.kill('closed');
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
