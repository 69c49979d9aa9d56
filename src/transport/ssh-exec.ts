/**
 * One command on an SSH connection: it waits for a channel slot, runs as
 * `exec sh -c …` on its own channel, and shares its life cycle (timeout,
 * abort, kill, caps) with the local transport (exec-lifecycle.ts).
 *
 * Killing is the hard part: sshd ignores the SSH "signal" request for root
 * logins (no post-auth privilege separation), so the command first reports
 * its process group id on stderr and a kill runs `kill -KILL -PGID` over a
 * fresh channel.
 */

import type { Client, ClientChannel } from 'ssh2';
import { errorMessage } from '../util/errors.js';
import type { ChannelQueue, ChannelSlot } from './channel-queue.js';
import { ExecLifecycle, endStdin } from './exec-lifecycle.js';
import { commandText } from './output.js';
import { quoteArgv } from './quote.js';
import type { Command, ExecOptions, ExecResult } from './types.js';

const PGID_MARKER = 'LXDCHECK-PGID:';

/** How long a kill waits for the pgid line if it has not arrived yet. */
const PGID_WAIT_MS = 2000;

/** How long a kill waits for the remote `kill` command, or for a channel still being opened. */
const KILL_COMMAND_TIMEOUT_MS = 3000;

/**
 * The command line sent to the remote sshd. It is `exec sh -c <text>` so the
 * login shell only has to understand `exec` and single quotes; the text first
 * reports the session's process group id on stderr (stripped again by
 * PgidFilter). `sudo` hosts run `sudo -n sh -c <command>`.
 */
export function remoteCommand(command: Command, sudo: boolean): string {
  let inner: string;
  if (sudo) inner = quoteArgv(['sudo', '-n', 'sh', '-c', commandText(command)]);
  else if ('argv' in command) inner = quoteArgv(command.argv);
  else inner = quoteArgv(['sh', '-c', command.script]);
  return quoteArgv(['exec', 'sh', '-c', `printf '\\n${PGID_MARKER}%s\\n' "$$" >&2; ${inner}`]);
}

/**
 * Strips the `\nLXDCHECK-PGID:<n>\n` line remoteCommand() prints first on
 * stderr and remembers the number. Looks only at the first 8 KiB (a noisy
 * shell rc file may print before it); everything else passes through.
 */
export class PgidFilter {
  pgid: number | undefined;
  private head: Buffer | null = Buffer.alloc(0);
  private onFound: () => void = () => {};
  /** Resolves when the pgid is known, or when it no longer can be (flushed). */
  readonly found = new Promise<void>((r) => {
    this.onFound = r;
  });

  constructor(private readonly sink: (d: Buffer) => void) {}

  push(d: Buffer): void {
    if (this.head === null) {
      this.sink(d);
      return;
    }
    this.head = Buffer.concat([this.head, d]);
    const text = this.head.toString('latin1');
    const m = /\nLXDCHECK-PGID:(\d+)\n/.exec(text);
    if (m) {
      this.pgid = Number(m[1]);
      this.onFound();
      const before = this.head.subarray(0, m.index);
      const after = this.head.subarray(m.index + m[0].length);
      this.head = null;
      if (before.length > 0) this.sink(before);
      if (after.length > 0) this.sink(after);
    } else if (this.head.length > 8192) {
      this.flush();
    }
  }

  /** What is held back so far (not consumed). */
  peek(): Buffer {
    return this.head ?? Buffer.alloc(0);
  }

  flush(): void {
    if (this.head && this.head.length > 0) this.sink(this.head);
    this.head = null;
    this.onFound();
  }
}

/** The connection a command runs on, as it was when the command was started. */
export interface ExecConnection {
  /** Inventory name, for notes and logs. */
  host: string;
  target: Client;
  /** False once the connection dropped: a remote kill cannot be sent any more. */
  alive(): boolean;
  sudo: boolean;
  queue: ChannelQueue;
  log(msg: string): void;
}

/** One command on an SSH connection; `run.result` is its result. */
export class SshExec {
  readonly run: ExecLifecycle;
  private readonly pgid: PgidFilter;
  private readonly remote: string;
  private slot: ChannelSlot | undefined;
  /** The exec request is sent and its channel not yet back. */
  private opening = false;
  private channelArrived: (ch: ClientChannel | undefined) => void = () => {};

  constructor(
    private readonly conn: ExecConnection,
    command: Command,
    private readonly options: ExecOptions,
    maxOutputBytes: number,
    onFinish: () => void,
  ) {
    this.run = new ExecLifecycle(options, {
      maxOutputBytes,
      onFinish: () => {
        this.slot?.release();
        // Bytes still held back while looking for the pgid line belong to the result; the filter
        // keeps looking, since a late kill may still need the pgid.
        this.run.stderr.push(this.pgid.peek());
        onFinish();
      },
      killWaiting: () => this.killLateChannel(),
    });
    this.pgid = new PgidFilter((d) => this.run.stderr.push(d));
    this.remote = remoteCommand(command, conn.sudo);
  }

