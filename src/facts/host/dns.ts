/**
 * dns: a DNS query to the one dnsmasq from every host (stage two), without depending on the
 * host's resolv.conf: python3 speaks the protocol itself (it is on nearly
 * every host), `dig` is the fallback. Names are argv, never pasted.
 */
import type { HostSpec, Inventory } from '../../inventory/types.js';
import { quoteArg as q } from '../../transport/quote.js';
import type { HostFacts } from '../host-facts.js';
import { okOutput } from '../host-facts.js';
import type { Section } from '../script.js';
import type { DnsAnswer, RawOutput } from '../types.js';

export const DNS_PROBE = 'dns-probe';

/**
 * Every name goes out at once on one connected socket and the answers are
 * collected under one deadline: a silent server costs one deadline, not one
 * per name. Unanswered names are asked again at a third and two thirds of
 * the deadline (the second and third round, so a TIMEOUT is never one lost datagram); a refusal
 * (ICMP port unreachable, seen at once on a connected socket) is asked once
 * more and then settles every name.
 */
const PY = `
import random, select, socket, struct, sys, time
srv, limit, names = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
codes = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED']
ids = random.sample(range(65536), len(names))
queries, pending, results = {}, {}, {}
for qid, name in zip(ids, names):
    labels = b''.join(bytes([len(p)]) + p.encode() for p in name.rstrip('.').split('.'))
    queries[qid] = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0) + labels + b'\\0' + struct.pack('>HH', 1, 1)
    pending[qid] = name
def parse(d):
    rcode = d[3] & 15
    count = struct.unpack('>H', d[6:8])[0]
    i = 12
    while d[i]:
        i += d[i] + 1
    i += 5
    ips = []
    for _ in range(count):
        if d[i] & 0xC0 == 0xC0:
            i += 2
        else:
            while d[i]:
                i += d[i] + 1
            i += 1
        t, c, ttl, l = struct.unpack('>HHIH', d[i:i + 10])
        i += 10
        if t == 1 and l == 4:
            ips.append(socket.inet_ntoa(d[i:i + 4]))
        i += l
    return [codes[rcode] if rcode < len(codes) else str(rcode)] + ips
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
err, refused, rounds = None, 0, 0
start = time.time()
deadline, resend = start + limit, [start + limit / 3, start + limit * 2 / 3]
def send():
    global rounds, refused
    rounds += 1
    for qid in list(pending):
        try:
            s.send(queries[qid])
        except ConnectionRefusedError:
            refused += 1
try:
    s.connect((srv, 53))
    send()
    while pending and time.time() < deadline:
        if refused >= 2:
            err = ConnectionRefusedError(111, 'Connection refused')
            break
        now = time.time()
        if resend and now >= resend[0]:
            resend.pop(0)
            send()
            continue
        r, _, _ = select.select([s], [], [], max(0.0, min([deadline] + resend[:1]) - now))
        if not r:
            continue
        try:
            d = s.recv(4096)
        except ConnectionRefusedError:
            # Refused once: ask again at once rather than wait for the next round; two refused datagrams settle it.
            refused += 1
            time.sleep(0.05)
            send()
            continue
        if len(d) < 12:
            continue
        name = pending.pop(struct.unpack('>H', d[:2])[0], None)
        if name is not None:
            try:
                results[name] = parse(d)
            except (IndexError, struct.error):
                results[name] = ['FORMERR']
except OSError as e:
    err = e
for name in names:
    if name in results:
        print(name, *results[name])
    elif err is not None:
        print(name, 'ERROR', (err.strerror or str(err)).replace(' ', '_'))
    else:
        print(name, 'TIMEOUT')
if pending:
    print('# no answer to %d of %d names after %d rounds in %.1f s (confirmed)' % (len(pending), len(names), rounds, time.time() - start))
`;

/** The deadline for a server that may answer; a server already proved unreachable from here gets a short one. */
export const DNS_DEADLINE_SECONDS = 1.5;
export const DNS_DEAD_SERVER_SECONDS = 0.4;

