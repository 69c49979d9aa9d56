/**
 * SshTransport: one ssh2 connection per host, opened lazily, reused for
 * every command (one exec channel each, at most maxChannels at a time), and
 * reopened once if it drops. The parts live apart:
 *
 * - ssh-proxy.ts: ProxyJump channels and the ProxyCommand process;
 * - ssh-connect.ts: one login (handshake, host key, auth, error mapping),
 *   with ssh-auth.ts (which keys, in which order) and host-key-policy.ts
 *   (known_hosts: verify, refuse, record with acceptNew);
 * - ssh-exec.ts: one command on a channel (the life cycle is exec-lifecycle.ts,
 *   shared with the local transport; channel-queue.ts bounds the channels).
 */

import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import type { HostSpec } from '../inventory/types.js';
import { ChannelQueue } from './channel-queue.js';
import { notStartedResult } from './exec-lifecycle.js';
import { loadKnownHosts } from './host-key-policy.js';
import { DEFAULT_MAX_OUTPUT_BYTES, KILL_GRACE_MS } from './output.js';
import { endpointOf, type LoginSettings, login } from './ssh-connect.js';
import { SshExec } from './ssh-exec.js';
import { forwardThroughJump, type ProxyCommand, startProxyCommand } from './ssh-proxy.js';
import { type Command, type ExecOptions, type ExecResult, type Transport, TransportError } from './types.js';

export interface SshTransportOptions {
  /** known_hosts files to verify against; the first one receives keys accepted with `acceptNew`. */
  knownHostsFiles: string[];
  /** System-wide known_hosts files, also verified against, never written (default: none). */
  globalKnownHostsFiles?: string[];
  /** Accept and record keys of hosts not in known_hosts (never a changed key). */
  acceptNew: boolean;
  /** Bound on TCP connect + SSH handshake + authentication, per hop. */
  connectTimeoutMs: number;
  /** ssh-agent socket; default process.env.SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** SSH keepalive interval (default 15000 ms; 3 unanswered keepalives drop the connection). */
  keepaliveIntervalMs?: number;
  log?: (msg: string) => void;
  /** Per-stream output cap (default 16 MiB). */
  maxOutputBytes?: number;
  /** Concurrent exec channels on the one connection (default 8; OpenSSH MaxSessions defaults to 10). */
  maxChannels?: number;
}

/** The logins that carry the connection to the target, outermost first. */
interface Chain {
  target: Client;
  alive: boolean;
  /** Why the connection ended, once it did. */
  endReason?: string;
  dispose(): void;
}

class SshTransport implements Transport {
  readonly host: string;
  connectionsOpened = 0;

  private chain: Chain | undefined;
  private connecting: Promise<Chain> | undefined;
  private reconnectsUsed = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly queue: ChannelQueue;
  private readonly running = new Set<SshExec>();
  private readonly maxOutput: number;

  constructor(
    private readonly spec: HostSpec,
    private readonly opts: SshTransportOptions,
  ) {
    this.host = spec.name;
    this.queue = new ChannelQueue(Math.max(1, opts.maxChannels ?? 8));
    this.maxOutput = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  }

  private log(msg: string): void {
    this.opts.log?.(`[${this.host}] ${msg}`);
  }

  async connect(): Promise<void> {
    await this.ensureConnected();
  }

  /** The live connection, opening it if needed; a dropped one is reopened once, never twice. */
  private ensureConnected(): Promise<Chain> {
    if (this.closed) {
      return Promise.reject(new TransportError('closed', `transport to ${this.host} is closed`, this.host));
    }
    if (this.chain?.alive) return Promise.resolve(this.chain);
    if (this.connecting) return this.connecting;
    if (this.chain && !this.chain.alive) {
      if (this.reconnectsUsed >= 1) {
        return Promise.reject(
          new TransportError(
            'closed',
            `connection to ${this.host} dropped again (${this.chain.endReason ?? 'closed'}); ` +
              'already reconnected once, not trying again',
            this.host,
          ),
        );
      }
      this.reconnectsUsed++;
      this.log(`connection dropped (${this.chain.endReason ?? 'closed'}); reconnecting once`);
    }
    const attempt = this.openChain().then(
      (chain) => {
        this.connecting = undefined;
        if (this.closed) {
          chain.dispose();
          throw new TransportError(
            'closed',
            `transport to ${this.host} was closed while connecting`,
            this.host,
          );
        }
        this.chain = chain;
        return chain;
      },
      (err: unknown) => {
        this.connecting = undefined;
        throw err;
      },
    );
    this.connecting = attempt;
    return attempt;
  }

