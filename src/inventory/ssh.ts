/**
 * SSH target parsing and ~/.ssh/config merging for the inventory.
 *
 * The merge below is the fallback: when a command connects, openssh.ts
 * resolves every host again with OpenSSH's own `ssh -G` (the same precedence,
 * every OpenSSH rule); this library resolution is what stays when no ssh
 * binary exists (openssh.ts LIBRARY_GAPS lists what it then misses).
 *
 * Precedence, highest first (what OpenSSH would do if the inventory were a
 * command line plus a config file):
 *
 *   1. explicit in the host's `ssh:` target: `user@` and `:port`
 *      (like `ssh -p PORT user@host`);
 *   2. host-level inventory fields: `identityFile`, `proxyJump`, `sudo`
 *      (like `ssh -i FILE -J JUMP`);
 *   3. ~/.ssh/config, computed by the `ssh-config` package for the target's host
 *      part (alias): HostName, User, Port, IdentityFile, ProxyJump, ProxyCommand;
 *   4. the inventory's top-level `ssh:` defaults (they act like a `Host *`
 *      block appended to the end of ~/.ssh/config);
 *   5. built-ins: user = the local user (os.userInfo()), port = 22, no jump,
 *      sudo = false.
 *
 * IdentityFile is a list in OpenSSH (every file is tried in turn), so identity
 * files are concatenated in that precedence order with duplicates removed.
 * ProxyJump and ProxyCommand are mutually exclusive as in OpenSSH: the first
 * one set wins (a host-level proxyJump beats both config directives; within
 * ~/.ssh/config the directive that appears first wins). `none` switches the
 * jump off at whatever level it is written.
 *
 * Each ProxyJump hop (`[user@]host[:port]`, comma separated, outermost first)
 * is itself resolved through ~/.ssh/config for HostName, User, Port and
 * IdentityFile, one level only: a hop's own ProxyJump is not followed. Hops do
 * not inherit the inventory's `ssh:` defaults (OpenSSH does not pass -i/-l to
 * jump hosts either); their user defaults to the local user.
 *
 * `Match exec` blocks are not evaluated (loading an inventory runs no commands);
 * `Include` is not followed (the ssh-config package does not support it).
 * ProxyCommand is passed through as written; expandProxyCommand() fills in
 * its %h %p %r %n %% tokens when the transport runs it.
 */
import type SSHConfig from 'ssh-config';
import type { SshHop, SshSpec } from './types.js';

export interface SshTarget {
  user?: string;
  /** Host name, address (IPv6 without brackets) or ~/.ssh/config alias. */
  host: string;
  port?: number;
}

const HOST_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const USER_RE = /^[^\s@:/[\]]+$/;

/**
 * A user name OpenSSH (>= 9.6, valid_ruser) would accept, and stricter: no
 * shell metacharacters at all (`'"\`;&<>|(){}` and `$`), no whitespace or
 * control characters, no leading `-`, no trailing `\`. ProxyCommand expands
 * %r as is (as OpenSSH does), so this is what keeps it out of the shell.
 */
