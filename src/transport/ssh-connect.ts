/**
 * One SSH login (a jump hop or the target): handshake, host-key verification,
 * authentication, bounded by the connect timeout, and every failure mapped to
 * a TransportError that says what to do about it.
 */

import type { Duplex } from 'node:stream';
import type { AuthenticationType, Client, ConnectConfig } from 'ssh2';
import ssh2 from 'ssh2';
import type { SshHop } from '../inventory/types.js';
import { errorMessage } from '../util/errors.js';
import { loadKnownHosts, preferredHostKeyAlgos, verifyHostKey } from './host-key-policy.js';
import type { KnownHostEntry } from './known-hosts.js';
import { KILL_GRACE_MS } from './output.js';
import { authPlan } from './ssh-auth.js';
import type { ProxyCommand } from './ssh-proxy.js';
import { TransportError } from './types.js';

/** Where one login goes, with what OpenSSH resolved for it (unset: the transport's options apply). */
export interface Endpoint {
  /** For messages: user@host:port, or `jump host user@host:port`. */
  label: string;
  user: string;
  hostname: string;
  port: number;
  identityFiles: string[];
  identitiesOnly?: boolean;
  knownHostsFiles?: string[];
  connectTimeoutMs?: number;
}

/** The endpoint of a hop or target (an SshSpec is an SshHop with more). */
export function endpointOf(h: SshHop, label: string): Endpoint {
  const ep: Endpoint = {
    label,
    user: h.user,
    hostname: h.hostname,
    port: h.port,
    identityFiles: h.identityFiles,
  };
  if (h.identitiesOnly !== undefined) ep.identitiesOnly = h.identitiesOnly;
  if (h.knownHostsFiles !== undefined && h.knownHostsFiles.length > 0) ep.knownHostsFiles = h.knownHostsFiles;
  if (h.connectTimeoutMs !== undefined) ep.connectTimeoutMs = h.connectTimeoutMs;
  return ep;
}

/** The transport-wide settings a login uses where the endpoint has none. */
export interface LoginSettings {
  /** Inventory name, for messages and errors. */
  host: string;
  knownHostsFiles: string[];
  /** Entries of the transport's known_hosts files, read once per connection. */
  knownEntries: KnownHostEntry[];
  acceptNew: boolean;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  agentSocket: string | undefined;
  log: (msg: string) => void;
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

type Ssh2Error = Error & { level?: string; code?: string | number };

/** Log in to `ep` over `sock` (a jump channel or a ProxyCommand), or over TCP when there is none. */
export function login(
  ep: Endpoint,
  sock: Duplex | undefined,
  s: LoginSettings,
  proxy?: ProxyCommand,
): Promise<Client> {
  const { host, log } = s;
  // The known_hosts files OpenSSH would use for this endpoint, when it resolved them.
  const known = ep.knownHostsFiles ? loadKnownHosts(ep.knownHostsFiles, log) : s.knownEntries;
  const timeoutMs = ep.connectTimeoutMs ?? s.connectTimeoutMs;
  const plan = authPlan(ep, s.agentSocket);
  for (const n of plan.notes) log(n);
  return new Promise<Client>((resolve, reject) => {
    const client = new ssh2.Client();
    let settled = false;
    let hostKeyError: TransportError | undefined;
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
          host,
        ),
      );
    }, timeoutMs + 1000);

    const mapError = (err: Ssh2Error): TransportError =>
      hostKeyError ?? loginError(err, { ep, host, timeoutMs, tried, notes: plan.notes, proxy });

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
    client.on('error', (err: Ssh2Error) => {
      if (settled) return;
      // Non-fatal during authentication: a broken agent, a key that cannot sign. ssh2 moves on.
      if (err.level === 'agent') {
        log(`ssh-agent: ${err.message}`);
        return;
      }
      if (
        err.level === 'client-authentication' &&
        !/All configured authentication methods failed/.test(err.message)
      ) {
        log(`authentication: ${err.message}`);
        return;
      }
      failWith(err);
    });
    client.on('close', () => {
      failWith(new Error('connection closed before authentication completed'));
    });

    let next = 0;
    const config: ConnectConfig = {
      host: ep.hostname,
      port: ep.port,
      username: ep.user,
      readyTimeout: timeoutMs,
      keepaliveInterval: s.keepaliveIntervalMs,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: preferredHostKeyAlgos(known, ep.hostname, ep.port) },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        const ctx = {
          host,
          hostname: ep.hostname,
          port: ep.port,
          knownHostsFiles: ep.knownHostsFiles ?? s.knownHostsFiles,
          acceptNew: s.acceptNew,
          log,
        };
        hostKeyError = verifyHostKey(ctx, key, known);
        verify(hostKeyError === undefined);
      },
      // OpenSSH's order, one method per round, skipping what the server no longer accepts.
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
      fail(new TransportError('config', `cannot connect to ${ep.label}: ${errorMessage(e)}`, host));
    }
  });
}

/** What an ssh2 error during login means for the user: proxy, timeout, auth, unreachable. */
function loginError(
  err: Ssh2Error,
  c: {
    ep: Endpoint;
    host: string;
    timeoutMs: number;
    tried: readonly string[];
    notes: readonly string[];
    proxy: ProxyCommand | undefined;
  },
): TransportError {
  const { ep, host } = c;
  const proxyMsg = c.proxy?.message();
  if (proxyMsg) return new TransportError('proxy', `${ep.label}: ${proxyMsg}`, host);
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (err.level === 'client-timeout' || code === 'ETIMEDOUT') {
    return new TransportError(
      'timeout',
      `connecting to ${ep.label} timed out after ${c.timeoutMs} ms (${err.message})`,
      host,
    );
  }
  if (err.level === 'client-authentication') {
    const triedText = c.tried.length > 0 ? `tried ${c.tried.join(', ')}; all were rejected` : 'no usable key';
    const notes = c.notes.length > 0 ? ` (${c.notes.join('; ')})` : '';
    return new TransportError(
      'auth',
      `authentication as ${ep.user} failed at ${ep.label}: ${triedText}${notes}`,
      host,
    );
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    return new TransportError('unreachable', `cannot reach ${ep.label}: ${code} (${err.message})`, host);
  }
  if (err.level === 'client-dns') {
    return new TransportError('unreachable', `cannot resolve ${ep.hostname}: ${err.message}`, host);
  }
  return new TransportError('unreachable', `SSH connection to ${ep.label} failed: ${err.message}`, host);
}
