/**
 * Active DHCP discovery: ask the L2 itself who answers DHCP. A DHCP server
 * inside a container (an image that ships its own dnsmasq or udhcpd) is in
 * no host's process list or sockets; only its answers on the wire show it.
 *
 * One host sends a single DHCPDISCOVER on the cluster bridge and lists every
 * answer for a bounded time. It never sends a DHCPREQUEST, so no server
 * commits a lease; the client MAC in chaddr is random and locally
 * administered, so no real client's state is touched; the broadcast flag
 * makes servers answer to ff:ff:ff:ff:ff:ff, which the bridge delivers to
 * its own device (a unicast to an unknown MAC would only be flooded to the
 * ports). python3 builds the frame itself on an AF_PACKET socket bound to
 * the bridge, so it needs no address in the range and works while UDP 68 is
 * taken by a real client; it needs root (or CAP_NET_RAW).
 *
 * A frame sent on the bridge device goes out of its ports only: the probing
 * host's own local DHCP server does not see it. That is why the probe runs
 * on a host other than the DHCP host (servers in the probing host's own
 * network stack are in its process list anyway).
 *
 * Longer than 500 lines on purpose: about 160 of them are the probe's own
 * Python (DHCP_SETTLE_PY, PY), kept beside the shell that runs it, the parser
 * of what it prints and the mapping of its answers to hosts: the four change
 * together whenever the probe's output does.
 */
import type { Inventory } from '../inventory/types.js';
import { quoteArg as q } from '../transport/quote.js';
import { placedContainers } from './containers.js';
import type { HostFacts } from './host-facts.js';
import type { Section } from './script.js';
import type { DhcpDiscovery, DhcpReply, RawOutput } from './types.js';

/**
 * The longest it listens for offers. A stock dnsmasq (without --no-ping)
 * pings the address it is about to offer and waits up to 3 s for an echo
 * first, so a server of that kind answers about 3 s after the DISCOVER.
 */
export const DHCP_DISCOVER_WINDOW_SECONDS = 4;

/**
 * The shortest it listens once the question is settled: a server that
 * neither answered by then nor showed a sign of preparing an offer (below)
 * is not waited for. Answers come within an RTT plus a few ms of work (1 ms
 * on the lab); 0.5 s is far above a WAN round trip.
 */
export const DHCP_DISCOVER_FLOOR_SECONDS = 0.5;

/** After the slowest offer so far, listen until this multiple of its time (bounded by the window). */
export const DHCP_DISCOVER_SETTLE_FACTOR = 4;

export const DHCP_DISCOVER_SECTION = 'dhcp-discover';
/** Every host's bridge FDB, read once the offers have crossed it (the next stage): where each server's MAC was learned. */
export const DHCP_FDB_SECTION = 'dhcp-fdb';

/**
 * When the listening ends (pure, so a unit test can drive it with a fake
 * clock). The window is cut short only once the question is settled:
 * - a server that pings before offering (stock dnsmasq, ISC dhcpd, udhcpd's
 *   arping) first resolves the address it is about to offer, and that ARP
 *   request is broadcast on the L2 within milliseconds of the DISCOVER: its
 *   sender is awaited (the whole window) until an offer from that MAC came;
 * - while an answer is expected (the one dnsmasq runs) and none came, the
 *   whole window;
 * - otherwise the floor, or SETTLE_FACTOR times the slowest offer so far.
 * A server that pings by unicast (it still holds a neighbour entry for the
 * address it is about to offer) shows no sign on this bridge: it is caught
 * only when it answers before that end.
 */
export const DHCP_SETTLE_PY = `
def listen(wait, say, window, floor, factor, expect):
    # wait(end) -> the next event before \`end\` (seconds after the DISCOVER), or None once \`end\` passed.
    # Events: ('reply', t, mac, reply dict) and ('sign', t, mac, info dict).
    replies, slowest, offered, pending = 0, 0.0, set(), {}
    while True:
        if pending:
            mac, info = next(iter(pending.items()))
            end, why = window, 'waiting for %s, which sent an ARP request for %s at %d ms (a server pinging the address it will offer)' % (mac, info['targetIp'], info['atMs'])
        elif expect and not replies:
            end, why = window, 'no offer came (one was expected)'
        elif factor * slowest >= window:
            end, why = window, 'the slowest offer came at %d ms; %g times that is past the window' % (slowest * 1000, factor)
        elif factor * slowest > floor:
            end, why = factor * slowest, 'the slowest offer came at %d ms; listened %g times as long' % (slowest * 1000, factor)
        else:
            end = floor
            why = 'the offers came by %d ms and no other server showed a sign' % (slowest * 1000) if replies else 'no offer came and none was expected'
        ev = wait(end)
        if ev is None:
            say(event='done', replies=replies, listenedMs=int(round(end * 1000)), stop='window' if end >= window else 'settled', why=why)
            return
        kind, t, mac, data = ev
        if kind == 'reply':
            replies += 1
            slowest = max(slowest, t)
            offered.add(mac)
            pending.pop(mac, None)
            say(**data)
        elif kind == 'sign' and mac not in offered and mac not in pending:
            pending[mac] = data
            say(**data)
`;