export function dnsProbeShell(
  server: string,
  names: readonly string[],
  deadlineSeconds = DNS_DEADLINE_SECONDS,
): string {
  const py = `python3 -c ${q(PY)} ${q(server)} ${q(String(deadlineSeconds))} ${names.map(q).join(' ')}`;
  // dig: every name at once, each with two tries of a second (the second try is the confirmation).
  const dig = names
    .map(
      (n) =>
        `( r=$(dig +time=1 +tries=2 +noall +comments +answer @${q(server)} -q ${q(n)} -t A 2>&1); s=$(printf '%s\\n' "$r" | sed -n 's/.*status: \\([A-Z]*\\).*/\\1/p'); [ -n "$s" ] || s=TIMEOUT; printf '%s %s %s\\n' ${q(n)} "$s" "$(printf '%s\\n' "$r" | awk '$4=="A"{printf "%s ", $5}')" ) &`,
    )
    .join(' ');
  return `if command -v python3 >/dev/null 2>&1; then ${py}; elif command -v dig >/dev/null 2>&1; then ${dig} wait; else echo 'lxdcheck: neither python3 nor dig is installed' >&2; exit 127; fi`;
}

export function parseDnsProbe(text: string): DnsAnswer[] {
  const out: DnsAnswer[] = [];
  for (const line of text.split('\n')) {
    // `#` lines are notes for the reader (how many rounds went unanswered).
    if (line.startsWith('#')) continue;
    const [name, status, ...rest] = line.trim().split(/\s+/);
    // `NAME STATUS [ADDR...]`: anything else (noise, garbage) is not an answer.
    if (!name || !status || !/^[A-Za-z0-9._-]+$/.test(name) || !/^[A-Z]+$/.test(status)) continue;
    if (status === 'ERROR')
      out.push({ name, status, addresses: [], error: rest.join(' ').replace(/_/g, ' ') });
    else out.push({ name, status, addresses: rest.filter((r) => /^\d+\.\d+\.\d+\.\d+$/.test(r)) });
  }
  return out;
}

/** A name no lease can have: the one dnsmasq must answer it (NXDOMAIN) if it serves the domain. */
export function absentName(inv: Inventory): string {
  return `lxdcheck-absent-probe.${inv.cluster.domain}`;
}

/** Up to three names the one dnsmasq has leased, to query from every host. */
export function knownNames(inv: Inventory, facts: ReadonlyMap<string, HostFacts>): string[] {
  const dhcp = facts.get(inv.cluster.dhcp);
  const names = new Set<string>();
  for (const file of dhcp?.leases ?? []) {
    // A lease hostname is whatever a DHCP client sent: only plain DNS labels become query operands.
    for (const l of file.leases)
      if (l.hostname && /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l.hostname))
        names.add(`${l.hostname}.${inv.cluster.domain}`);
  }
  return [...names].sort().slice(0, 3);
}

/**
 * Stage two: the leased names and one absent name, asked of the DHCP host's
 * bridge address from this host.
 */
export function dnsProbeSections(
  inv: Inventory,
  host: HostSpec,
  facts: ReadonlyMap<string, HostFacts>,
): Section[] {
  const server = inv.hosts.find((h) => h.name === inv.cluster.dhcp)?.bridgeAddress;
  if (!server) return [];
  const names = [...knownNames(inv, facts), absentName(inv)];
  // Stage one's mesh pings (two rounds) already tell whether the server's address answers from here:
  // when it did not, the query only needs to confirm the silence, not wait out a slow server.
  const toServer = facts.get(host.name)?.mesh?.find((m) => m.target === server);
  const dead = toServer !== undefined && toServer.received === 0 && toServer.confirmRound !== undefined;
  return [
    {
      name: DNS_PROBE,
      shell: dnsProbeShell(server, names, dead ? DNS_DEAD_SERVER_SECONDS : DNS_DEADLINE_SECONDS),
      timeoutSeconds: 10,
      wrapTimeout: false,
    },
  ];
}

export function dnsFacts(raw: Record<string, RawOutput>): Pick<HostFacts, 'dns'> {
  const out = okOutput(raw, DNS_PROBE);
  return { dns: out !== null ? parseDnsProbe(out) : null };
}
