/**
 * Let OpenSSH resolve, ssh2 connect: each inventory target (and each ProxyJump
 * hop, recursively) is resolved by `ssh -G`, which applies the user's SSH
 * config exactly as `ssh` would (Include, Match host/user/exec/all/negation,
 * tokens, canonicalisation, first-value-wins) and connects nowhere. This
 * module runs it (argv, never a shell; bounded: `Match exec` may run
 * commands), parses its `key value` lines and builds the SshSpec the
 * transport connects with.
 *
 * `ssh -G` prints most values final, but not IdentityFile (printed as
 * written: `~`, `${VAR}` and `%` tokens are expanded here as ssh expands them
 * when it loads keys) nor ProxyCommand (its %h %n %p %r %% are expanded by the
 * transport when it runs it; %k is filled in here).
 *
 * How the inventory joins in (same precedence as the library path, ssh.ts):
 * the target's `user@` and `:port` are `-l`/`-p`, host-level identityFile and
 * proxyJump are `-o` options (command line beats config), and the `ssh:`
 * defaults only fill what the config left at OpenSSH's built-in default
 * (`Host *` at the very end). Jump hops are resolved the way ssh resolves
 * them: `ProxyJump a,b,c` reaches c with `-l/-p` from the hop text and
 * `-J a,b`; the last hop without -J follows its own ProxyJump.
 *
 * Apart: running and parsing `ssh -G` (ssh-g.ts), the `%` tokens it leaves
 * unexpanded (openssh-tokens.ts). What stays here (~460 lines) is one job,
 * turning `ssh -G` answers into an SshSpec, with its two entry points.
 */
import os from 'node:os';
import { checkProxyCommand, expandIdentityFile, type IdentityTokens } from './openssh-tokens.js';
import { parseProxyJump, SshConfigProblem, type SshTarget } from './ssh.js';
import { NoSshBinary, one, parseSshG, runSsh, type SshG } from './ssh-g.js';
import type { HostSpec, Inventory, SshHop, SshInventoryLayers, SshSpec } from './types.js';

export { SshConfigProblem, strictHostKeyNote } from './ssh.js';

export interface OpenSshOptions {
  /** The OpenSSH client (default `ssh` on PATH). */
  binary?: string;
  /** Bound on one `ssh -G` run (default 10000 ms); `Match exec` can run anything. */
  timeoutMs?: number;
  /** Environment for ssh and for `${VAR}` in IdentityFile (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The passwd home directory: what ssh expands `~` and `%d` to (default os.userInfo().homedir). */
  pwHome?: string;
  /** %u (default os.userInfo().username). */
  localUser?: string;
  /** %l (default os.hostname()). */
  localHost?: string;
  /** %i (default process.getuid()). */
  uid?: number;
  /** `ssh -G` processes at once (default 16): hundreds of hosts must not fork hundreds at once. */
  concurrency?: number;
}

function hopText(h: SshTarget): string {
  const host = h.host.includes(':') ? `[${h.host}]` : h.host;
  return `${h.user ? `${h.user}@` : ''}${host}${h.port ? `:${h.port}` : ''}`;
}

/** `-o` values go through ssh's config-line parser: quote them. */
function optValue(v: string): string {
  if (v.includes('"')) throw new SshConfigProblem(`cannot pass ${v} to ssh: it contains a double quote`);
  return `"${v}"`;
}

const MAX_JUMP_DEPTH = 8;

interface Endpoint {
  g: SshG;
  hop: SshHop;
  proxyCommand?: string;
  jumps: SshHop[];
  strict?: string;
}

export interface ResolveRequest {
  host: string;
  user?: string;
  port?: number;
  identityFiles?: string[];
  /** `-o ProxyJump=` (outermost first; [] = none). */
  proxyJump?: SshTarget[];
  configFile?: string;
}

/** Resolves hosts with `ssh -G`, each distinct request once. */
export class OpenSshResolver {
  private readonly o: Required<OpenSshOptions>;
  private readonly memo = new Map<string, Promise<SshG>>();
  private baselineP: Promise<SshG> | undefined;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(opts: OpenSshOptions = {}) {
    const info = safeUserInfo();
    this.o = {
      binary: opts.binary ?? 'ssh',
      timeoutMs: opts.timeoutMs ?? 10_000,
      env: opts.env ?? process.env,
      pwHome: opts.pwHome ?? info.homedir,
      localUser: opts.localUser ?? info.username,
      localHost: opts.localHost ?? os.hostname(),
      uid: opts.uid ?? process.getuid?.() ?? 0,
      concurrency: Math.max(1, opts.concurrency ?? 16),
    };
  }

