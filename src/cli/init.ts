/** `lxdcheck init TARGET...`: the inventory written from what the hosts show. */

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { ADDRS } from '../facts/host/links.js';
import { HOSTNAME } from '../facts/host/system.js';
import { gatherTargets, type InitGatherOptions } from '../init/gather.js';
import { infer } from '../init/infer.js';
import { type HostRecord, observe } from '../init/observe.js';
import { renderInventory } from '../init/render.js';
import { formatInventoryError, InventoryError, parseInventory, parseSshTarget } from '../inventory/load.js';
import { parseDuration } from './args.js';

export const INIT_HELP = `lxdcheck init TARGET... [-o cluster.yaml] [options]

Write the inventory from the cluster itself. Each TARGET is what ssh accepts:
user@host[:port] or a Host alias from ~/.ssh/config (User, Port, IdentityFile,
ProxyJump come from there). init logs in to every host at once, one connection
each, runs read-only commands (ip, ps, ss, the VPN's and LXD's configuration;
the peervpn psk never leaves the host) and infers:

  the cluster bridge   the bridge the overlay device is a port of (else LXD's
                       managed bridge, /etc/default/lxd-bridge, the only bridge)
  addresses, subnet    each host's IPv4 on that bridge and its network
  the overlay          peervpn, tinc or vxlan from config files, daemons and
                       link kinds; its device, addresses, log file and unit
  dhcp, domain, range  the one host whose dnsmasq serves DHCP on the bridge,
                       its --domain (else LXD_DOMAIN or dns.domain), its range
  lxd, sudo            LXD or Incus; sudo when you are not root and sudo -n works

Each value is written with a comment saying where it came from. What the hosts
do not settle (no DHCP server, two of them, a tap nothing configures, hosts that
disagree) is not guessed: it is listed on stderr and left as a # TODO line in
the file; values taken by majority are written with a # CHECK line.

Options:
  -o, --output FILE        write the inventory here (default: stdout)
      --force              overwrite FILE if it exists
      --run                then run the doctor on it (lxdcheck run --reporter human); needs -o
      --bridge NAME        the cluster bridge, when several could be
      --name NAME          cluster name (default: FILE's name without extension)
      --identity-file FILE private key to log in with (like ssh -i; repeatable); written to the file
      --accept-new         trust and record host keys seen for the first time (never a changed key)
      --known-hosts FILE   known_hosts to verify against (default ~/.ssh/known_hosts); written to the file
      --connect-timeout DUR  bound on connecting to a host (default 10s)
      --timeout DUR        bound on each host's commands (default 30s)
      --record DIR         keep each host's raw outputs (psk removed) as DIR/HOST.json, for a bug report

Examples:
  lxdcheck init root@10.0.0.1 root@10.0.0.2 root@10.0.0.3 -o cluster.yaml
  lxdcheck run -i cluster.yaml
  lxdcheck init lxd1 lxd2 lxd3 --accept-new -o cluster.yaml --run   # aliases from ~/.ssh/config

Exit codes: 0 written, nothing left to decide; 1 written, but some values need a
human (listed on stderr; with --run, also when the run fails); 2 bad usage, the
file exists (without --force), or no host could be read.
`;

const IFNAME_RE = /^[^\s/:]{1,15}$/;

interface InitValues {
  output?: string;
  force: boolean;
  run: boolean;
  bridge?: string;
  name?: string;
  'identity-file': string[];
  'accept-new': boolean;
  'known-hosts': string[];
  'connect-timeout': string;
  timeout: string;
  record?: string;
  help: boolean;
}

