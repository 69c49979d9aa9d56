/**
 * A transport that resolves its host with OpenSSH (inventory/openssh.ts) on
 * first use, then connects with ssh2 using exactly what was resolved. What
 * the command line states explicitly (--known-hosts, the inventory's
 * ssh.knownHosts, --connect-timeout) still wins over the SSH config.
 * Host-key policy stays the transport's: `StrictHostKeyChecking no` in the
 * config does not switch verification off; the log says so.
 */
import { strictHostKeyNote } from '../inventory/openssh.js';
import type { HostSpec, SshHop, SshSpec } from '../inventory/types.js';
import { errorMessage } from '../util/errors.js';
import { createSshTransport, type SshTransportOptions } from './ssh.js';
import { type Command, type ExecOptions, type ExecResult, type Transport, TransportError } from './types.js';

export interface ResolvingOptions {
  resolve: (host: HostSpec) => Promise<HostSpec>;
  /** knownHostsFiles were given explicitly: they replace the files OpenSSH resolved. */
  knownHostsExplicit?: boolean;
  /** connectTimeoutMs was given explicitly: it replaces the config's ConnectTimeout. */
  connectTimeoutExplicit?: boolean;
}

function withoutOverridden<T extends SshHop | SshSpec>(h: T, r: ResolvingOptions): T {
  const out = { ...h };
  if (r.knownHostsExplicit) delete out.knownHostsFiles;
  if (r.connectTimeoutExplicit) delete out.connectTimeoutMs;
  return out;
}

class ResolvingTransport implements Transport {
  readonly host: string;
  private inner: Transport | undefined;
  private pending: Promise<Transport> | undefined;

  constructor(
    private readonly spec: HostSpec,
    private readonly opts: SshTransportOptions,
    private readonly r: ResolvingOptions,
  ) {
    this.host = spec.name;
  }

  get connectionsOpened(): number {
    return this.inner?.connectionsOpened ?? 0;
  }

  private get(): Promise<Transport> {
    this.pending ??= this.r.resolve(this.spec).then(
      (resolved) => {
        const ssh = withoutOverridden(resolved.ssh, this.r);
        ssh.proxyJump = ssh.proxyJump.map((h) => withoutOverridden(h, this.r));
        const note = strictHostKeyNote(ssh);
        if (note) this.opts.log?.(`[${this.host}] ${note}`);
        this.inner = createSshTransport({ ...resolved, ssh }, this.opts);
        return this.inner;
      },
      (e: unknown) => {
        throw new TransportError(
          'config',
          `cannot resolve how to reach ${this.host}: ${errorMessage(e)}`,
          this.host,
        );
      },
    );
    return this.pending;
  }

  async connect(): Promise<void> {
    await (await this.get()).connect();
  }

  async exec(command: Command, options: ExecOptions): Promise<ExecResult> {
    return (await this.get()).exec(command, options);
  }

  async close(): Promise<void> {
    if (!this.pending) return;
    const t = await this.pending.catch(() => undefined);
    await t?.close();
  }
}

export function createResolvingTransport(
  host: HostSpec,
  opts: SshTransportOptions,
  r: ResolvingOptions,
): Transport {
  return new ResolvingTransport(host, opts, r);
}