const PY = `
import json, os, random, select, socket, struct, sys, time
iface, window, floor, factor, expect = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == '1'
def say(**kw):
    print(json.dumps(kw, sort_keys=True), flush=True)
def ip4(b):
    return socket.inet_ntoa(bytes(b))
def mac(b):
    return ':'.join('%02x' % x for x in b)
${DHCP_SETTLE_PY}
if not hasattr(socket, 'AF_PACKET'):
    say(event='skip', reason='no AF_PACKET sockets on this system (Linux only)')
    sys.exit(0)
try:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    a = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
except PermissionError:
    say(event='skip', reason='needs root or CAP_NET_RAW for a raw packet socket')
    sys.exit(0)
try:
    s.bind((iface, 0x0800))
    a.bind((iface, 0x0806))
except OSError as e:
    say(event='skip', reason='cannot bind to %s: %s' % (iface, e.strerror or e))
    sys.exit(0)
own = s.getsockname()[4][:6]
# A random, locally administered, unicast client MAC: no real client has it.
ch = bytes([(random.randrange(256) & 0xfc) | 0x02] + [random.randrange(256) for _ in range(5)])
xid = random.randrange(1, 2 ** 32)
opts = bytes([53, 1, 1, 55, 7, 1, 3, 6, 15, 28, 51, 54]) + bytes([60, 8]) + b'lxdcheck' + bytes([255])
# op, htype, hlen, hops, xid, secs, flags (broadcast), ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file
bootp = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', 1, 1, 6, 0, xid, 0, 0x8000, bytes(4), bytes(4), bytes(4), bytes(4), ch + bytes(10), bytes(64), bytes(128))
bootp += b'\\x63\\x82\\x53\\x63' + opts
bootp += bytes(max(0, 300 - len(bootp)))
udp = struct.pack('!HHHH', 68, 67, 8 + len(bootp), 0) + bootp
hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), random.randrange(65536), 0, 64, 17, 0, bytes(4), b'\\xff' * 4)
c = sum(struct.unpack('!10H', hdr))
c = (c & 0xffff) + (c >> 16)
c = (c & 0xffff) + (c >> 16)
hdr = hdr[:10] + struct.pack('!H', ~c & 0xffff) + hdr[12:]
frame = b'\\xff' * 6 + own + b'\\x08\\x00' + hdr + udp
say(event='discover', iface=iface, xid='%08x' % xid, chaddr=mac(ch), srcMac=mac(own), windowSeconds=window, floorSeconds=floor)
start = time.monotonic()
try:
    s.send(frame)
except OSError as e:
    say(event='skip', reason='cannot send on %s: %s' % (iface, e.strerror or e))
    sys.exit(0)
types = {1: 'DISCOVER', 2: 'OFFER', 3: 'REQUEST', 4: 'DECLINE', 5: 'ACK', 6: 'NAK', 7: 'RELEASE', 8: 'INFORM'}
def reply(d):
    if len(d) < 34 or d[12:14] != b'\\x08\\x00':
        return None
    ihl = (d[14] & 15) * 4
    if d[23] != 17 or len(d) < 14 + ihl + 8 + 240:
        return None
    u = 14 + ihl
    if struct.unpack('!H', d[u + 2:u + 4])[0] != 68:
        return None
    b = u + 8
    if d[b] != 2 or struct.unpack('!I', d[b + 4:b + 8])[0] != xid or d[b + 28:b + 34] != ch:
        return None
    if d[b + 236:b + 240] != b'\\x63\\x82\\x53\\x63':
        return None
    o, i, end = {}, b + 240, len(d)
    while i < end and d[i] != 255:
        if d[i] == 0:
            i += 1
            continue
        if i + 1 >= end:
            break
        k, n = d[i], d[i + 1]
        o[k] = o.get(k, b'') + d[i + 2:i + 2 + n]
        i += 2 + n
    r = dict(event='reply', srcMac=mac(d[6:12]), srcIp=ip4(d[26:30]), yiaddr=ip4(d[b + 16:b + 20]))
    t = o.get(53, b'')
    r['type'] = types.get(t[0], str(t[0])) if t else 'BOOTP'
    if d[b + 24:b + 28] != bytes(4):
        r['giaddr'] = ip4(d[b + 24:b + 28])
    if len(o.get(54, b'')) == 4:
        r['serverId'] = ip4(o[54])
    if len(o.get(1, b'')) == 4:
        r['mask'] = ip4(o[1])
    if len(o.get(51, b'')) == 4:
        r['leaseSeconds'] = struct.unpack('!I', o[51])[0]
    for k, name in ((3, 'routers'), (6, 'dns')):
        v = o.get(k, b'')
        if v:
            r[name] = [ip4(v[j:j + 4]) for j in range(0, len(v) - 3, 4)]
    if 15 in o:
        r['domain'] = o[15].rstrip(b'\\0').decode('ascii', 'replace')
    return r
# Addresses known to be in use (stage one's hosts, leases, containers), one line on stdin, never in argv:
# an ARP request for one of them is ordinary traffic, not a server checking an address it is about to offer.
known = set(os.environ.get('LXDCHECK_INPUT', '').split())
ignored = [0]
def sign(d):
    # An ARP request for an address by a sender other than this host: who-has, not gratuitous, not a probe (0.0.0.0).
    if len(d) < 42 or d[12:14] != b'\\x08\\x06' or d[20:22] != b'\\x00\\x01' or d[22:28] == own:
        return None
    if d[28:32] == bytes(4) or d[28:32] == d[38:42]:
        return None
    if ip4(d[38:42]) in known:
        ignored[0] += 1
        return None
    return dict(event='sign', srcMac=mac(d[22:28]), senderIp=ip4(d[28:32]), targetIp=ip4(d[38:42]))
def wait(end):
    while True:
        left = end - (time.monotonic() - start)
        if left <= 0:
            return None
        ready = select.select([s, a], [], [], left)[0]
        for sock in ready:
            d, addr = sock.recvfrom(4096)
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            ev = reply(d) if sock is s else sign(d)
            if ev is None:
                continue
            at = time.monotonic() - start
            ev['atMs'] = int(at * 1000)
            return ('reply' if sock is s else 'sign', at, ev['srcMac'], ev)
listen(wait, say, window, floor, factor, expect)
if ignored[0]:
    say(event='arp-in-use', count=ignored[0], known=len(known))
`;

