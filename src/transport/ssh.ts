/**
 * SshTransport: one ssh2 connection per host, opened lazily and reused for
 * every command (one exec channel each, at most MAX_CHANNELS at a time).
 *
 * - Host keys are verified against OpenSSH known_hosts files by default;
 *   unknown keys are refused unless `acceptNew` (then appended, like
 *   StrictHostKeyChecking=accept-new); changed keys are always refused.
 * - Auth: the host's IdentityFiles (or ~/.ssh/id_{ed25519,ecdsa,rsa}), then
 *   the agent. Key material and passphrases are never logged.
 * - ProxyJump (each hop verified too) and ProxyCommand (`/bin/sh -c`).
 * - `sudo` hosts run `sudo -n sh -c <command>`.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Duplex } from 'node:stream';
import type {
  AnyAuthMethod,
  AuthenticationType,
  Client,
  ClientChannel,
  ConnectConfig,
  ServerHostKeyAlgorithm,
} from 'ssh2';
import ssh2 from 'ssh2';
import { invalidHostnameReason, invalidUserReason, parseSshTarget } from '../inventory/ssh.js';
import type { HostSpec, SshHop } from '../inventory/types.js';
import {
  fingerprintSha256,
  formatKnownHostsLine,
  type KnownHostEntry,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypes,
  matchHostKey,
  parseKnownHosts,
} from './known-hosts.js';
import { commandText, DEFAULT_MAX_OUTPUT_BYTES, KILL_GRACE_MS, OutputBuffer, withNote } from './output.js';
import { quoteArg, quoteArgv } from './quote.js';
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

/** Host key algorithms ssh2 offers by default, most preferred first. */
const DEFAULT_HOST_KEY_ALGOS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Which host key algorithms can be verified with a known_hosts key of this type. */
function algosForKeyType(type: string): ServerHostKeyAlgorithm[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return DEFAULT_HOST_KEY_ALGOS.filter((a) => a === type);
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EADDRNOTAVAIL',
]);

interface Endpoint {
  /** For messages: user@host:port. */
  label: string;
  user: string;
  hostname: string;
  port: number;
  identityFiles: string[];
  /** From OpenSSH's resolution (inventory/openssh.ts); unset: the transport options apply. */
  identitiesOnly?: boolean;
  knownHostsFiles?: string[];
  connectTimeoutMs?: number;
}

/** The per-endpoint settings OpenSSH resolved for a hop or the target, when it did. */
function resolvedExtras(
  h: SshHop,
): Pick<Endpoint, 'identitiesOnly' | 'knownHostsFiles' | 'connectTimeoutMs'> {
  const out: Pick<Endpoint, 'identitiesOnly' | 'knownHostsFiles' | 'connectTimeoutMs'> = {};
  if (h.identitiesOnly !== undefined) out.identitiesOnly = h.identitiesOnly;
  if (h.knownHostsFiles !== undefined && h.knownHostsFiles.length > 0)
    out.knownHostsFiles = h.knownHostsFiles;
  if (h.connectTimeoutMs !== undefined) out.connectTimeoutMs = h.connectTimeoutMs;
  return out;
}

/** OpenSSH's default identity files: tried when present, silently skipped when not (as ssh does). */
const DEFAULT_IDENTITY_NAMES = new Set([
  'id_rsa',
  'id_ecdsa',
  'id_ecdsa_sk',
  'id_ed25519',
  'id_ed25519_sk',
  'id_xmss',
  'id_dsa',
]);

interface ProxyState {
  /** Why the ProxyCommand ended, once it did. */
  message(): string | undefined;
  /** Resolves when it has exited and its stderr is read. */
  exited: Promise<void>;
}

interface Chain {
  target: Client;
  alive: boolean;
  /** Why the connection ended, once it did. */
  endReason?: string;
  dispose(): void;
}

interface RunningExec {
  lost(reason: string): void;
  /** Kill the command (transport closing); resolves once its result is settled. */
  terminate(): Promise<void>;
}

const PGID_MARKER = 'LXDCHECK-PGID:';

