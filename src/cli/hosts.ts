/**
 * `lxdcheck hosts -i CLUSTER.yaml [--json]`: how each host will be reached,
 * resolved exactly as a run resolves it (OpenSSH's `ssh -G`, or the library
 * without an ssh binary), with where each value came from. Connects nowhere.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import {
  type ConnectionSummary,
  describeConnection,
  type OpenSshOptions,
  resolveInventory,
  strictHostKeyNote,
} from '../inventory/openssh.js';
import { parseDuration } from './args.js';

export const HOSTS_HELP = `lxdcheck hosts -i CLUSTER.yaml [--json]

How each host will be reached: host name, user, port, identity files, the
jump chain (user@host:port per hop), proxy command, known_hosts files and
connect timeout, each with where it came from (ssh -G, inventory, command
line or default). Resolved with OpenSSH's own \`ssh -G\` (the SSH config as
ssh reads it, or the file the inventory names in ssh.config); connects nowhere.

Options:
  -i, --inventory FILE     the cluster file
      --json               an array of { name, hostname, user, port, identityFiles,
                           proxyJump: [{ hostname, user, port }], proxyCommand,
                           knownHostsFiles, connectTimeoutMs }
      --known-hosts FILE   as for run: replaces the known_hosts files from the SSH config; repeatable
      --connect-timeout DUR  as for run: replaces ConnectTimeout from the SSH config (default 10s)

Exit codes: 0 every host resolved, 1 a host could not be resolved, 2 usage or inventory error.
`;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

interface Row {
  summary: ConnectionSummary;
  sources: Record<string, string>;
  notes: string[];
  local: boolean;
  problem?: string;
}

/** The rows `hosts` prints; `resolver` options for tests (ssh binary, environment). */
export async function hostsRows(
  file: string,
  flags: { knownHosts: string[]; connectTimeoutMs?: number },
  resolver: OpenSshOptions = {},
): Promise<{ rows: Row[]; fallback?: string }> {
  const inv = loadInventory(file);
  const resolved = await resolveInventory(inv, resolver);
  const khExplicit =
    flags.knownHosts.length > 0 ? flags.knownHosts : inv.knownHosts ? [inv.knownHosts] : undefined;
  const rows = resolved.inventory.hosts.map((h): Row => {
    const s = h.ssh;
    const openssh = s.resolvedBy === 'openssh';
    const src = (k: keyof NonNullable<typeof s.sources>, fallback: string) => s.sources?.[k] ?? fallback;
    const summary = describeConnection(h.name, s, {
      knownHostsFiles: [join(homedir(), '.ssh', 'known_hosts')],
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    });
    const sources: Record<string, string> = {
      hostname: src('hostname', 'library'),
      user: src('user', 'library'),
      port: src('port', 'library'),
      identityFiles: src('identityFiles', 'library'),
      proxyJump: src('proxyJump', s.proxyJump.length ? 'library' : 'default'),
      proxyCommand: src('proxyCommand', s.proxyCommand ? 'library' : 'default'),
      knownHostsFiles: openssh ? src('knownHostsFiles', 'ssh -G') : 'default',
      connectTimeout: openssh ? src('connectTimeout', 'default') : 'default',
    };
    if (khExplicit) {
      summary.knownHostsFiles = khExplicit;
      sources.knownHostsFiles = flags.knownHosts.length > 0 ? 'command line' : 'inventory';
    }
    if (flags.connectTimeoutMs !== undefined) {
      summary.connectTimeoutMs = flags.connectTimeoutMs;
      sources.connectTimeout = 'command line';
    }
    const notes: string[] = [];
    const strict = strictHostKeyNote(s);
    if (strict) notes.push(strict);
    if (s.identitiesOnly) notes.push('IdentitiesOnly yes: ssh-agent keys are not offered');
    const row: Row = { summary, sources, notes, local: h.transport === 'local' };
    const problem = resolved.problems.get(h.name);
    if (problem) row.problem = problem;
    return row;
  });
  return resolved.fallback ? { rows, fallback: resolved.fallback } : { rows };
}

function hopText(h: { user: string; hostname: string; port: number }): string {
  const host = h.hostname.includes(':') ? `[${h.hostname}]` : h.hostname;
  return `${h.user}@${host}:${h.port}`;
}

export function hostsText(rows: Row[], fallback?: string): string {
  const out: string[] = [];
  if (fallback) out.push(`note: ${fallback}`, '');
  for (const r of rows) {
    const s = r.summary;
    if (r.local) {
      out.push(`${s.name}  local transport (no SSH)`, '');
      continue;
    }
    if (r.problem) {
      out.push(`${s.name}  CANNOT RESOLVE: ${r.problem}`, '');
      continue;
    }
    const line = (label: string, value: string, source: string) =>
      out.push(`  ${label.padEnd(12)} ${value.padEnd(48)} ${source}`);
    out.push(`${s.name}  ${hopText(s)}`);
    line('hostname', s.hostname, r.sources['hostname']!);
    line('user', s.user, r.sources['user']!);
    line('port', String(s.port), r.sources['port']!);
    s.identityFiles.forEach((f, i) => {
      line(i === 0 ? 'identity' : '', f, i === 0 ? r.sources['identityFiles']! : '');
    });
    line(
      'jump',
      s.proxyJump.length ? s.proxyJump.map(hopText).join(' -> ') : '(none)',
      r.sources['proxyJump']!,
    );
    line('proxycommand', s.proxyCommand ?? '(none)', r.sources['proxyCommand']!);
    s.knownHostsFiles.forEach((f, i) => {
      line(i === 0 ? 'known_hosts' : '', f, i === 0 ? r.sources['knownHostsFiles']! : '');
    });
    line(
      'timeout',
      s.connectTimeoutMs === null ? '(none)' : `${s.connectTimeoutMs} ms`,
      r.sources['connectTimeout']!,
    );
    for (const n of r.notes) out.push(`  note: ${n}`);
    out.push('');
  }
  return out.join('\n');
}

export async function hostsCommand(argv: string[], resolver: OpenSshOptions = {}): Promise<number> {
  let values: {
    inventory?: string;
    json: boolean;
    'known-hosts': string[];
    'connect-timeout'?: string;
    help: boolean;
  };
  try {
    const parsed = parseArgs({
      args: argv,
      options: {
        inventory: { type: 'string', short: 'i' },
        json: { type: 'boolean', default: false },
        'known-hosts': { type: 'string', multiple: true, default: [] as string[] },
        'connect-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    });
    values = parsed.values as typeof values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(HOSTS_HELP);
    return 0;
  }
  if (!values.inventory) throw new UsageError('an inventory is required: lxdcheck hosts -i cluster.yaml');
  const flags: { knownHosts: string[]; connectTimeoutMs?: number } = { knownHosts: values['known-hosts'] };
  if (values['connect-timeout'] !== undefined) {
    flags.connectTimeoutMs = parseDuration(values['connect-timeout'], '--connect-timeout');
  }
  const { rows, fallback } = await hostsRows(values.inventory, flags, resolver);
  if (fallback) process.stderr.write(`lxdcheck: ${fallback}\n`);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(
        rows.filter((r) => !r.local).map((r) => r.summary),
        null,
        2,
      )}\n`,
    );
  } else {
    process.stdout.write(hostsText(rows, fallback));
  }
  for (const r of rows) if (r.problem) process.stderr.write(`lxdcheck: ${r.summary.name}: ${r.problem}\n`);
  return rows.some((r) => r.problem) ? 1 : 0;
}
