/**
 * The multicast mesh: one container per host sends to a group while every
 * one of them listens, all at once (the stage runs on all hosts in
 * parallel), so each pair's loss is measured in one short window, as omping
 * does. Packets carry the sender's name; TTL 1 keeps them on the L2.
 */
import type { HostSpec, Inventory } from '../inventory/types.js';
import { quoteArg as q } from '../transport/quote.js';
import { cutOffFrom, placedContainers } from './containers.js';
import type { HostFacts } from './host-facts.js';
import type { Section } from './script.js';
import type { MulticastResult, RawOutput } from './types.js';

/** The multicast mesh's one section per host. */
export const MULTICAST = 'multicast';

export interface MulticastOptions {
  group: string;
  port: number;
  /** Seconds the window lasts; every sender sends for most of it. */
  durationSeconds: number;
  /** Packets each sender sends in the window. */
  count: number;
}

export const DEFAULT_MULTICAST: MulticastOptions = {
  group: '239.255.77.77',
  port: 47777,
  durationSeconds: 3,
  count: 20,
};

const PY = `
import socket, struct, sys, time
group, port, me, duration, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
rx.bind(('', port))
rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack('4s4s', socket.inet_aton(group), socket.inet_aton('0.0.0.0')))
rx.settimeout(0.05)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
start = time.time()
# Send in the middle of the window, so peers that start a little later still hear everything.
first, last = start + duration * 0.25, start + duration * 0.75
sent, got = 0, {}
while time.time() < start + duration:
    now = time.time()
    if sent < count and now >= first + (last - first) * sent / count:
        tx.sendto(('lxdcheck %s %d' % (me, sent)).encode(), (group, port))
        sent += 1
    try:
        data, addr = rx.recvfrom(256)
        parts = data.decode(errors='replace').split()
        if len(parts) == 3 and parts[0] == 'lxdcheck' and parts[1] != me:
            got[parts[1]] = got.get(parts[1], 0) + 1
    except socket.timeout:
        pass
print('##MC sent %d' % sent)
for name, n in sorted(got.items()):
    print('##MC from %s %d' % (name, n))
`;

/** The container on this host that takes part: the first running one that has python3. */
export function multicastContainer(f: HostFacts | undefined): string | null {
  // Only a name `lxc list` gave: a container's own output never chooses where commands run.
  const listed = new Set((f?.containers ?? []).filter((c) => c.running).map((c) => c.name));
  return (
    f?.containerProbes.find((p) => listed.has(p.container) && !p.error && p.tools?.includes('python3'))
      ?.container ?? null
  );
}

/**
 * The confirming round: short, and only between the hosts of pairs that got
 * nothing in the first round (one lost window on a busy host is no failure).
 */
export const MULTICAST_CONFIRM: MulticastOptions = { ...DEFAULT_MULTICAST, durationSeconds: 1.5, count: 10 };

export const MULTICAST_CONFIRM_SECTION = 'multicast-confirm';

/**
 * Hosts at either end of a pair whose first round delivered nothing: they
 * take part in the confirming round. Not for a pair of hosts already proven
 * cut off from each other (their bridges silent in both ping rounds of stage
 * one): that failure does not rest on one short round; nor for a sender whose
 * container name is not unique.
 */
export function multicastConfirmHosts(inv: Inventory, facts: ReadonlyMap<string, HostFacts>): string[] {
  const ran = inv.hosts.map((h) => facts.get(h.name)).filter((f): f is HostFacts => !!f?.multicast);
  const cut = new Map(ran.map((f) => [f.host, cutOffFrom(inv, f.host, facts)]));
  // Senders are told apart by container name: with two containers of one name the count is not theirs
  // (the verdict names containers.duplicate-name as the cause), and a second window cannot change that.
  const names = placedContainers(inv, facts).map((c) => c.name);
  const duplicated = (c: string) => names.filter((n) => n === c).length > 1;
  const involved = new Set<string>();
  for (const tx of ran)
    for (const rx of ran) {
      if (tx === rx || !tx.multicast || !rx.multicast) continue;
      if (cut.get(tx.host)?.has(rx.host) || cut.get(rx.host)?.has(tx.host)) continue;
      if (duplicated(tx.multicast.container)) continue;
      if ((rx.multicast.received.get(tx.multicast.container) ?? 0) === 0) {
        involved.add(tx.host);
        involved.add(rx.host);
      }
    }
  return inv.hosts.map((h) => h.name).filter((h) => involved.has(h));
}

export function multicastConfirmSections(
  inv: Inventory,
  host: HostSpec,
  facts: ReadonlyMap<string, HostFacts>,
  o: MulticastOptions = MULTICAST_CONFIRM,
): Section[] {
  if (!multicastConfirmHosts(inv, facts).includes(host.name)) return [];
  const first = facts.get(host.name)?.multicast?.container;
  // The same container as in the first round, so the rounds add up per pair.
  return first ? multicastSections(inv, host, facts, o, first, MULTICAST_CONFIRM_SECTION) : [];
}

export function multicastSections(
  inv: Inventory,
  host: HostSpec,
  facts: ReadonlyMap<string, HostFacts>,
  o: MulticastOptions = DEFAULT_MULTICAST,
  container?: string,
  name = 'multicast',
): Section[] {
  const f = facts.get(host.name);
  const c = container ?? multicastContainer(f);
  if (!c) return [];
  const lxc = f?.lxdCommand ?? inv.cluster.lxdCommand ?? 'lxc';
  const argv = [
    lxc,
    'exec',
    c,
    '--',
    'python3',
    '-c',
    PY,
    o.group,
    String(o.port),
    c,
    String(o.durationSeconds),
    String(o.count),
  ];
  return [{ name, shell: argv.map(q).join(' '), timeoutSeconds: Math.ceil(o.durationSeconds) + 15 }];
}

/** The first round with the confirming round attached (when it ran and parsed). */
export function withMulticastConfirm(
  first: MulticastResult | null,
  confirm: MulticastResult | null,
): MulticastResult | null {
  if (!first || !confirm || confirm.container !== first.container) return first;
  return { ...first, confirm: { sent: confirm.sent, received: confirm.received } };
}

export function parseMulticast(raw: RawOutput | undefined): MulticastResult | null {
  if (raw?.exitCode !== 0) return null;
  const container = /exec (\S+) --/.exec(raw.command)?.[1]?.replace(/^'|'$/g, '') ?? '';
  let sent = -1;
  const received = new Map<string, number>();
  for (const line of raw.stdout.split('\n')) {
    const s = /^##MC sent (\d+)$/.exec(line);
    if (s) sent = Number(s[1]);
    const r = /^##MC from (\S+) (\d+)$/.exec(line);
    if (r?.[1]) received.set(r[1], Number(r[2]));
  }
  return sent < 0 ? null : { container, sent, received };
}
