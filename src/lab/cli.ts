/** `lxdcheck lab ...`: build, inspect, break and heal the local lab. */
import { parseArgs } from 'node:util';
import { MAX_HOSTS } from './constants.js';
import { FAULT_LIST, FAULT_NAMES, isFaultName } from './faults/index.js';
import { labBreak, labHeal } from './faults.js';
import { labInventoryYaml } from './inventory.js';
import { type LabOptions, readLabState } from './state.js';
import { formatLabStatus, labStatus } from './status.js';
import { labDown, labUp } from './up.js';

export function labHelp(): string {
  const faults = FAULT_LIST.map(
    (f) =>
      `  ${f.name.padEnd(24)} (default host ${f.host})\n      ${f.summary}\n      you see: ${f.whatYouSee}`,
  ).join('\n');
  return `lxdcheck lab - a real multi-host LXD cluster on this machine, to try lxdcheck on (needs root)

Each host lxd1..lxdN is its own network, mount, UTS and PID namespace with a real sshd on
192.168.99.N:22 (reachable from this machine), a bridge lxdbr0 172.16.0.N/16, and an L2 overlay
device peervpn0 (tinc 1.0 in switch mode, kernel VXLAN, or the peervpn stand-in) that is a port of
lxdbr0. lxd1 runs the
one dnsmasq (DHCP 172.16.100.1-172.16.199.254, DNS for .lxd on 172.16.0.1). Containers c1..cK
are spread round-robin over the hosts and get their address and name from that dnsmasq.
Nothing leaves the machine: the lab's ranges are blackholed in the root namespace first.

--overlay peervpn runs the lab's peervpn STAND-IN, not peervpn (which cannot be installed here): a
script named peervpn that reads /etc/peervpn/peervpn.conf (networkname, psk, interface peervpn0,
port 7000, initpeers, upcmd brctl addif lxdbr0 peervpn0), runs the upcmd once when its tap appears,
and logs to /var/log/peervpn.log in peervpn v0.044's formats, behaving as the real daemon was seen
to (count printed on change, sessions not peers, ~100 s until a silent peer is dropped, shutdown
lines on SIGTERM, silence on a wrong psk). The frames travel over tinc 1.0 in switch mode. How
lxdcheck judges real peervpn output is tested on real captures, not on the stand-in.

Usage:
  lxdcheck lab up [--hosts N] [--overlay tinc|vxlan|peervpn] [--no-lxd | --daemon lxd|incus] [--containers K]
      Build the lab (or reuse a healthy one with the same options). Defaults: 3 hosts, tinc,
      real LXD 5.0 daemons (one per host, image built once with debootstrap), K = N containers.
      --daemon incus runs real Incus 6.0 daemons instead (same layout, client incus).
      --no-lxd makes containers plain network namespaces with ISC dhclient (about a second).
  lxdcheck lab down
      Remove everything the lab made (every process by PID, namespaces, links, routes, files).
      Works after a half-built up; does nothing when nothing is up.
  lxdcheck lab status
      Each host with its daemons (PID alive, listening), every container (host, state, MAC,
      address), and the applied faults.
  lxdcheck lab inventory
      Print an inventory for lxdcheck: sudo lxdcheck lab inventory > lab.yaml
      then: lxdcheck run -i lab.yaml
  lxdcheck lab faults
      List the faults below.
  lxdcheck lab break FAULT [--host H]
      Apply one fault (a real change); prints what was done. Several can be applied at once.
  lxdcheck lab heal
      Undo every applied fault and check that the lab is healthy again.

Faults:
${faults}

Try:
  sudo lxdcheck lab up --no-lxd
  sudo lxdcheck lab inventory > lab.yaml && lxdcheck run -i lab.yaml     # all green
  sudo lxdcheck lab break service-order && lxdcheck run -i lab.yaml      # what a bad reboot looks like
  sudo lxdcheck lab heal
  sudo lxdcheck lab down

State: /run/lxlab/state.json. SSH: ssh -i /run/lxlab/id_ed25519 -o UserKnownHostsFile=/run/lxlab/known_hosts root@192.168.99.1
`;
}