/** How long a kill waits for the pgid line if it has not arrived yet. */
const PGID_WAIT_MS = 2000;

/** How long close() waits for the remote `kill` of a still-running command. */
const KILL_COMMAND_TIMEOUT_MS = 3000;

/**
 * Strips the `\nLXDCHECK-PGID:<n>\n` line remoteCommand() prints first on
 * stderr and remembers the number. Looks only at the first 8 KiB (a noisy
 * shell rc file may print before it); everything else passes through.
 */
class PgidFilter {
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

interface Waiter {
  cancelled: boolean;
  go: () => void;
}

function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return p;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Expand ProxyCommand tokens (%h %p %r %n %%) the way OpenSSH does: values go
 * in as they are, unquoted, so the template's own quoting (`"as %r"`) stays
 * right. That is safe only because each value is validated first (user names
 * as OpenSSH >= 9.6 does, stricter; host names as valid_hostname); an unsafe
 * value or an unknown token is an error, never a command.
 */
export function expandProxyCommand(
  template: string,
  values: { host: string; port: number; user: string; original: string },
): string {
  const user = invalidUserReason(values.user);
  if (user) throw new Error(`ProxyCommand: the user ${JSON.stringify(values.user)} ${user}`);
  for (const h of [values.host, values.original]) {
    const why = invalidHostnameReason(h);
    if (why) throw new Error(`ProxyCommand: the host ${JSON.stringify(h)} ${why}`);
  }
  if (!Number.isInteger(values.port) || values.port < 1 || values.port > 65535)
    throw new Error(`ProxyCommand: bad port ${values.port}`);
  return template.replace(/%(.?)/g, (_whole, ch: string) => {
    switch (ch) {
      case '%':
        return '%';
      case 'h':
        return values.host;
      case 'p':
        return String(values.port);
      case 'r':
        return values.user;
      case 'n':
        return values.original;
      default:
        throw new Error(`ProxyCommand: unknown token %${ch} (OpenSSH accepts %%, %h, %n, %p and %r)`);
    }
  });
}

/** %n: the host as written in the inventory target (its alias), as OpenSSH's %n is. */
function proxyAlias(target: string, hostname: string): string {
  const t = parseSshTarget(target);
  return typeof t === 'string' ? hostname : t.host;
}

/** A Duplex over a child's stdin (writes) and stdout (reads). */
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

class SshTransport implements Transport {
  readonly host: string;
  connectionsOpened = 0;

  private chain: Chain | undefined;
  private connecting: Promise<Chain> | undefined;
  private reconnectsUsed = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private active = 0;
  private readonly queue: Waiter[] = [];
  private readonly running = new Set<RunningExec>();
  private readonly maxChannels: number;
  private readonly maxOutput: number;

  constructor(
    private readonly spec: HostSpec,
    private readonly opts: SshTransportOptions,
  ) {
    this.host = spec.name;
    this.maxChannels = Math.max(1, opts.maxChannels ?? 8);
    this.maxOutput = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  }

  private log(msg: string): void {
    this.opts.log?.(`[${this.host}] ${msg}`);
  }

  async connect(): Promise<void> {
    await this.ensureConnected();
  }

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

