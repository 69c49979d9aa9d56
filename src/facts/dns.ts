/**
 * A DNS query to the one dnsmasq from a host, without depending on the
 * host's resolv.conf: python3 speaks the protocol itself (it is on nearly
 * every host), `dig` is the fallback. Names are argv, never pasted.
 */
import { quoteArg as q } from '../transport/quote.js';

const PY = `
import random, socket, struct, sys
srv = sys.argv[1]
codes = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED']
for name in sys.argv[2:]:
    qid = random.randint(0, 65535)
    labels = b''.join(bytes([len(p)]) + p.encode() for p in name.rstrip('.').split('.'))
    query = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0) + labels + b'\\0' + struct.pack('>HH', 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    try:
        s.sendto(query, (srv, 53))
        d, _ = s.recvfrom(4096)
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
        print(name, codes[rcode] if rcode < len(codes) else rcode, *ips)
    except socket.timeout:
        print(name, 'TIMEOUT')
    except OSError as e:
        print(name, 'ERROR', (e.strerror or str(e)).replace(' ', '_'))
`;

export function dnsProbeShell(server: string, names: readonly string[]): string {
  const py = `python3 -c ${q(PY)} ${q(server)} ${names.map(q).join(' ')}`;
  const dig = names
    .map(
      (n) =>
        `r=$(dig +time=1 +tries=1 +noall +comments +answer @${q(server)} -q ${q(n)} -t A 2>&1); s=$(printf '%s\\n' "$r" | sed -n 's/.*status: \\([A-Z]*\\).*/\\1/p'); [ -n "$s" ] || s=TIMEOUT; printf '%s %s %s\\n' ${q(n)} "$s" "$(printf '%s\\n' "$r" | awk '$4=="A"{printf "%s ", $5}')"`,
    )
    .join('; ');
  return `if command -v python3 >/dev/null 2>&1; then ${py}; elif command -v dig >/dev/null 2>&1; then ${dig}; else echo 'lxdcheck: neither python3 nor dig is installed' >&2; exit 127; fi`;
}

export interface DnsAnswer {
  name: string;
  /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED, TIMEOUT, ERROR, ... */
  status: string;
  addresses: string[];
  error?: string;
}

export function parseDnsProbe(text: string): DnsAnswer[] {
  const out: DnsAnswer[] = [];
  for (const line of text.split('\n')) {
    const [name, status, ...rest] = line.trim().split(/\s+/);
    // `NAME STATUS [ADDR...]`: anything else (noise, garbage) is not an answer.
    if (!name || !status || !/^[A-Za-z0-9._-]+$/.test(name) || !/^[A-Z]+$/.test(status)) continue;
    if (status === 'ERROR')
      out.push({ name, status, addresses: [], error: rest.join(' ').replace(/_/g, ' ') });
    else out.push({ name, status, addresses: rest.filter((r) => /^\d+\.\d+\.\d+\.\d+$/.test(r)) });
  }
  return out;
}