  /** Queue for a channel; resolves with the result. */
  start(): Promise<ExecResult> {
    this.slot = this.conn.queue.acquire((slot) => this.open(slot));
    return this.run.result;
  }

  /** The connection dropped under the command. */
  lost(reason: string): void {
    this.run.fail(`[lxdcheck: connection to ${this.conn.host} lost while the command ran: ${reason}]`);
  }

  /** Kill the command (transport closing); resolves once its result is settled and the kill sent. */
  async terminate(): Promise<void> {
    this.run.kill('closed');
    await Promise.all([this.run.result, this.run.killing]);
  }

  /** A channel slot is free: the timeout starts now, and the exec request goes out. */
  private open(slot: ChannelSlot): void {
    this.slot = slot;
    if (this.run.done) {
      slot.release();
      return;
    }
    this.run.startClock();
    try {
      this.opening = true;
      this.conn.target.exec(this.remote, (e, ch) => this.onChannel(e, ch));
    } catch (e) {
      this.opening = false;
      this.run.fail(`[lxdcheck: could not start the command on ${this.conn.host}: ${errorMessage(e)}]`);
    }
  }

  private onChannel(e: Error | undefined, ch: ClientChannel): void {
    this.opening = false;
    const run = this.run;
    if (run.done) {
      // Killed while the exec request was in flight: read what comes, and let the late kill have it.
      if (!e && ch) {
        ch.on('data', () => {});
        ch.stderr.on('data', (d: Buffer) => this.pgid.push(d));
        ch.end();
      }
      this.channelArrived(e ? undefined : ch);
      return;
    }
    if (e) {
      run.fail(`[lxdcheck: could not open an SSH channel to ${this.conn.host}: ${e.message}]`);
      return;
    }
    run.attach(() => this.killChannel(ch));
    ch.on('data', (d: Buffer) => run.stdout.push(d));
    ch.stderr.on('data', (d: Buffer) => this.pgid.push(d));
    ch.on('exit', (code: number | null, signal?: string) => run.exited(code, signal));
    ch.on('error', (err: Error) => this.conn.log(`channel error: ${err.message}`));
    ch.on('close', () =>
      run.closed(run.hasExitStatus ? undefined : '[lxdcheck: channel closed without an exit status]'),
    );
    endStdin(ch, this.options.stdin);
  }

  /**
   * Killed before its channel came back: the command may already run remotely,
   * so kill it as soon as the channel shows up (bounded).
   */
  private killLateChannel(): Promise<void> | undefined {
    if (!this.opening) return undefined;
    const late = new Promise<ClientChannel | undefined>((r) => {
      this.channelArrived = r;
      setTimeout(() => r(undefined), KILL_COMMAND_TIMEOUT_MS).unref();
    });
    return late.then((c) => (c ? this.killChannel(c) : undefined));
  }

  /** Kill the remote command behind `ch`: SSH signal, then `kill` of its process group, then close. */
  private async killChannel(ch: ClientChannel): Promise<void> {
    try {
      ch.signal('KILL');
    } catch {
      // channel already gone
    }
    // The pgid line is the first thing the command prints; if it is still in flight, wait a moment for it.
    const pgidWait = new Promise<void>((r) => setTimeout(r, PGID_WAIT_MS).unref());
    await Promise.race([this.pgid.found, pgidWait]);
    const pgid = this.pgid.pgid;
    if (pgid !== undefined && this.conn.alive()) await killRemoteGroup(this.conn, pgid);
    else this.conn.log(`no process group id from ${this.conn.host}; only closing the channel`);
    try {
      ch.close();
    } catch {
      // channel already gone
    }
  }
}

/** Kill a remote process group over a fresh channel (bounded; errors are only logged). */
function killRemoteGroup(conn: ExecConnection, pgid: number): Promise<void> {
  const argv = ['kill', '-s', 'KILL', '--', `-${pgid}`];
  const text = quoteArgv(conn.sudo ? ['sudo', '-n', ...argv] : argv);
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, KILL_COMMAND_TIMEOUT_MS);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    try {
      conn.target.exec(text, (e, ch) => {
        if (e) {
          conn.log(`could not kill remote process group ${pgid}: ${e.message}`);
          return done();
        }
        ch.on('data', () => {});
        ch.stderr.on('data', () => {});
        ch.on('close', done);
        ch.end();
      });
    } catch (e) {
      conn.log(`could not kill remote process group ${pgid}: ${errorMessage(e)}`);
      done();
    }
  });
}