  private loadKnownHosts(
    files: string[] = [...this.opts.knownHostsFiles, ...(this.opts.globalKnownHostsFiles ?? [])],
  ): KnownHostEntry[] {
    const entries: KnownHostEntry[] = [];
    const notes: string[] = [];
    for (const f of files) {
      const file = expandHome(f);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`cannot read ${file}: ${errText(e)}`);
        continue;
      }
      entries.push(...parseKnownHosts(text, file, notes));
    }
    for (const n of notes) this.log(n);
    return entries;
  }

  private async openChain(): Promise<Chain> {
    const ssh = this.spec.ssh;
    const entries = this.loadKnownHosts();
    const hops: Client[] = [];
    let proxy: ChildProcess | undefined;
    const killProxy = () => {
      if (proxy && proxy.exitCode === null && proxy.signalCode === null && proxy.pid) {
        try {
          process.kill(-proxy.pid, 'SIGKILL');
        } catch {
          proxy.kill('SIGKILL');
        }
      }
    };
    const disposeAll = (target?: Client) => {
      target?.end();
      for (const h of [...hops].reverse()) h.end();
      killProxy();
      // Make sure nothing lingers if the peer does not answer the disconnect.
      setTimeout(() => {
        target?.destroy();
        for (const h of hops) h.destroy();
      }, KILL_GRACE_MS).unref();
    };

    try {
      let sock: Duplex | undefined;
      let proxyState: ProxyState | undefined;
      if (ssh.proxyJump.length > 0) {
        for (let i = 0; i < ssh.proxyJump.length; i++) {
          const hop = ssh.proxyJump[i]!;
          const ep: Endpoint = {
            label: `jump host ${hop.user}@${hop.hostname}:${hop.port}`,
            user: hop.user,
            hostname: hop.hostname,
            port: hop.port,
            identityFiles: hop.identityFiles,
            ...resolvedExtras(hop),
          };
          const client = await this.connectOne(ep, sock, entries);
          hops.push(client);
          const next = ssh.proxyJump[i + 1] ?? { hostname: ssh.hostname, port: ssh.port };
          sock = await new Promise<Duplex>((resolve, reject) => {
            // The jump host's own TCP connect to the next hop can take minutes: bound it too.
            const timer = setTimeout(
              () =>
                reject(
                  new TransportError(
                    'timeout',
                    `${ep.label} did not connect to ${next.hostname}:${next.port} within ${this.opts.connectTimeoutMs} ms`,
                    this.host,
                  ),
                ),
              this.opts.connectTimeoutMs,
            );
            client.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, stream) => {
              clearTimeout(timer);
              if (err) {
                reject(
                  new TransportError(
                    'unreachable',
                    `${ep.label} could not open a connection to ${next.hostname}:${next.port}: ${err.message}`,
                    this.host,
                  ),
                );
              } else resolve(stream);
            });
          });
        }
      } else if (ssh.proxyCommand) {
        let cmd: string;
        try {
          cmd = expandProxyCommand(ssh.proxyCommand, {
            host: ssh.hostname,
            port: ssh.port,
            user: ssh.user,
            original: ssh.alias ?? proxyAlias(ssh.target, ssh.hostname),
          });
        } catch (e) {
          throw new TransportError('config', errText(e), this.host);
        }
        this.log(`ProxyCommand: /bin/sh -c ${quoteArg(cmd)}`);
        const child = spawn('/bin/sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
        proxy = child;
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
        proxyState = {
          exited,
          message: () =>
            exitInfo
              ? `ProxyCommand ${JSON.stringify(cmd)} ${exitInfo}${stderrTail.trim() ? `: ${stderrTail.trim()}` : ''}`
              : undefined,
        };
        sock = childDuplex(child);
      }
      const target: Endpoint = {
        label: `${ssh.user}@${ssh.hostname}:${ssh.port}`,
        user: ssh.user,
        hostname: ssh.hostname,
        port: ssh.port,
        identityFiles: ssh.identityFiles,
        ...resolvedExtras(ssh),
      };
      const client = await this.connectOne(target, sock, entries, proxyState);
      this.connectionsOpened++;
      this.log(`connected to ${target.label}${hops.length ? ` via ${hops.length} jump host(s)` : ''}`);
      const chain: Chain = {
        target: client,
        alive: true,
        dispose: () => disposeAll(client),
      };
      client.on('error', (e: Error) => {
        chain.endReason = proxyState?.message() ?? e.message;
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

  /** Authentication methods for an endpoint, and notes on keys that could not be used. */
  private authPlan(ep: Endpoint): { methods: { label: string; method: AnyAuthMethod }[]; notes: string[] } {
    const methods: { label: string; method: AnyAuthMethod }[] = [];
    const notes: string[] = [];
    const explicit = ep.identityFiles.length > 0;
    const files = explicit
      ? ep.identityFiles
      : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => join(homedir(), '.ssh', n));
    for (const f of files) {
      const file = expandHome(f);
      let buf: Buffer;
      try {
        if (!statSync(file).isFile()) {
          notes.push(`IdentityFile ${file} is not a file; skipped`);
          continue;
        }
        buf = readFileSync(file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          const isDefault =
            file.endsWith(`/.ssh/${basename(file)}`) && DEFAULT_IDENTITY_NAMES.has(basename(file));
          if (explicit && !isDefault) {
            notes.push(`IdentityFile ${file} does not exist; skipped`);
          }
        } else notes.push(`IdentityFile ${file} cannot be read (${code ?? 'error'}); skipped`);
        continue;
      }
      const parsed = ssh2.utils.parseKey(buf);
      if (parsed instanceof Error) {
        if (/encrypt|passphrase/i.test(parsed.message)) {
          notes.push(
            `IdentityFile ${file} is passphrase-protected; load it into ssh-agent (ssh-add ${file}) to use it`,
          );
        } else {
          notes.push(`IdentityFile ${file} is not a private key lxdcheck can read; skipped`);
        }
        continue;
      }
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (!key?.isPrivateKey()) {
        notes.push(`IdentityFile ${file} holds no private key (a .pub file?); skipped`);
        continue;
      }
      methods.push({
        label: `publickey ${file} (${key.type})`,
        method: { type: 'publickey', username: ep.user, key: buf },
      });
    }
    const agent = this.opts.agentSocket ?? process.env.SSH_AUTH_SOCK;
    if (ep.identitiesOnly) {
      notes.push('IdentitiesOnly yes: ssh-agent keys are not offered');
    } else if (agent && existsSync(agent)) {
      methods.push({ label: `agent ${agent}`, method: { type: 'agent', username: ep.user, agent } });
    } else if (agent) {
      notes.push(`ssh-agent socket ${agent} does not exist`);
    } else {
      notes.push('no ssh-agent (SSH_AUTH_SOCK is not set)');
    }
    return { methods, notes };
  }

  private connectOne(
    ep: Endpoint,
    sock: Duplex | undefined,
    entries: KnownHostEntry[],
    proxy?: ProxyState,
  ): Promise<Client> {
    // The known_hosts files OpenSSH would use for this endpoint, when it resolved them.
    const known = ep.knownHostsFiles ? this.loadKnownHosts(ep.knownHostsFiles) : entries;
    return new Promise<Client>((resolve, reject) => {
      const client = new ssh2.Client();
      const timeoutMs = ep.connectTimeoutMs ?? this.opts.connectTimeoutMs;
      let settled = false;
      let hostKeyError: TransportError | undefined;
      const plan = this.authPlan(ep);
      for (const n of plan.notes) this.log(n);
      const tried: string[] = [];

      const fail = (err: TransportError) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        client.destroy();
        sock?.destroy();
        reject(err);
      };
      // ssh2's readyTimeout covers handshake and auth; this guard covers everything else.
      const guard = setTimeout(() => {
        fail(
          new TransportError(
            'timeout',
            `connecting to ${ep.label} timed out after ${timeoutMs} ms (no complete SSH handshake)`,
            this.host,
          ),
        );
      }, timeoutMs + 1000);

      const mapError = (err: Error & { level?: string; code?: string | number }): TransportError => {
        if (hostKeyError) return hostKeyError;
        const proxyMsg = proxy?.message();
        if (proxyMsg) return new TransportError('proxy', `${ep.label}: ${proxyMsg}`, this.host);
        const code = typeof err.code === 'string' ? err.code : undefined;
        if (err.level === 'client-timeout' || code === 'ETIMEDOUT') {
          return new TransportError(
            'timeout',
            `connecting to ${ep.label} timed out after ${timeoutMs} ms (${err.message})`,
            this.host,
          );
        }
        if (err.level === 'client-authentication') {
          const triedText =
            tried.length > 0 ? `tried ${tried.join(', ')}; all were rejected` : 'no usable key';
          const notes = plan.notes.length > 0 ? ` (${plan.notes.join('; ')})` : '';
          return new TransportError(
            'auth',
            `authentication as ${ep.user} failed at ${ep.label}: ${triedText}${notes}`,
            this.host,
          );
        }
        if (code && UNREACHABLE_CODES.has(code)) {
          return new TransportError(
            'unreachable',
            `cannot reach ${ep.label}: ${code} (${err.message})`,
            this.host,
          );
        }
        if (err.level === 'client-dns') {
          return new TransportError(
            'unreachable',
            `cannot resolve ${ep.hostname}: ${err.message}`,
            this.host,
          );
        }
        return new TransportError(
          'unreachable',
          `SSH connection to ${ep.label} failed: ${err.message}`,
          this.host,
        );
      };

      /** Map and fail; a ProxyCommand's exit status explains more than "connection lost", so wait briefly for it. */
      const failWith = (err: Error) => {
        if (settled) return;
        if (proxy && !proxy.message() && !hostKeyError) {
          const wait = new Promise<void>((r) => setTimeout(r, KILL_GRACE_MS).unref());
          void Promise.race([proxy.exited, wait]).then(() => fail(mapError(err)));
          return;
        }
        fail(mapError(err));
      };

      client.on('ready', () => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (settled) return;
        // Non-fatal during authentication: a broken agent, a key that cannot sign. ssh2 moves on.
        if (err.level === 'agent') {
          this.log(`ssh-agent: ${err.message}`);
          return;
        }
        if (
          err.level === 'client-authentication' &&
          !/All configured authentication methods failed/.test(err.message)
        ) {
          this.log(`authentication: ${err.message}`);
          return;
        }
        failWith(err);
      });
      client.on('close', () => {
        failWith(new Error('connection closed before authentication completed'));
      });

      const knownTypes = knownKeyTypes(known, ep.hostname, ep.port);
      const preferred = [...new Set([...knownTypes.flatMap(algosForKeyType), ...DEFAULT_HOST_KEY_ALGOS])];

      let next = 0;
      const config: ConnectConfig = {
        host: ep.hostname,
        port: ep.port,
        username: ep.user,
        readyTimeout: timeoutMs,
        keepaliveInterval: this.opts.keepaliveIntervalMs ?? 15000,
        keepaliveCountMax: 3,
        algorithms: { serverHostKey: preferred },
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          verify(
            this.verifyHostKey(ep, key, known, (e) => {
              hostKeyError = e;
            }),
          );
        },
        authHandler: (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, callback) => {
          while (next < plan.methods.length) {
            const m = plan.methods[next++]!;
            const wire = m.method.type === 'agent' ? 'publickey' : m.method.type;
            if (methodsLeft && !methodsLeft.includes(wire as AuthenticationType)) continue;
            tried.push(m.label);
            callback(m.method);
            return;
          }
          (callback as unknown as (a: false) => void)(false);
        },
      };
      if (sock) config.sock = sock;
      try {
        client.connect(config);
      } catch (e) {
        fail(new TransportError('config', `cannot connect to ${ep.label}: ${errText(e)}`, this.host));
      }
    });
  }

  /** The known_hosts decision for one presented key. Returns whether to accept it. */
  private verifyHostKey(
    ep: Endpoint,
    key: Buffer,
    entries: KnownHostEntry[],
    refuse: (e: TransportError) => void,
  ): boolean {
    const type = keyTypeOfBlob(key) ?? 'unknown';
    const fp = fingerprintSha256(key);
    const name = knownHostsName(ep.hostname, ep.port);
    const m = matchHostKey(entries, ep.hostname, ep.port, type, key);
    const files = (ep.knownHostsFiles ?? this.opts.knownHostsFiles).map(expandHome);
    switch (m.status) {
      case 'match':
        return true;
      case 'revoked':
        refuse(
          new TransportError(
            'hostkey-mismatch',
            `REVOKED HOST KEY for ${name} (${this.host}): the server presented ${type} ${fp}, ` +
              `which is marked @revoked in ${m.file}:${m.line}. Refusing to connect.`,
            this.host,
          ),
        );
        return false;
      case 'mismatch': {
        const removeHint = `ssh-keygen -R ${quoteArg(name)} -f ${quoteArg(m.file ?? '~/.ssh/known_hosts')}`;
        refuse(
          new TransportError(
            'hostkey-mismatch',
            `WARNING: HOST KEY FOR ${name} (${this.host}) HAS CHANGED! ` +
              `known_hosts expects ${type} ${m.expectedFingerprint} (${m.file}:${m.line}) ` +
              `but the server presented ${type} ${fp}. ` +
              'Someone could be intercepting the connection (man-in-the-middle), or the host was reinstalled. ' +
              `Refusing to connect. If the change is expected, remove the old key with: ${removeHint}`,
            this.host,
          ),
        );
        return false;
      }
      case 'unknown': {
        if (m.knownTypes?.length) {
          // Known host, key of another type: OpenSSH would not pick it silently, and a changed
          // key is never accepted, so --accept-new does not record it either.
          refuse(
            new TransportError(
              'hostkey-mismatch',
              `WARNING: HOST KEY FOR ${name} (${this.host}) HAS CHANGED TYPE! known_hosts has ` +
                `${m.knownTypes.join(', ')} keys for it, but the server presented ${type} ${fp}. ` +
                'Someone could be intercepting the connection (man-in-the-middle), or the host was reinstalled. ' +
                `Refusing to connect${this.opts.acceptNew ? ' (--accept-new never takes a key for a known host)' : ''}. ` +
                `If the change is expected, check the fingerprint and add the new key with: ` +
                `ssh-keyscan ${ep.port === 22 ? '' : `-p ${ep.port} `}-t ${type} ${quoteArg(ep.hostname)} >> ${files[0] ?? '~/.ssh/known_hosts'}`,
              this.host,
            ),
          );
          return false;
        }
        if (this.opts.acceptNew) {
          const first = files[0];
          if (first) {
            try {
              mkdirSync(dirname(first), { recursive: true, mode: 0o700 });
              let prefix = '';
              try {
                const existing = readFileSync(first);
                if (existing.length > 0 && existing[existing.length - 1] !== 0x0a) prefix = '\n';
              } catch {
                // new file
              }
              appendFileSync(first, `${prefix}${formatKnownHostsLine(ep.hostname, ep.port, key)}\n`, {
                mode: 0o600,
              });
              this.log(`accepted new host key for ${name}: ${type} ${fp} (added to ${first})`);
            } catch (e) {
              this.log(
                `accepted new host key for ${name}: ${type} ${fp}, but could not add it to ${first}: ${errText(e)}`,
              );
            }
          } else {
            this.log(
              `accepted new host key for ${name}: ${type} ${fp} (no known_hosts file to record it in)`,
            );
          }
          return true;
        }
        const others = m.knownTypes?.length
          ? ` (known_hosts has ${m.knownTypes.join(', ')} keys for it, not ${type})`
          : '';
        const portFlag = ep.port === 22 ? '' : `-p ${ep.port} `;
        refuse(
          new TransportError(
            'hostkey-unknown',
            `host key for ${name} (${this.host}) is not in known_hosts${others}: the server presented ${type} ${fp}. ` +
              `Check the fingerprint, then rerun with --accept-new, or add it with: ` +
              `ssh-keyscan ${portFlag}-t ${type} ${quoteArg(ep.hostname)} >> ${files[0] ?? '~/.ssh/known_hosts'}` +
              (files.length ? ` (searched: ${files.join(', ')})` : ''),
            this.host,
          ),
        );
        return false;
      }
    }
  }

  /**
   * The command line sent to the remote sshd. It is `exec sh -c <text>` so the
   * login shell only has to understand `exec` and single quotes; the text first
   * reports the session's process group id on stderr (stripped again by
   * PgidFilter) so a timeout can kill the whole group: sshd ignores the SSH
   * "signal" request for root logins (no post-auth privilege separation).
   */
  private remoteCommand(command: Command): string {
    let inner: string;
    if (this.spec.ssh.sudo) inner = quoteArgv(['sudo', '-n', 'sh', '-c', commandText(command)]);
    else if ('argv' in command) inner = quoteArgv(command.argv);
    else inner = quoteArgv(['sh', '-c', command.script]);
    return quoteArgv(['exec', 'sh', '-c', `printf '\\n${PGID_MARKER}%s\\n' "$$" >&2; ${inner}`]);
  }

  /** Kill a remote process group over a fresh channel (bounded; errors are only logged). */
  private killRemoteGroup(client: Client, pgid: number): Promise<void> {
    const argv = ['kill', '-s', 'KILL', '--', `-${pgid}`];
    const text = quoteArgv(this.spec.ssh.sudo ? ['sudo', '-n', ...argv] : argv);
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, KILL_COMMAND_TIMEOUT_MS);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      try {
        client.exec(text, (e, ch) => {
          if (e) {
            this.log(`could not kill remote process group ${pgid}: ${e.message}`);
            return done();
          }
          ch.on('data', () => {});
          ch.stderr.on('data', () => {});
          ch.on('close', done);
          ch.end();
        });
      } catch (e) {
        this.log(`could not kill remote process group ${pgid}: ${errText(e)}`);
        done();
      }
    });
  }

  private enqueue(w: Waiter): void {
    if (this.active < this.maxChannels) {
      this.active++;
      w.go();
    } else {
      this.queue.push(w);
    }
  }

  private release(): void {
    this.active--;
    while (this.queue.length > 0 && this.active < this.maxChannels) {
      const w = this.queue.shift()!;
      if (w.cancelled) continue;
      this.active++;
      w.go();
    }
  }

  async exec(command: Command, options: ExecOptions): Promise<ExecResult> {
    const remote = this.remoteCommand(command);
    const started = Date.now();
    if (options.signal?.aborted) {
      return {
        stdout: '',
        stderr: '[lxdcheck: aborted before it started]',
        exitCode: null,
        timedOut: false,
        aborted: true,
        durationMs: 0,
      };
    }
    const chain = await this.ensureConnected();
    return new Promise<ExecResult>((resolve) => {
      const out = new OutputBuffer('stdout', this.maxOutput);
      const err = new OutputBuffer('stderr', this.maxOutput);
      const filter = new PgidFilter((d) => err.push(d));
      let channel: ClientChannel | undefined;
      let exitCode: number | null = null;
      let exitSignal: string | undefined;
      let timedOut = false;
      let aborted = false;
      let lostReason: string | undefined;
      let done = false;
      let hasSlot = false;
      let graceTimer: NodeJS.Timeout | undefined;
      const waiter: Waiter = { cancelled: false, go: () => {} };
      let settledPromise: () => void = () => {};
      const settled = new Promise<void>((r) => {
        settledPromise = r;
      });
      let killing: Promise<void> = Promise.resolve();
      let opening = false;
      let channelArrived: (ch: ClientChannel | undefined) => void = () => {};
      const entry: RunningExec = {
        lost: (reason) => {
          lostReason = reason;
          finish(`[lxdcheck: connection to ${this.host} lost while the command ran: ${reason}]`);
        },
        terminate: async () => {
          kill('closed');
          await Promise.all([settled, killing]);
        },
      };

      const finish = (note?: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(graceTimer);
        options.signal?.removeEventListener('abort', onAbort);
        this.running.delete(entry);
        waiter.cancelled = true;
        if (hasSlot) {
          hasSlot = false;
          this.release();
        }
        // Bytes still held back while looking for the pgid line belong to the result; the filter keeps
        // looking, since a late kill may still need the pgid.
        err.push(filter.peek());
        const killed = timedOut || aborted || lostReason !== undefined;
        const result: ExecResult = {
          stdout: out.text(),
          stderr: withNote(err.text(), note),
          exitCode: killed ? null : exitCode,
          timedOut,
          durationMs: Date.now() - started,
        };
        if (exitSignal) result.signal = exitSignal;
        if (aborted) result.aborted = true;
        resolve(result);
        settledPromise();
      };

      /** Kill the remote command behind `ch`: SSH signal, then `kill` of its process group, then close. */
      const killChannel = async (ch: ClientChannel): Promise<void> => {
        try {
          ch.signal('KILL');
        } catch {
          // channel already gone
        }
        // The pgid line is the first thing the command prints; if it is still in flight, wait a moment for it.
        const pgidWait = new Promise<void>((r) => setTimeout(r, PGID_WAIT_MS).unref());
        await Promise.race([filter.found, pgidWait]);
        if (filter.pgid !== undefined && chain.alive) await this.killRemoteGroup(chain.target, filter.pgid);
        else this.log(`no process group id from ${this.host}; only closing the channel`);
        try {
          ch.close();
        } catch {
          // channel already gone
        }
      };

      const kill = (why: 'timeout' | 'abort' | 'closed') => {
        if (done) return;
        const note =
          why === 'timeout'
            ? `[lxdcheck: killed after ${options.timeoutMs} ms (timeout)]`
            : why === 'abort'
              ? '[lxdcheck: killed (aborted)]'
              : '[lxdcheck: killed (transport closed)]';
        if (why === 'timeout') timedOut = true;
        else aborted = true;
        const ch = channel;
        if (!ch) {
          // Not started, or the exec request is in flight: the command may already run remotely,
          // so kill it as soon as its channel shows up (bounded), but report now.
          if (opening) {
            const late = new Promise<ClientChannel | undefined>((r) => {
              channelArrived = r;
              setTimeout(() => r(undefined), KILL_COMMAND_TIMEOUT_MS).unref();
            });
            killing = late.then((c) => (c ? killChannel(c) : undefined));
          }
          finish(note);
          return;
        }
        exitSignal = 'KILL';
        // Never hang: whatever the remote side does, resolve after the grace period.
        graceTimer = setTimeout(() => finish(note), KILL_GRACE_MS);
        ch.once('close', () => finish(note));
        killing = killChannel(ch);
      };

      const onAbort = () => kill('abort');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // The timeout bounds the command, not its wait for a free channel: queued commands wait at
      // most for the running ones, which are bounded by their own timeouts.
      let timer: NodeJS.Timeout | undefined;
      this.running.add(entry);

      waiter.go = () => {
        hasSlot = true;
        if (done) {
          hasSlot = false;
          this.release();
          return;
        }
        timer = setTimeout(() => kill('timeout'), Math.max(0, options.timeoutMs));
        const onOpen = (e: Error | undefined, ch: ClientChannel) => {
          opening = false;
          if (done) {
            // killed while the exec request was in flight
            if (!e && ch) {
              ch.on('data', () => {});
              ch.stderr.on('data', (d: Buffer) => filter.push(d));
              ch.end();
            }
            channelArrived(e ? undefined : ch);
            return;
          }
          if (e) {
            lostReason = e.message;
            finish(`[lxdcheck: could not open an SSH channel to ${this.host}: ${e.message}]`);
            return;
          }
          channel = ch;
          ch.on('data', (d: Buffer) => out.push(d));
          ch.stderr.on('data', (d: Buffer) => filter.push(d));
          ch.on('exit', (code: number | null, signal?: string) => {
            if (typeof code === 'number') exitCode = code;
            else if (signal) exitSignal = signal.replace(/^SIG/, '');
          });
          ch.on('error', (e: Error) => this.log(`channel error: ${e.message}`));
          ch.on('close', () => {
            if (timedOut || aborted) return;
            finish(
              exitCode === null && !exitSignal
                ? '[lxdcheck: channel closed without an exit status]'
                : undefined,
            );
          });
          if (options.stdin !== undefined) ch.end(options.stdin);
          else ch.end();
        };
        try {
          opening = true;
          chain.target.exec(remote, onOpen);
        } catch (e) {
          opening = false;
          lostReason = errText(e);
          finish(`[lxdcheck: could not start the command on ${this.host}: ${errText(e)}]`);
        }
      };
      this.enqueue(waiter);
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      for (const w of this.queue.splice(0)) w.cancelled = true;
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