export interface DhcpDiscoverOptions {
  windowSeconds?: number;
  floorSeconds?: number;
  /** Whether an offer must come (the one dnsmasq runs): then silence is waited out for the whole window. */
  expectOffer?: boolean;
  /** IPv4 addresses known in use: ARP requests for them are no sign of a server (handed over on stdin). */
  knownAddresses?: readonly string[];
}

/** The probe as a shell command: python3 with the script; the bridge and the timing as argv. */
export function dhcpDiscoverShell(bridge: string, o: DhcpDiscoverOptions = {}): string {
  const argv = [
    bridge,
    String(o.windowSeconds ?? DHCP_DISCOVER_WINDOW_SECONDS),
    String(o.floorSeconds ?? DHCP_DISCOVER_FLOOR_SECONDS),
    String(DHCP_DISCOVER_SETTLE_FACTOR),
    o.expectOffer === false ? '0' : '1',
  ];
  return `python3 -c ${q(PY)} ${argv.map(q).join(' ')}`;
}

export function dhcpDiscoverSection(bridge: string, o: DhcpDiscoverOptions = {}): Section {
  return {
    name: DHCP_DISCOVER_SECTION,
    shell: dhcpDiscoverShell(bridge, o),
    timeoutSeconds: (o.windowSeconds ?? DHCP_DISCOVER_WINDOW_SECONDS) + 6,
    // Its own command over the host's connection: the window passes while the other probes run.
    group: DHCP_DISCOVER_SECTION,
    // On stdin, not argv: hundreds of addresses would swamp the command shown as evidence.
    input: (o.knownAddresses ?? []).filter((a) => /^\d{1,3}(\.\d{1,3}){3}$/.test(a)).join(' '),
  };
}

