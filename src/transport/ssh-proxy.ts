/**
 * The two ways an SSH connection is carried to its target, as OpenSSH does:
 * a ProxyJump hop's forwarded channel, or a ProxyCommand's stdin/stdout
 * (`/bin/sh -c`, its own process group so that killing it kills its children).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import { expandProxyCommand } from '../inventory/ssh.js';
import type { SshSpec } from '../inventory/types.js';
import { errorMessage } from '../util/errors.js';
import { killProcessGroup } from '../util/process-group.js';
import { quoteArg } from './quote.js';
import { TransportError } from './types.js';

/** A running ProxyCommand, as the connection sees it. */
export interface ProxyCommand {
  /** The socket SSH speaks over: the command's stdin and stdout. */
  sock: Duplex;
  /** Why the command ended (with the tail of its stderr), once it did: a better error than "connection lost". */
  message(): string | undefined;
  /** Resolves when it has exited and its stderr is read. */
  exited: Promise<void>;
  /** Kill it and its process group, unless it already ended (its pgid may belong to another by then). */
  kill(): void;
}

/** Start the host's ProxyCommand; an unsafe token value is a config error, never a command. */
export function startProxyCommand(ssh: SshSpec, host: string, log: (msg: string) => void): ProxyCommand {
  let cmd: string;
  try {
    cmd = expandProxyCommand(ssh) ?? '';
  } catch (e) {
    throw new TransportError('config', errorMessage(e), host);
  }
  log(`ProxyCommand: /bin/sh -c ${quoteArg(cmd)}`);
  const child = spawn('/bin/sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stderrTail = '';
  let exitInfo: string | undefined;
  child.stderr!.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString('utf8')).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => {
    child.on('error', (e) => {
      exitInfo = `could not start: ${e.message}`;
      resolve();
    });
    // 'close' comes after 'exit' and after stderr is drained: the message is complete.
    child.on('close', (code, signal) => {
      exitInfo = signal ? `killed by ${signal}` : `exited with status ${code}`;
      resolve();
    });
  });
  return {
    sock: childDuplex(child),
    exited,
    message: () =>
      exitInfo
        ? `ProxyCommand ${JSON.stringify(cmd)} ${exitInfo}${stderrTail.trim() ? `: ${stderrTail.trim()}` : ''}`
        : undefined,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) killProcessGroup(child);
    },
  };
}

/** A Duplex over a child's stdin (writes) and stdout (reads), with backpressure. */
function childDuplex(child: ChildProcess): Duplex {
  const stdin = child.stdin!;
  const stdout = child.stdout!;
  const stream = new Duplex({
    read() {
      stdout.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (stdin.destroyed) return cb(new Error('proxy command stdin is closed'));
      stdin.write(chunk, (err) => cb(err ?? null));
    },
    final(cb) {
      stdin.end();
      cb();
    },
    destroy(err, cb) {
      stdin.destroy();
      stdout.destroy();
      cb(err);
    },
  });
  stdout.on('data', (d: Buffer) => {
    if (!stream.push(d)) stdout.pause();
  });
  stdout.on('end', () => stream.push(null));
  stdout.on('error', (e) => stream.destroy(e));
  stdin.on('error', (e) => stream.destroy(e));
  return stream;
}

/**
 * A channel from a connected jump host to the next hop (`direct-tcpip`, as
 * `ssh -J`). Bounded: the jump host's own TCP connect can take minutes.
 */
export function forwardThroughJump(
  jump: Client,
  jumpLabel: string,
  next: { hostname: string; port: number },
  timeoutMs: number,
  host: string,
): Promise<Duplex> {
  return new Promise<Duplex>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new TransportError(
            'timeout',
            `${jumpLabel} did not connect to ${next.hostname}:${next.port} within ${timeoutMs} ms`,
            host,
          ),
        ),
      timeoutMs,
    );
    jump.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, stream) => {
      clearTimeout(timer);
      if (err) {
        reject(
          new TransportError(
            'unreachable',
            `${jumpLabel} could not open a connection to ${next.hostname}:${next.port}: ${err.message}`,
            host,
          ),
        );
      } else resolve(stream);
    });
  });
}