const err = (line: string) => process.stderr.write(`${line}\n`);

export async function labMain(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  // `lab up --help` (any subcommand) teaches rather than failing on an unknown option.
  const asksHelp = (a: string) => a === '--help' || a === '-h' || a === 'help';
  if (!sub || asksHelp(sub) || rest.some(asksHelp)) {
    process.stdout.write(labHelp());
    return sub ? 0 : 2;
  }
  try {
    switch (sub) {
      case 'up': {
        const { values } = parseArgs({
          args: rest,
          options: {
            hosts: { type: 'string' },
            overlay: { type: 'string' },
            'no-lxd': { type: 'boolean' },
            daemon: { type: 'string' },
            containers: { type: 'string' },
          },
          strict: true,
        });
        const opts: Partial<LabOptions> = { lxd: !values['no-lxd'] };
        if (values.daemon !== undefined) {
          if (values.daemon !== 'lxd' && values.daemon !== 'incus')
            throw new UsageError('--daemon must be lxd or incus');
          if (values.daemon === 'incus' && values['no-lxd'])
            throw new UsageError('--daemon incus needs real containers; drop --no-lxd');
          opts.daemon = values.daemon;
        }
        if (values.hosts !== undefined) opts.hosts = intFlag('--hosts', values.hosts, 1, MAX_HOSTS);
        if (values.containers !== undefined)
          opts.containers = intFlag('--containers', values.containers, 0, 99);
        if (values.overlay !== undefined) {
          if (values.overlay !== 'tinc' && values.overlay !== 'vxlan' && values.overlay !== 'peervpn')
            throw new UsageError('--overlay must be peervpn, tinc or vxlan');
          opts.overlay = values.overlay;
        }
        const state = await labUp(opts, err);
        err(`lab: up; hosts ${state.hosts.map((h) => `${h.name}=${h.underlayAddress}`).join(' ')}`);
        return 0;
      }
      case 'down':
        noArgs(rest);
        await labDown(err);
        return 0;
      case 'status': {
        noArgs(rest);
        const s = await labStatus();
        process.stdout.write(formatLabStatus(s));
        return s.up ? 0 : 1;
      }
      case 'inventory': {
        noArgs(rest);
        const s = await readLabState();
        if (!s) throw new Error('the lab is not up: run `lxdcheck lab up` first');
        process.stdout.write(labInventoryYaml(s));
        return 0;
      }
      case 'faults':
        noArgs(rest);
        for (const f of FAULT_LIST) {
          process.stdout.write(
            `${f.name} (default host ${f.host}): ${f.summary}\n    you see: ${f.whatYouSee}\n`,
          );
        }
        return 0;
      case 'break': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { host: { type: 'string' } },
          allowPositionals: true,
          strict: true,
        });
        const fault = positionals[0];
        if (!fault || positionals.length > 1)
          throw new UsageError(`break takes one fault: ${FAULT_NAMES.join(', ')}`);
        if (!isFaultName(fault))
          throw new UsageError(`unknown fault "${fault}"; known: ${FAULT_NAMES.join(', ')}`);
        process.stdout.write(`${await labBreak(fault, { host: values.host })}\n`);
        return 0;
      }
      case 'heal':
        noArgs(rest);
        await labHeal(err);
        return 0;
      default:
        throw new UsageError(
          `unknown lab subcommand "${sub}" (up, down, status, inventory, faults, break, heal)`,
        );
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`lxdcheck lab: ${(e as Error).message}\nRun \`lxdcheck lab --help\` for usage.`);
      return 2;
    }
    err(`lxdcheck lab ${sub}: ${(e as Error).message}`);
    return 1;
  }
}

class UsageError extends Error {}

function intFlag(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max)
    throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

function noArgs(rest: string[]): void {
  if (rest.length > 0) throw new UsageError(`unexpected argument(s): ${rest.join(' ')}`);
}