export function invalidUserReason(user: string): string | null {
  if (user === '') return 'is empty';
  if (user.startsWith('-')) return 'starts with "-"';
  if (user.length > 256) return 'is longer than 256 characters';
  const bad = /[\u0000-\u001f\u007f\s'`"$;&<>|(){}]/.exec(user);
  if (bad)
    return `contains ${JSON.stringify(bad[0])} (shell metacharacters, spaces and control characters are refused)`;
  if (user.endsWith('\\')) return 'ends with "\\"';
  return null;
}

/** A host name or address safe to expand as is (OpenSSH's valid_hostname). */
export function invalidHostnameReason(host: string): string | null {
  if (host === '') return 'is empty';
  if (host.startsWith('-')) return 'starts with "-"';
  const bad = /[\u0000-\u001f\u007f\s'`"$\\;&<>|(){},]/.exec(host);
  if (bad) return `contains ${JSON.stringify(bad[0])}`;
  return null;
}

function parsePort(text: string, whole: string): number | string {
  if (!/^[0-9]+$/.test(text)) return `port "${text}" in ${whole} is not a number (expected 1..65535)`;
  const port = Number(text);
  if (port < 1 || port > 65535) return `port ${text} in ${whole} is out of range (expected 1..65535)`;
  return port;
}

/**
 * Parse `user@host:port`, `user@[v6]:port`, `host`, `alias` (and the
 * `ssh://user@host:port` URL form OpenSSH also accepts). Returns the problem
 * text when the syntax is wrong.
 */
export function parseSshTarget(text: string): SshTarget | string {
  const whole = text;
  let rest = text.trim();
  if (rest === '') return 'is empty (expected user@host[:port] or a Host alias from ~/.ssh/config)';
  if (/\s/.test(rest)) return `"${whole}" contains whitespace (expected user@host[:port])`;
  if (rest.startsWith('ssh://')) rest = rest.slice('ssh://'.length).replace(/\/$/, '');
  let user: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (user === '') return `"${whole}" has an empty user before "@"`;
    if (!USER_RE.test(user)) return `"${whole}" has an invalid user "${user}"`;
    const why = invalidUserReason(user);
    if (why) return `"${whole}" has an invalid user: ${JSON.stringify(user)} ${why}`;
    if (rest.includes('@')) return `"${whole}" has more than one "@"`;
  }
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return `"${whole}" has "[" without "]" (write IPv6 as [addr]:port)`;
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return `"${whole}" has "${after}" after "]" (expected :port)`;
      portText = after.slice(1);
    }
    if (!/^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/.test(host) || !host.includes(':')) {
      return `"${whole}": "${host}" inside [] is not an IPv6 address`;
    }
  } else {
    const colons = rest.split(':').length - 1;
    if (colons > 1) {
      // A bare IPv6 address: no port possible without brackets.
      host = rest;
      if (!/^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/.test(host)) {
        return `"${whole}" is not user@host[:port] (write IPv6 with a port as [addr]:port)`;
      }
    } else {
      const colon = rest.indexOf(':');
      host = colon >= 0 ? rest.slice(0, colon) : rest;
      if (colon >= 0) portText = rest.slice(colon + 1);
      if (host === '') return `"${whole}" has no host (expected user@host[:port])`;
      if (!HOST_RE.test(host)) {
        return `"${whole}": "${host}" is not a valid host name, address or alias (letters, digits, . _ -)`;
      }
    }
  }
  const target: SshTarget = { host };
  if (user !== undefined) target.user = user;
  if (portText !== undefined) {
    const port = parsePort(portText, whole);
    if (typeof port === 'string') return port;
    target.port = port;
  }
  return target;
}

/** Parse a ProxyJump value: comma separated hops, outermost first; `none` is no jump. */
export function parseProxyJump(text: string): SshTarget[] | string {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'none') return [];
  if (trimmed === '') return 'is empty (expected [user@]host[:port][,...] or none)';
  const hops: SshTarget[] = [];
  const parts = trimmed.split(',');
  for (const [i, part] of parts.entries()) {
    if (part.trim() === '') return `hop ${i + 1} of "${text}" is empty`;
    const hop = parseSshTarget(part.trim());
    if (typeof hop === 'string') return parts.length > 1 ? `hop ${i + 1}: ${hop}` : hop;
    hops.push(hop);
  }
  return hops;
}

/** Token values for OpenSSH-style `%x` expansion. Unknown tokens are left as written. */
export type Tokens = Partial<Record<'d' | 'u' | 'h' | 'r' | 'p' | 'n', string>>;

/** Expand `%%` and the given `%x` tokens, as OpenSSH does in IdentityFile, HostName and ProxyCommand. */
export function expandTokens(text: string, tokens: Tokens): string {
  return text.replace(/%(.)/g, (all, ch: string) => {
    if (ch === '%') return '%';
    const v = tokens[ch as keyof Tokens];
    return v === undefined ? all : v;
  });
}

