/**
 * Reading the hosts for `lxdcheck init`: the SSH target resolved as the
 * inventory would resolve it (~/.ssh/config, -i files), one connection per
 * host, the hosts in parallel, one compound command of INIT_SECTIONS each,
 * everything bounded. Never throws: a host that cannot be read is a record
 * with its error.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SSHConfig from 'ssh-config';
import { connectHost, runSections } from '../engine/gather.js';
import { createHostResolver, type OpenSshOptions } from '../inventory/openssh.js';
import { parseSshTarget, type ResolveEnv, resolveSsh, SshConfigProblem } from '../inventory/ssh.js';
import type { HostSpec } from '../inventory/types.js';
import { createTransport } from '../transport/index.js';
import type { HostRecord } from './observe.js';
import { INIT_SECTIONS } from './sections.js';

export interface InitGatherOptions {
  knownHostsFiles: string[];
  acceptNew: boolean;
  connectTimeoutMs: number;
  timeoutMs: number;
  identityFiles: string[];
  sshConfigPath?: string;
  /** --known-hosts / --connect-timeout given: they replace what the SSH config says. */
  knownHostsExplicit?: boolean;
  connectTimeoutExplicit?: boolean;
  /** How OpenSSH resolves the targets (tests: the ssh binary, environment). */
  openssh?: OpenSshOptions;
}

function localUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env['USER'] ?? 'root';
  }
}

function resolveEnv(sshConfigPath: string | undefined): ResolveEnv {
  const homeDir = os.homedir();
  const env: ResolveEnv = { homeDir, localUser: localUser() };
  try {
    env.config = SSHConfig.parse(readFileSync(sshConfigPath ?? path.join(homeDir, '.ssh', 'config'), 'utf8'));
  } catch {
    // No ~/.ssh/config: the built-in defaults apply, as for ssh itself.
  }
  return env;
}

/** The HostSpec a target resolves to; a string when the target is unusable. */
export function hostSpecFor(target: string, opts: InitGatherOptions): HostSpec | string {
  const t = parseSshTarget(target);
  if (typeof t === 'string') return `${target}: ${t}`;
  try {
    const ssh = resolveSsh(
      target,
      t,
      opts.identityFiles.length > 0 ? { identityFiles: opts.identityFiles } : {},
      {},
      resolveEnv(opts.sshConfigPath),
    );
    // OpenSSH resolves it again when the transport connects (the library's result is the fallback).
    ssh.alias = t.host;
    ssh.inventory = {
      target: t,
      host: opts.identityFiles.length > 0 ? { identityFiles: opts.identityFiles } : {},
      defaults: {},
      ...(opts.sshConfigPath !== undefined ? { configFile: opts.sshConfigPath } : {}),
    };
    // The name and address are placeholders: only the transport reads this spec.
    return { name: target, ssh, bridgeAddress: '0.0.0.0', transport: 'ssh' };
  } catch (e) {
    if (e instanceof SshConfigProblem) return `${target}: ${e.message}`;
    throw e;
  }
}

async function readHost(
  target: string,
  spec: HostSpec,
  opts: InitGatherOptions,
  resolve: (h: HostSpec) => Promise<HostSpec>,
): Promise<HostRecord> {
  const transport = createTransport(
    spec,
    {
      knownHostsFiles: opts.knownHostsFiles,
      acceptNew: opts.acceptNew,
      connectTimeoutMs: opts.connectTimeoutMs,
    },
    {
      resolve,
      knownHostsExplicit: Boolean(opts.knownHostsExplicit),
      connectTimeoutExplicit: Boolean(opts.connectTimeoutExplicit),
    },
  );
  try {
    const c = await connectHost(transport);
    if (!c.ok) return { target, error: c.error, raw: {} };
    const r = await runSections(transport, INIT_SECTIONS, { timeoutMs: opts.timeoutMs });
    return r.execError ? { target, error: r.execError, raw: r.raw } : { target, raw: r.raw };
  } finally {
    await transport.close();
  }
}

/** Every target read at once; the records come back in the targets' order. */
export async function gatherTargets(targets: string[], opts: InitGatherOptions): Promise<HostRecord[]> {
  const resolve = createHostResolver(opts.openssh ?? {}, (m) => process.stderr.write(`lxdcheck: ${m}\n`));
  return Promise.all(
    targets.map((target) => {
      const spec = hostSpecFor(target, opts);
      if (typeof spec === 'string') return Promise.resolve({ target, error: spec, raw: {} });
      return readHost(target, spec, opts, resolve);
    }),
  );
}