  /** One `ssh` run under the concurrency bound (a leaf: it never waits for another run while holding a slot). */
  private async run(args: string[]): Promise<SshG> {
    if (this.running >= this.o.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return parseSshG(await runSsh(this.o.binary, args, this.o.timeoutMs, this.o.env));
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** `ssh -G` for one request (memoised). */
  sshG(req: ResolveRequest): Promise<SshG> {
    const args = ['-G'];
    if (req.configFile !== undefined) args.push('-F', req.configFile);
    if (req.user !== undefined) args.push('-l', req.user);
    if (req.port !== undefined) args.push('-p', String(req.port));
    for (const f of req.identityFiles ?? []) args.push('-o', `IdentityFile=${optValue(f)}`);
    if (req.proxyJump !== undefined) {
      args.push(
        '-o',
        `ProxyJump=${req.proxyJump.length === 0 ? 'none' : req.proxyJump.map(hopText).join(',')}`,
      );
    }
    args.push('--', req.host);
    const key = JSON.stringify(args);
    let p = this.memo.get(key);
    if (!p) {
      p = this.run(args);
      this.memo.set(key, p);
    }
    return p;
  }

  /** OpenSSH's built-ins (no config at all), to tell what the user's config changed. */
  baseline(): Promise<SshG> {
    this.baselineP ??= this.run(['-G', '-F', '/dev/null', '--', 'lxdcheck-baseline.invalid']);
    return this.baselineP;
  }

  private endpointOf(g: SshG, alias: string): SshHop {
    const hostname = one(g, 'hostname') ?? alias;
    const user = one(g, 'user') ?? this.o.localUser;
    const port = Number(one(g, 'port') ?? '22');
    const hostKeyAlias = one(g, 'hostkeyalias');
    const tokens: IdentityTokens = { hostname, user, port, alias };
    if (hostKeyAlias !== undefined) tokens.hostKeyAlias = hostKeyAlias;
    const identityFiles = [
      ...new Set((g.get('identityfile') ?? []).map((f) => expandIdentityFile(f, tokens, this.o))),
    ];
    const hop: SshHop = {
      user,
      hostname,
      port,
      identityFiles,
      alias,
      identitiesOnly: one(g, 'identitiesonly') === 'yes',
      knownHostsFiles: knownHostsOf(g),
    };
    const ct = one(g, 'connecttimeout');
    if (ct !== undefined && /^[0-9]+$/.test(ct) && Number(ct) > 0) hop.connectTimeoutMs = Number(ct) * 1000;
    return hop;
  }

  /** One endpoint and the chain of hops in front of it, outermost first. */
  private async endpoint(req: ResolveRequest, depth: number): Promise<Endpoint> {
    const g = await this.sshG(req);
    const hop = this.endpointOf(g, req.host);
    const jumpText = one(g, 'proxyjump');
    const ep: Endpoint = { g, hop, jumps: [] };
    const strict = one(g, 'stricthostkeychecking');
    if (strict !== undefined) ep.strict = strict;
    if (jumpText !== undefined && jumpText.toLowerCase() !== 'none') {
      ep.jumps = await this.chain(jumpText, req.configFile, depth + 1, req.host);
    } else {
      const pc = one(g, 'proxycommand');
      if (pc !== undefined && pc.toLowerCase() !== 'none') {
        ep.proxyCommand = checkProxyCommand(pc, one(g, 'hostkeyalias') ?? req.host);
      }
    }
    return ep;
  }

  /** Resolve `ProxyJump TEXT` the way ssh runs it: the last hop with -J for the rest, recursively. */
  async chain(
    text: string,
    configFile: string | undefined,
    depth: number,
    forHost: string,
  ): Promise<SshHop[]> {
    if (depth > MAX_JUMP_DEPTH) {
      throw new SshConfigProblem(
        `the ProxyJump chain of ${forHost} is deeper than ${MAX_JUMP_DEPTH} hops (a loop in the SSH config?)`,
      );
    }
    const hops = parseProxyJump(text);
    if (typeof hops === 'string') throw new SshConfigProblem(`ProxyJump ${text} for ${forHost}: ${hops}`);
    if (hops.length === 0) return [];
    const last = hops[hops.length - 1]!;
    const req: ResolveRequest = { host: last.host };
    if (last.user !== undefined) req.user = last.user;
    if (last.port !== undefined) req.port = last.port;
    if (hops.length > 1) req.proxyJump = hops.slice(0, -1);
    if (configFile !== undefined) req.configFile = configFile;
    const ep = await this.endpoint(req, depth);
    if (ep.proxyCommand !== undefined) {
      throw new SshConfigProblem(
        `jump host ${last.host} (for ${forHost}) is reached through its own ProxyCommand, which lxdcheck does not support yet`,
      );
    }
    return [...ep.jumps, ep.hop];
  }

  /** Resolve one inventory host's SSH: the library-built spec is replaced field by field by OpenSSH's. */
  async resolveSpec(spec: SshSpec): Promise<SshSpec> {
    const layers = spec.inventory;
    if (!layers) return spec;
    return this.resolveLayers(layers, spec);
  }

  async resolveLayers(layers: SshInventoryLayers, base: Pick<SshSpec, 'target' | 'sudo'>): Promise<SshSpec> {
    const [baseline] = await Promise.all([this.baseline()]);
    const { target, host, defaults } = layers;
    const req: ResolveRequest = { host: target.host };
    if (layers.configFile !== undefined) req.configFile = layers.configFile;
    if (target.user !== undefined) req.user = target.user;
    if (target.port !== undefined) req.port = target.port;
    if (host.identityFiles?.length) req.identityFiles = host.identityFiles;
    if (host.proxyJump !== undefined) req.proxyJump = host.proxyJump;
    let ep = await this.endpoint(req, 0);
    const sources: NonNullable<SshSpec['sources']> = {};
    const baseUser = one(baseline, 'user');
    // The `ssh:` defaults act like `Host *` after everything: only where the config left the built-in.
    if (target.user === undefined && defaults.user !== undefined && ep.hop.user === baseUser) {
      ep = await this.endpoint({ ...req, user: defaults.user }, 0);
      sources.user = 'inventory';
    } else if (target.user !== undefined) sources.user = 'inventory';
    else sources.user = ep.hop.user === baseUser ? 'default' : 'ssh -G';

    const baseIds = baseline.get('identityfile') ?? [];
    const printed = ep.g.get('identityfile') ?? [];
    const configured = sameList(printed, baseIds) ? [] : ep.hop.identityFiles;
    let identityFiles = configured;
    if (defaults.identityFiles?.length) {
      const t: IdentityTokens = {
        hostname: ep.hop.hostname,
        user: ep.hop.user,
        port: ep.hop.port,
        alias: target.host,
      };
      const hka = one(ep.g, 'hostkeyalias');
      if (hka !== undefined) t.hostKeyAlias = hka;
      identityFiles = [
        ...new Set([...configured, ...defaults.identityFiles.map((f) => expandIdentityFile(f, t, this.o))]),
      ];
    }
    if (identityFiles.length === 0) {
      identityFiles = ep.hop.identityFiles;
      sources.identityFiles = 'default';
    } else {
      sources.identityFiles = host.identityFiles?.length || configured.length === 0 ? 'inventory' : 'ssh -G';
    }

    let jumps = ep.jumps;
    let proxyCommand = ep.proxyCommand;
    if (host.proxyJump !== undefined) sources.proxyJump = 'inventory';
    else if (jumps.length > 0) sources.proxyJump = 'ssh -G';
    else if (proxyCommand !== undefined) sources.proxyCommand = 'ssh -G';
    else if (defaults.proxyJump !== undefined && defaults.proxyJump.length > 0) {
      jumps = await this.chain(defaults.proxyJump.map(hopText).join(','), layers.configFile, 1, target.host);
      proxyCommand = undefined;
      sources.proxyJump = 'inventory';
    }

    sources.hostname = ep.hop.hostname === target.host.toLowerCase() ? 'default' : 'ssh -G';
    sources.port = target.port !== undefined ? 'inventory' : ep.hop.port === 22 ? 'default' : 'ssh -G';
    const baseKh = knownHostsOf(baseline);
    sources.knownHostsFiles = sameList(ep.hop.knownHostsFiles ?? [], baseKh) ? 'default' : 'ssh -G';
    sources.connectTimeout = ep.hop.connectTimeoutMs === undefined ? 'default' : 'ssh -G';

    const spec: SshSpec = {
      target: base.target,
      user: ep.hop.user,
      hostname: ep.hop.hostname,
      port: ep.hop.port,
      identityFiles,
      proxyJump: jumps,
      sudo: base.sudo,
      alias: target.host,
      identitiesOnly: ep.hop.identitiesOnly ?? false,
      knownHostsFiles: ep.hop.knownHostsFiles ?? [],
      resolvedBy: 'openssh',
      sources,
      inventory: layers,
    };
    if (proxyCommand !== undefined) spec.proxyCommand = proxyCommand;
    if (ep.hop.connectTimeoutMs !== undefined) spec.connectTimeoutMs = ep.hop.connectTimeoutMs;
    if (ep.strict !== undefined) spec.strictHostKeyChecking = ep.strict;
    return spec;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function knownHostsOf(g: SshG): string[] {
  const files: string[] = [];
  for (const key of ['userknownhostsfile', 'globalknownhostsfile']) {
    for (const v of g.get(key) ?? []) {
      for (const f of v.split(/\s+/)) if (f !== '' && f.toLowerCase() !== 'none') files.push(f);
    }
  }
  return files;
}

function safeUserInfo(): { homedir: string; username: string } {
  try {
    const i = os.userInfo();
    return { homedir: i.homedir, username: i.username };
  } catch {
    return { homedir: os.homedir(), username: process.env['USER'] ?? 'root' };
  }
}

export interface ResolvedInventory {
  inventory: Inventory;
  /** Why resolution fell back to the library, when it did. */
  fallback?: string;
  /** Hosts whose resolution failed, with why (their spec is left as the library built it). */
  problems: Map<string, string>;
}

/**
 * Resolve every SSH host of the inventory with OpenSSH, in parallel, each once.
 * Without an ssh binary the library resolution stays (fallback says so).
 */
export async function resolveInventory(
  inv: Inventory,
  opts: OpenSshOptions = {},
): Promise<ResolvedInventory> {
  const resolver = new OpenSshResolver(opts);
  const problems = new Map<string, string>();
  try {
    await resolver.baseline();
  } catch (e) {
    if (e instanceof NoSshBinary) {
      return {
        inventory: inv,
        fallback: `${e.message}; resolved with the ssh-config library instead (${LIBRARY_GAPS})`,
        problems,
      };
    }
    throw e;
  }
  const hosts = await Promise.all(
    inv.hosts.map(async (h) => {
      if (h.transport !== 'ssh' || !h.ssh.inventory) return h;
      try {
        return { ...h, ssh: await resolver.resolveSpec(h.ssh) };
      } catch (e) {
        if (e instanceof SshConfigProblem) {
          problems.set(h.name, e.message);
          return h;
        }
        throw e;
      }
    }),
  );
  return { inventory: { ...inv, hosts }, problems };
}

/** One host's connection as `lxdcheck hosts --json` prints it. */
export interface ConnectionSummary {
  name: string;
  hostname: string;
  user: string;
  port: number;
  identityFiles: string[];
  proxyJump: { hostname: string; user: string; port: number }[];
  proxyCommand: string | null;
  knownHostsFiles: string[];
  connectTimeoutMs: number | null;
}

/**
 * The connection lxdcheck will open for a host. knownHostsFiles and
 * connectTimeoutMs fall back to what the command line gives when the SSH
 * config sets nothing (the library path never reads them).
 */
export function describeConnection(
  name: string,
  spec: SshSpec,
  fallback: { knownHostsFiles?: string[]; connectTimeoutMs?: number } = {},
): ConnectionSummary {
  return {
    name,
    hostname: spec.hostname,
    user: spec.user,
    port: spec.port,
    identityFiles: spec.identityFiles,
    proxyJump: spec.proxyJump.map((h) => ({ hostname: h.hostname, user: h.user, port: h.port })),
    proxyCommand: spec.proxyCommand ?? null,
    knownHostsFiles: spec.knownHostsFiles ?? fallback.knownHostsFiles ?? [],
    connectTimeoutMs: spec.connectTimeoutMs ?? fallback.connectTimeoutMs ?? null,
  };
}

/**
 * One resolver per run: each host resolved once, on first use (only commands
 * that connect pay for it), all hosts in parallel as the engine connects them.
 * Without an ssh binary the library's spec stays; `log` says so once.
 */
export function createHostResolver(
  opts: OpenSshOptions = {},
  log?: (msg: string) => void,
): (host: HostSpec) => Promise<HostSpec> {
  const resolver = new OpenSshResolver(opts);
  const memo = new Map<string, Promise<HostSpec>>();
  let fallback: Promise<string | undefined> | undefined;
  const noBinary = (): Promise<string | undefined> => {
    fallback ??= resolver.baseline().then(
      () => undefined,
      (e: unknown) => {
        if (e instanceof NoSshBinary) {
          const why = `${e.message}; hosts are resolved with the ssh-config library instead (${LIBRARY_GAPS})`;
          log?.(why);
          return why;
        }
        throw e;
      },
    );
    return fallback;
  };
  return (host) => {
    let p = memo.get(host.name);
    if (!p) {
      p = (async () => {
        if (host.transport !== 'ssh' || !host.ssh.inventory) return host;
        if ((await noBinary()) !== undefined) return host;
        return { ...host, ssh: await resolver.resolveSpec(host.ssh) };
      })();
      memo.set(host.name, p);
    }
    return p;
  };
}

/** What the library path (ssh.ts with the ssh-config package) does not apply. */
export const LIBRARY_GAPS =
  'not applied then: Include, Match exec, Match after a differently-cased HostName/User, ' +
  "a jump host's own ProxyJump, environment variables in IdentityFile, UserKnownHostsFile/GlobalKnownHostsFile, " +
  'ConnectTimeout, IdentitiesOnly, CanonicalizeHostname';