/**
 * The bridge's forwarding database, read in the stage after the probe (so
 * after its window, with no sleep): on the host where a server sits, its MAC
 * is learned on a local port (a container's veth); on the others, on the
 * overlay.
 */
export function dhcpFdbSection(bridge: string): Section {
  return { name: DHCP_FDB_SECTION, shell: `bridge fdb show br ${q(bridge)}`, timeoutSeconds: 5 };
}

/** The probe stage's part: the DHCPDISCOVER, on the prober only. */
export function dhcpDiscoverySections(
  inv: Inventory,
  host: string,
  facts: ReadonlyMap<string, HostFacts>,
  windowSeconds = DHCP_DISCOVER_WINDOW_SECONDS,
): Section[] {
  if (dhcpProber(inv, facts) !== host) return [];
  return [
    dhcpDiscoverSection(inv.cluster.bridge, {
      windowSeconds,
      expectOffer: offerExpected(inv, host, facts),
      knownAddresses: addressesInUse(inv, facts),
    }),
  ];
}

/** Every IPv4 address stage one saw in use on the L2: bridges, overlay addresses, leases, containers. */
export function addressesInUse(inv: Inventory, facts: ReadonlyMap<string, HostFacts>): string[] {
  const out = new Set<string>();
  for (const h of inv.hosts) {
    out.add(h.bridgeAddress);
    if (h.overlayAddress) out.add(h.overlayAddress);
    for (const f of facts.get(h.name)?.leases ?? []) for (const l of f.leases) out.add(l.ip);
  }
  for (const c of placedContainers(inv, facts))
    for (const a of [...c.info.ipv4, ...Object.values(c.info.nics).flatMap((n) => n.ipv4)]) out.add(a);
  return [...out].sort();
}

/**
 * Whether the one dnsmasq should answer the prober, so that its silence would
 * be a finding worth the whole window: not when stage one saw no DHCP server
 * on the DHCP host (already a finding), nor when the prober's pings did not
 * reach the DHCP host's bridge (its offer cannot arrive). Unknown: expected.
 */
export function offerExpected(
  inv: Inventory,
  prober: string,
  facts: ReadonlyMap<string, HostFacts>,
): boolean {
  const d = facts.get(inv.cluster.dhcp);
  if (d?.processes) {
    const serves = d.dnsmasq.some((x) => x.servesDhcp) || (d.udpSockets ?? []).some((u) => u.port === 67);
    if (!serves) return false;
  }
  const bridge = inv.hosts.find((h) => h.name === inv.cluster.dhcp)?.bridgeAddress;
  const ping = facts.get(prober)?.mesh?.find((p) => p.target === bridge);
  return !(ping && ping.received === 0);
}

/** Whether some host already ran this section (its raw output is in the facts). */
const ranSomewhere = (facts: ReadonlyMap<string, HostFacts>, section: string) =>
  [...facts.values()].some((f) => f.raw[section]);

/** The FDB stage's part: every host, once some host has probed and before any host read it. */
export function dhcpFdbSections(inv: Inventory, facts: ReadonlyMap<string, HostFacts>): Section[] {
  const due = ranSomewhere(facts, DHCP_DISCOVER_SECTION) && !ranSomewhere(facts, DHCP_FDB_SECTION);
  return due ? [dhcpFdbSection(inv.cluster.bridge)] : [];
}

/**
 * Whether the discovery waits for the multicast stage: when running
 * containers on two or more hosts make a 3 s multicast window likely, its
 * listening (0.5 s, up to 4 s while a server that pings first may still
 * answer) overlaps that window instead of adding to the run. Decided from
 * stage one's container lists.
 */
export function discoveryWithMulticast(inv: Inventory, facts: ReadonlyMap<string, HostFacts>): boolean {
  const hosts = new Set(
    placedContainers(inv, facts)
      .filter((c) => c.info.running)
      .map((c) => c.host),
  );
  return hosts.size >= 2;
}

/** The multicast stage's part: the discovery the probe stage left for it (once, on the prober). */
export function deferredDhcpDiscoverySections(
  inv: Inventory,
  host: string,
  facts: ReadonlyMap<string, HostFacts>,
): Section[] {
  return ranSomewhere(facts, DHCP_DISCOVER_SECTION) ? [] : dhcpDiscoverySections(inv, host, facts);
}

/**
 * The host that probes: the first host (inventory order) other than the DHCP
 * host that answered stage one and reached the DHCP host's bridge by ping, so
 * the one dnsmasq's offer can cross the overlay to it; failing that the first
 * other host that answered; the DHCP host itself only in a one-host cluster.
 */