/** Expand a leading `~` or `~/` to the home directory (`~user` is left alone). */
export function expandTilde(path: string, homeDir: string): string {
  if (path === '~') return homeDir;
  if (path.startsWith('~/')) return homeDir.replace(/\/$/, '') + path.slice(1);
  return path;
}

/** Expand `~` then `%` tokens in a file path (IdentityFile, known_hosts). */
export function expandPath(path: string, tokens: Tokens, homeDir: string): string {
  return expandTokens(expandTilde(path, homeDir), { ...tokens, d: homeDir });
}

/**
 * The ProxyCommand with its %h %p %r %n %% tokens filled in, ready for
 * `/bin/sh -c` (undefined when there is none). %n is the host as written in
 * the inventory (its alias), as OpenSSH's %n is. Throws on an unsafe value or
 * an unknown token (fillProxyCommand).
 */
export function expandProxyCommand(ssh: SshSpec): string | undefined {
  if (ssh.proxyCommand === undefined) return undefined;
  const target = parseSshTarget(ssh.target);
  return fillProxyCommand(ssh.proxyCommand, {
    host: ssh.hostname,
    port: ssh.port,
    user: ssh.user,
    original: ssh.alias ?? (typeof target === 'string' ? ssh.hostname : target.host),
  });
}

/**
 * Expand ProxyCommand tokens (%h %p %r %n %%) the way OpenSSH does: values go
 * in as they are, unquoted, so the template's own quoting (`"as %r"`) stays
 * right. That is safe only because each value is validated first (user names
 * as OpenSSH >= 9.6 does, stricter; host names as valid_hostname); an unsafe
 * value or an unknown token is an error, never a command.
 */
export function fillProxyCommand(
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

/** One layer of inventory settings (host-level or the `ssh:` defaults). */
export interface SshLayer {
  user?: string;
  identityFiles?: string[];
  /** Parsed; [] means `none`. */
  proxyJump?: SshTarget[];
  sudo?: boolean;
}

export interface ResolveEnv {
  /** Parsed ~/.ssh/config, if any. */
  config?: SSHConfig;
  homeDir: string;
  localUser: string;
}

/** A problem that comes from ~/.ssh/config rather than from the inventory text. */
export class SshConfigProblem extends Error {}

type Computed = Record<string, string | string[]>;

function compute(env: ResolveEnv, host: string, user: string | undefined): Computed {
  if (!env.config) return {};
  const opts = user === undefined ? host : { Host: host, User: user };
  // ignoreCase: OpenSSH directive names are case-insensitive; matchExec: never run commands.
  return env.config.compute(opts as string, { ignoreCase: true, matchExec: false });
}

function first(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0] : v;
}

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function configPort(cfg: Computed, host: string): number | undefined {
  const text = first(cfg['port']);
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new SshConfigProblem(`~/.ssh/config sets Port ${text} for ${host}; expected 1..65535`);
  }
  return Number(text);
}

function configHostName(cfg: Computed, host: string): string {
  const text = first(cfg['hostname']);
  return text === undefined ? host : expandTokens(text, { h: host });
}

function dedupe(items: string[]): string[] {
  return [...new Set(items)];
}

/** Wherever they came from (inventory, ~/.ssh/config, the local user), user and host must be safe. */
function checkUserAndHost(user: string, hostname: string, alias: string): void {
  const u = invalidUserReason(user);
  if (u) throw new SshConfigProblem(`the SSH user ${JSON.stringify(user)} for ${alias} ${u}`);
  const h = invalidHostnameReason(hostname);
  if (h) throw new SshConfigProblem(`the host name ${JSON.stringify(hostname)} for ${alias} ${h}`);
}

/** Resolve one ProxyJump hop through ~/.ssh/config (one level). */
export function resolveHop(hop: SshTarget, env: ResolveEnv): SshHop {
  const cfg = compute(env, hop.host, hop.user);
  const hostname = configHostName(cfg, hop.host);
  const user = hop.user ?? first(cfg['user']) ?? env.localUser;
  checkUserAndHost(user, hostname, hop.host);
  const port = hop.port ?? configPort(cfg, hop.host) ?? 22;
  const tokens: Tokens = { u: env.localUser, h: hostname, r: user, p: String(port), n: hop.host };
  const identityFiles = dedupe(list(cfg['identityfile']).map((f) => expandPath(f, tokens, env.homeDir)));
  return { user, hostname, port, identityFiles };
}