function parseInitArgs(argv: string[]): { v: InitValues; targets: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        output: { type: 'string', short: 'o' },
        force: { type: 'boolean', default: false },
        run: { type: 'boolean', default: false },
        bridge: { type: 'string' },
        name: { type: 'string' },
        'identity-file': { type: 'string', multiple: true, default: [] },
        'accept-new': { type: 'boolean', default: false },
        'known-hosts': { type: 'string', multiple: true, default: [] },
        'connect-timeout': { type: 'string', default: '10s' },
        timeout: { type: 'string', default: '30s' },
        record: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    return { v: values as InitValues, targets: positionals };
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (see lxdcheck init --help)`);
  }
}

/** Whether the section outputs show a host that was actually read. */
function wasRead(r: HostRecord): boolean {
  return r.raw[HOSTNAME]?.exitCode === 0 || r.raw[ADDRS]?.exitCode === 0;
}

function safeFileName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}

export async function initCommand(argv: string[]): Promise<number> {
  const { v, targets } = parseInitArgs(argv);
  if (v.help) {
    process.stdout.write(INIT_HELP);
    return 0;
  }
  if (targets.length === 0)
    throw new UsageError(
      'name the hosts: lxdcheck init user@host1 user@host2 ... (see lxdcheck init --help)',
    );
  for (const t of targets) {
    const parsed = parseSshTarget(t);
    if (typeof parsed === 'string') throw new UsageError(`${t}: ${parsed}`);
  }
  const dup = targets.find((t, i) => targets.indexOf(t) !== i);
  if (dup) throw new UsageError(`${dup} is given twice`);
  if (v.bridge !== undefined && !IFNAME_RE.test(v.bridge))
    throw new UsageError(`--bridge: "${v.bridge}" is not a Linux interface name`);
  if (v.run && !v.output)
    throw new UsageError('--run needs -o FILE (the doctor reads the inventory from a file)');
  if (v.output && existsSync(v.output) && !v.force)
    throw new UsageError(`${v.output} exists; pass --force to overwrite it`);
  const name = v.name ?? (v.output ? basename(v.output, extname(v.output)) : 'cluster');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new UsageError(`--name: "${name}" is not a plain name`);

  const knownHostsFiles =
    v['known-hosts'].length > 0 ? v['known-hosts'] : [join(homedir(), '.ssh', 'known_hosts')];
  const gatherOpts: InitGatherOptions = {
    knownHostsFiles,
    acceptNew: v['accept-new'],
    connectTimeoutMs: parseDuration(v['connect-timeout'], '--connect-timeout'),
    timeoutMs: parseDuration(v.timeout, '--timeout'),
    identityFiles: v['identity-file'],
    knownHostsExplicit: v['known-hosts'].length > 0,
    connectTimeoutExplicit: argv.some((a) => a === '--connect-timeout' || a.startsWith('--connect-timeout=')),
  };
  const records = await gatherTargets(targets, gatherOpts);

  if (v.record) {
    mkdirSync(v.record, { recursive: true });
    for (const r of records) {
      const host = r.raw[HOSTNAME]?.stdout.trim() || r.target;
      writeFileSync(join(v.record, `${safeFileName(host)}.json`), `${JSON.stringify(r, null, 2)}\n`);
    }
  }

  const read = records.filter(wasRead);
  const unreachable = records
    .filter((r) => !wasRead(r))
    .map((r) => ({ target: r.target, error: r.error ?? 'no output' }));
  for (const u of unreachable) process.stderr.write(`lxdcheck init: ${u.target}: not read: ${u.error}\n`);
  if (read.length === 0) {
    process.stderr.write('lxdcheck init: no host could be read; nothing written\n');
    return 2;
  }
  for (const r of read) {
    if (r.error) process.stderr.write(`lxdcheck init: ${r.target}: partly read: ${r.error}\n`);
  }

  const inference = infer(read.map(observe), v.bridge ? { bridge: v.bridge } : {});
  for (const u of unreachable)
    inference.undecided.push({
      field: `hosts (${u.target})`,
      why: `not read, so not in the file: ${u.error}`,
    });
  const text = renderInventory(inference, {
    name,
    ...(v['identity-file'].length > 0 ? { identityFiles: v['identity-file'] } : {}),
    ...(v['known-hosts'].length > 0 ? { knownHosts: v['known-hosts'][0]! } : {}),
    command: `lxdcheck init ${targets.join(' ')}`,
    createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    unreachable,
  });

  // What the file lacks shows up as load errors too: name them with the reasons above.
  let loads = true;
  try {
    parseInventory(text, v.output ?? '(stdout)', { sshConfigText: '' });
  } catch (e) {
    if (!(e instanceof InventoryError)) throw e;
    loads = false;
    // Problems the TODO lines do not explain (a value a host showed that the loader refuses) are listed too.
    const last = (f: string) => f.split('.').pop() ?? f;
    const explained = (field: string) =>
      field !== '' &&
      inference.undecided.some(
        (u) => field === u.field || field.startsWith(`${u.field}.`) || last(u.field) === last(field),
      );
    for (const err of e.all ?? [e]) {
      if (!explained(err.field))
        inference.undecided.push({ field: err.field || 'file', why: formatInventoryError(err) });
    }
  }

  if (v.output) {
    writeFileSync(v.output, text, { flag: v.force ? 'w' : 'wx' });
    process.stderr.write(`lxdcheck init: wrote ${v.output} (${read.length} of ${targets.length} hosts)\n`);
  } else process.stdout.write(text);

  for (const n of inference.notes) process.stderr.write(`lxdcheck init: note: ${n}\n`);
  if (inference.undecided.length > 0) {
    process.stderr.write(`lxdcheck init: ${inference.undecided.length} value(s) need a human:\n`);
    for (const u of inference.undecided) process.stderr.write(`  ${u.field}: ${u.why}\n`);
    if (!loads) process.stderr.write('  (the file does not load until the # TODO lines are filled in)\n');
  }
  const code = inference.undecided.length > 0 ? 1 : 0;
  if (!v.run || !v.output) return code;
  if (!loads) {
    process.stderr.write('lxdcheck init: not running the doctor: the inventory is incomplete\n');
    return code;
  }
  const runArgs = [
    '-i',
    v.output,
    '--reporter',
    'human',
    '--connect-timeout',
    v['connect-timeout'],
    '--timeout',
    v.timeout,
  ];
  for (const f of v['known-hosts']) runArgs.push('--known-hosts', f);
  const { runCommand } = await import('./run.js');
  return Math.max(code, await runCommand(runArgs));
}