export function dhcpProber(inv: Inventory, facts: ReadonlyMap<string, HostFacts>): string | null {
  const dhcp = inv.hosts.find((h) => h.name === inv.cluster.dhcp);
  const answered = inv.hosts.filter((h) => facts.get(h.name)?.reachable);
  const others = answered.filter((h) => h.name !== inv.cluster.dhcp);
  const reaches = others.find((h) =>
    facts.get(h.name)?.mesh?.some((p) => p.target === dhcp?.bridgeAddress && p.received > 0),
  );
  if (reaches) return reaches.name;
  if (others[0]) return others[0].name;
  return inv.hosts.length === 1 && answered[0] ? answered[0].name : null;
}

/** Parse the probe's JSON lines; lines that are not the probe's own are ignored. */
export function parseDhcpDiscover(text: string): DhcpDiscovery {
  const out: DhcpDiscovery = { status: 'done', replies: [] };
  let finished = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(t) as Record<string, unknown>;
    } catch {
      continue;
    }
    const str = (k: string) => (typeof j[k] === 'string' ? (j[k] as string) : undefined);
    const num = (k: string) => (typeof j[k] === 'number' ? (j[k] as number) : undefined);
    const list = (k: string) =>
      Array.isArray(j[k]) ? (j[k] as unknown[]).filter((x): x is string => typeof x === 'string') : undefined;
    switch (j['event']) {
      case 'skip':
        out.status = 'skipped';
        out.skipReason = str('reason') ?? 'unknown reason';
        finished = true;
        break;
      case 'discover':
        Object.assign(
          out,
          defined({
            iface: str('iface'),
            xid: str('xid'),
            chaddr: str('chaddr'),
            srcMac: str('srcMac'),
            windowSeconds: num('windowSeconds'),
            floorSeconds: num('floorSeconds'),
          }),
        );
        break;
      case 'sign': {
        const srcMac = str('srcMac');
        const senderIp = str('senderIp');
        const targetIp = str('targetIp');
        if (!srcMac || !senderIp || !targetIp) break;
        out.signs ??= [];
        out.signs.push({
          srcMac: srcMac.toLowerCase(),
          senderIp,
          targetIp,
          ...defined({ atMs: num('atMs') }),
        });
        break;
      }
      case 'reply': {
        const srcMac = str('srcMac');
        const srcIp = str('srcIp');
        if (!srcMac || !srcIp) break;
        out.replies.push({
          type: str('type') ?? 'BOOTP',
          srcMac: srcMac.toLowerCase(),
          srcIp,
          yiaddr: str('yiaddr') ?? '0.0.0.0',
          ...defined({
            serverId: str('serverId'),
            giaddr: str('giaddr'),
            mask: str('mask'),
            routers: list('routers'),
            dns: list('dns'),
            domain: str('domain'),
            leaseSeconds: num('leaseSeconds'),
            atMs: num('atMs'),
          }),
        });
        break;
      }
      case 'arp-in-use':
        out.arpInUse = num('count') ?? 0;
        break;
      case 'done': {
        finished = true;
        const stop = str('stop');
        Object.assign(
          out,
          defined({
            listenedMs: num('listenedMs'),
            stop: stop === 'settled' || stop === 'window' ? stop : undefined,
            why: str('why'),
          }),
        );
        break;
      }
    }
  }
  if (!finished && out.status === 'done') throw new Error('the DHCP discovery did not finish');
  return out;
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * HostFacts view of the section: null when it did not run here; skipped with
 * the reason when python3 is missing or the probe could not open its socket.
 */
export function dhcpDiscoveryFacts(r: RawOutput | undefined): DhcpDiscovery | null {
  if (!r) return null;
  if (r.exitCode === 127) {
    return {
      status: 'skipped',
      skipReason: 'python3 is not installed (it sends the DHCPDISCOVER)',
      replies: [],
    };
  }
  if (r.exitCode !== 0) return null;
  try {
    return parseDhcpDiscover(r.stdout);
  } catch {
    return null;
  }
}

/** A server as seen on the wire: the replies of one source MAC and server identifier. */
export interface DhcpServerSeen {
  srcMac: string;
  srcIp: string;
  serverId?: string;
  replies: DhcpReply[];
}