  private loginSettings(): LoginSettings {
    const log = (msg: string) => this.log(msg);
    return {
      host: this.host,
      knownHostsFiles: this.opts.knownHostsFiles,
      knownEntries: loadKnownHosts(
        [...this.opts.knownHostsFiles, ...(this.opts.globalKnownHostsFiles ?? [])],
        log,
      ),
      acceptNew: this.opts.acceptNew,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      keepaliveIntervalMs: this.opts.keepaliveIntervalMs ?? 15000,
      agentSocket: this.opts.agentSocket ?? process.env.SSH_AUTH_SOCK,
      log,
    };
  }

  /** Log in through each ProxyJump hop (or over the ProxyCommand), then to the target. */
  private async openChain(): Promise<Chain> {
    const ssh = this.spec.ssh;
    const settings = this.loginSettings();
    const hops: Client[] = [];
    let proxy: ProxyCommand | undefined;
    const disposeAll = (target?: Client) => {
      target?.end();
      for (const h of [...hops].reverse()) h.end();
      proxy?.kill();
      // Make sure nothing lingers if the peer does not answer the disconnect.
      setTimeout(() => {
        target?.destroy();
        for (const h of hops) h.destroy();
      }, KILL_GRACE_MS).unref();
    };

    try {
      let sock: Duplex | undefined;
      if (ssh.proxyJump.length > 0) {
        for (let i = 0; i < ssh.proxyJump.length; i++) {
          const hop = ssh.proxyJump[i]!;
          const ep = endpointOf(hop, `jump host ${hop.user}@${hop.hostname}:${hop.port}`);
          const client = await login(ep, sock, settings);
          hops.push(client);
          const next = ssh.proxyJump[i + 1] ?? { hostname: ssh.hostname, port: ssh.port };
          sock = await forwardThroughJump(client, ep.label, next, this.opts.connectTimeoutMs, this.host);
        }
      } else if (ssh.proxyCommand) {
        proxy = startProxyCommand(ssh, this.host, settings.log);
        sock = proxy.sock;
      }
      const target = endpointOf(ssh, `${ssh.user}@${ssh.hostname}:${ssh.port}`);
      const client = await login(target, sock, settings, proxy);
      this.connectionsOpened++;
      this.log(`connected to ${target.label}${hops.length ? ` via ${hops.length} jump host(s)` : ''}`);
      const chain: Chain = {
        target: client,
        alive: true,
        dispose: () => disposeAll(client),
      };
      client.on('error', (e: Error) => {
        chain.endReason = proxy?.message() ?? e.message;
        this.log(`connection error: ${e.message}`);
      });
      client.on('close', () => {
        if (!chain.alive) return;
        chain.alive = false;
        chain.endReason ??= this.closed ? 'transport closed' : 'connection closed';
        const reason = chain.endReason;
        disposeAll(client);
        for (const r of [...this.running]) r.lost(reason);
      });
      return chain;
    } catch (e) {
      disposeAll();
      throw e;
    }
  }

  async exec(command: Command, options: ExecOptions): Promise<ExecResult> {
    if (options.signal?.aborted) return notStartedResult('aborted');
    const chain = await this.ensureConnected();
    // Aborted while connecting: an abort listener added now would never fire.
    if (options.signal?.aborted) return notStartedResult('aborted');
    const conn = {
      host: this.host,
      target: chain.target,
      alive: () => chain.alive,
      sudo: this.spec.ssh.sudo,
      queue: this.queue,
      log: (msg: string) => this.log(msg),
    };
    const run: SshExec = new SshExec(conn, command, options, this.maxOutput, () => this.running.delete(run));
    this.running.add(run);
    return run.start();
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      this.queue.cancelAll();
      if (this.connecting) {
        await this.connecting.then(
          () => undefined,
          () => undefined,
        );
      }
      // Kill what still runs (bounded), so closing never leaves remote processes behind.
      await Promise.all([...this.running].map((r) => r.terminate()));
      const chain = this.chain;
      if (chain?.alive) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, KILL_GRACE_MS);
          chain.target.once('close', () => {
            clearTimeout(t);
            resolve();
          });
          chain.dispose();
        });
      }
      for (const r of [...this.running]) r.lost('transport closed');
    })();
    return this.closing;
  }
}

export function createSshTransport(host: HostSpec, opts: SshTransportOptions): Transport {
  return new SshTransport(host, opts);
}