/**
 * Resolve a host's SSH settings with the precedence documented at the top of
 * this file. Throws SshConfigProblem when ~/.ssh/config holds something unusable.
 */
export function resolveSsh(
  targetText: string,
  target: SshTarget,
  host: SshLayer,
  defaults: SshLayer,
  env: ResolveEnv,
): SshSpec {
  const cfg = compute(env, target.host, target.user);
  const hostname = configHostName(cfg, target.host);
  const user = target.user ?? host.user ?? first(cfg['user']) ?? defaults.user ?? env.localUser;
  checkUserAndHost(user, hostname, target.host);
  const port = target.port ?? configPort(cfg, target.host) ?? 22;
  const tokens: Tokens = { u: env.localUser, h: hostname, r: user, p: String(port), n: target.host };
  const identityFiles = dedupe(
    [...(host.identityFiles ?? []), ...list(cfg['identityfile']), ...(defaults.identityFiles ?? [])].map(
      (f) => expandPath(f, tokens, env.homeDir),
    ),
  );

  let jumps: SshTarget[] = [];
  let proxyCommand: string | undefined;
  if (host.proxyJump !== undefined) {
    jumps = host.proxyJump;
  } else if (cfg['proxyjump'] !== undefined || cfg['proxycommand'] !== undefined) {
    // ssh-config fills its result in the order directives are met, so the
    // key order tells which of the two OpenSSH would take (the first).
    const keys = Object.keys(cfg);
    const jumpFirst =
      cfg['proxycommand'] === undefined ||
      (cfg['proxyjump'] !== undefined && keys.indexOf('proxyjump') < keys.indexOf('proxycommand'));
    if (jumpFirst) {
      const text = first(cfg['proxyjump']) ?? '';
      const parsed = parseProxyJump(text);
      if (typeof parsed === 'string') {
        throw new SshConfigProblem(`~/.ssh/config sets ProxyJump ${text} for ${target.host}: ${parsed}`);
      }
      jumps = parsed;
    } else {
      const text = first(cfg['proxycommand']) ?? '';
      if (text.trim().toLowerCase() !== 'none') proxyCommand = text;
    }
  } else if (defaults.proxyJump !== undefined) {
    jumps = defaults.proxyJump;
  }

  const spec: SshSpec = {
    target: targetText,
    user,
    hostname,
    port,
    identityFiles,
    proxyJump: jumps.map((j) => resolveHop(j, env)),
    sudo: host.sudo ?? defaults.sudo ?? false,
  };
  if (proxyCommand !== undefined) spec.proxyCommand = proxyCommand;
  // Files OpenSSH would verify this host against (`none` turns a list off, as in OpenSSH).
  const files = (key: string) =>
    list(cfg[key])
      .flatMap((v) => v.split(/\s+/))
      .filter((f) => f !== '' && f.toLowerCase() !== 'none')
      .map((f) => expandPath(f, tokens, env.homeDir));
  if (cfg['userknownhostsfile'] !== undefined) spec.userKnownHostsFiles = files('userknownhostsfile');
  if (cfg['globalknownhostsfile'] !== undefined) spec.globalKnownHostsFiles = files('globalknownhostsfile');
  return spec;
}

/** What an SSH-config value means for host keys: lxdcheck verifies whatever it says; say so when it asks for less. */
export function strictHostKeyNote(spec: SshSpec): string | undefined {
  const v = spec.strictHostKeyChecking?.toLowerCase();
  if (v === 'false' || v === 'no' || v === 'off') {
    return 'the SSH config sets StrictHostKeyChecking no; lxdcheck verifies host keys anyway (unknown keys need --accept-new, changed keys are refused)';
  }
  return undefined;
}