export function serversSeen(d: DhcpDiscovery): DhcpServerSeen[] {
  const by = new Map<string, DhcpServerSeen>();
  for (const r of d.replies) {
    const key = `${r.srcMac} ${r.serverId ?? r.srcIp}`;
    const s = by.get(key) ?? {
      srcMac: r.srcMac,
      srcIp: r.srcIp,
      replies: [],
      ...defined({ serverId: r.serverId }),
    };
    s.replies.push(r);
    by.set(key, s);
  }
  return [...by.values()];
}

/** Who a server is, as far as the facts tell. */
export interface DhcpServerOwner {
  kind: 'host' | 'container' | 'lease' | 'unknown';
  /** The inventory host (kind host), or the host it sits behind (a container's, or from the FDB). */
  host?: string;
  /** The bridge port of `host` its MAC was learned on (from the FDB), when known. */
  port?: string;
  /** The container's name (kind container), or the lease's hostname (kind lease). */
  name?: string;
  /** How it was matched, e.g. `MAC of lxd2's lxdbr0`. */
  by: string;
}

/**
 * Map a server to a host or a container: a host's link MACs (`ip -j link`),
 * containers' MACs and addresses (`lxc list`), the one dnsmasq's leases, and
 * the inventory's bridge addresses (by address only when no MAC matched, as
 * an address can be borrowed).
 */
export function ownerOf(
  s: Pick<DhcpServerSeen, 'srcMac' | 'srcIp' | 'serverId'>,
  inv: Inventory,
  facts: ReadonlyMap<string, HostFacts>,
): DhcpServerOwner {
  const mac = s.srcMac.toLowerCase();
  for (const h of inv.hosts) {
    const link = facts.get(h.name)?.links?.find((l) => l.mac?.toLowerCase() === mac);
    if (link) return { kind: 'host', host: h.name, by: `MAC of ${h.name}'s ${link.ifname}` };
  }
  const containers = placedContainers(inv, facts);
  for (const c of containers) {
    const macs = [c.info.hwaddr, ...Object.values(c.info.nics).map((n) => n.hwaddr)];
    if (macs.some((m) => m?.toLowerCase() === mac)) {
      return { kind: 'container', host: c.host, name: c.name, by: 'its MAC in lxc list' };
    }
  }
  const at = learnedAt(mac, inv, facts);
  const ips = [s.srcIp, s.serverId].filter((x): x is string => !!x && x !== '0.0.0.0');
  const leases = inv.hosts.flatMap((h) => facts.get(h.name)?.leases.flatMap((f) => f.leases) ?? []);
  const lease = leases.find((l) => l.mac.toLowerCase() === mac) ?? leases.find((l) => ips.includes(l.ip));
  if (lease?.hostname) {
    const c = containers.find((x) => x.name === lease.hostname);
    const by = `lease of ${lease.hostname} (${lease.mac} ${lease.ip})`;
    if (c) return { kind: 'container', host: c.host, name: c.name, by };
    return { kind: 'lease', name: lease.hostname, by: at ? `${by}, ${at.by}` : by, ...at?.where };
  }
  for (const c of containers) {
    const addrs = [...c.info.ipv4, ...Object.values(c.info.nics).flatMap((n) => n.ipv4)];
    if (addrs.some((a) => ips.includes(a))) {
      return { kind: 'container', host: c.host, name: c.name, by: 'its address in lxc list' };
    }
  }
  for (const h of inv.hosts) {
    if (ips.includes(h.bridgeAddress))
      return { kind: 'host', host: h.name, by: `${h.name}'s bridge address` };
  }
  if (at)
    return {
      kind: 'unknown',
      by: `no host, container or lease has its MAC or address; ${at.by}`,
      ...at.where,
    };
  return { kind: 'unknown', by: 'no host, container or lease has its MAC or address' };
}

/** The host and bridge port a MAC was learned on, other than the overlay (which only says "elsewhere"). */
function learnedAt(
  mac: string,
  inv: Inventory,
  facts: ReadonlyMap<string, HostFacts>,
): { where: { host: string; port: string }; by: string } | null {
  for (const h of inv.hosts) {
    const e = facts
      .get(h.name)
      ?.dhcpFdb?.find(
        (x) =>
          x.mac === mac &&
          x.dev !== undefined &&
          x.dev !== inv.cluster.overlay.interface &&
          x.dev !== inv.cluster.bridge &&
          !x.flags.includes('permanent'),
      );
    if (e?.dev) {
      return {
        where: { host: h.name, port: e.dev },
        by: `learned on port ${e.dev} of ${h.name}'s ${inv.cluster.bridge}`,
      };
    }
  }
  return null;
}
