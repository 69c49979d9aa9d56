/**
 * What lxdcheck reads on a host, as script sections. Everything here is
 * read-only except the tinc node dump (SIGUSR2 only makes tincd write its
 * node list to its own log). Every variable part goes through quoteArg.
 */
import type { HostSpec, Inventory } from '../inventory/types.js';
import { redactSecrets } from '../redact.js';
import { quoteArg as q } from '../transport/quote.js';
import { LXC_LIST_FILTER_PY, reduceLxcList } from './parsers/lxc.js';
import type { Section } from './script.js';
import type { PingResult } from './types.js';

/** lxc list output: only the container fields lxdcheck reads (stdout); stderr redacted. */
function scrubLxcList(text: string, stream: 'stdout' | 'stderr'): string {
  return stream === 'stdout' ? reduceLxcList(text) : redactSecrets(text);
}

/** Payload sizes probed across the overlay: IPv4 MTU minus 28 bytes of IP+ICMP headers. */
export const PMTU_LADDER = [1500, 1480, 1450, 1420, 1400, 1350, 1300, 1200, 1000] as const;

export const PING_COUNT = 3;

const LEASE_FILES = [
  '/var/lib/misc/dnsmasq.leases',
  '/var/lib/lxd-bridge/dnsmasq.lxdbr0.leases',
  '/var/lib/lxd/networks/BRIDGE/dnsmasq.leases',
  '/var/snap/lxd/common/lxd/networks/BRIDGE/dnsmasq.leases',
  '/var/lib/incus/networks/BRIDGE/dnsmasq.leases',
];

/** Print each readable file after a `==> path <==` header, as `tail` does for several files. */
function catFiles(paths: readonly string[]): string {
  const list = paths.map(q).join(' ');
  return `for f in ${list}; do if [ -r "$f" ]; then printf '==> %s <==\\n' "$f"; cat "$f"; fi; done`;
}

/** Up to this many hosts, every host probes every other; above it, a sampled mesh (meshPeers). */
export const MESH_FULL_LIMIT = 32;

/**
 * The hosts a host probes (pings, path MTU, and the pair checks on them):
 * every other host up to MESH_FULL_LIMIT hosts. Above it, the quadratic mesh
 * is sampled: the hosts 1, 2, 4, 8, … places after it in inventory order
 * (wrapping) and the one just before it — ⌈log2 N⌉+1 peers per host, every
 * host probed by as many others, and every host linked to every other by
 * at most ⌈log2 N⌉ probed hops, so a host cut off from the overlay still
 * fails from several sides.
 */
export function meshPeers(inv: Inventory, hostName: string): HostSpec[] {
  const hosts = inv.hosts;
  const i = hosts.findIndex((h) => h.name === hostName);
  if (i === -1) return [];
  if (hosts.length <= MESH_FULL_LIMIT) return hosts.filter((h) => h.name !== hostName);
  const offsets = new Set<number>([hosts.length - 1]);
  for (let o = 1; o < hosts.length; o *= 2) offsets.add(o);
  return [...offsets].sort((a, b) => a - b).map((o) => hosts[(i + o) % hosts.length] as HostSpec);
}

/** Targets a host pings in stage one: its mesh peers' bridge addresses. */
export function meshTargets(inv: Inventory, host: HostSpec): string[] {
  return [...new Set(meshPeers(inv, host.name).map((h) => h.bridgeAddress))];
}

/** The line that separates fping's first round from the confirming one (on stderr). */
export const CONFIRM_MARK = '##CONFIRM';

/**
 * fping the targets in one go (its summary on stderr), or iputils ping in
 * parallel where fping is missing. Targets that lost packets in this one
 * short round get a second short round at once, in the same command, so a
 * loss reported is a loss seen twice (a busy host drops a reply now and then).
 * The second round's timeout is ten times the slowest reply of the first
 * (a measured RTT), between 250 and 700 ms.
 */
export function pingSection(name: string, targets: readonly string[]): Section {
  const list = targets.map(q).join(' ');
  const lossy = `awk '$2==":" { for (i=3;i<=NF;i++) if ($i=="-") { print $1; break } }'`;
  const wait = `awk 'BEGIN{m=0} $2==":" { for (i=3;i<=NF;i++) if ($i!="-" && $i+0>m) m=$i+0 } END{ t=int(m*10); if (t<250) t=250; if (t>700) t=700; print t }'`;
  const fping = [
    `o=$(fping -q -C ${PING_COUNT} -p 100 -t 700 ${list} 2>&1); rc=$?`,
    `printf '%s\n' "$o" >&2`,
    `f=$(printf '%s\n' "$o" | ${lossy})`,
    `if [ -n "$f" ]; then t=$(printf '%s\n' "$o" | ${wait}); echo "${CONFIRM_MARK} -t $t" >&2; set -f; fping -q -C 2 -p 50 -t "$t" $f; rc=$?; fi`,
    'exit $rc',
  ].join('; ');
  const fallback = pingFanOut(
    targets.map((t) => ({
      key: t,
      argv: ['ping', '-n', '-c', String(PING_COUNT), '-i', '0.2', '-W', '1', t],
      confirm: ['ping', '-n', '-c', '2', '-i', '0.2', '-W', '1', t],
    })),
  );
  return {
    name,
    shell: `if command -v fping >/dev/null 2>&1; then ${fping}; else echo 'lxdcheck: fping not found, using ping' >&2; ${fallback}; fi`,
    timeoutSeconds: 10,
    wrapTimeout: false,
  };
}

/**
 * Fold a confirming round into the first: counts add up, and the result
 * says whether the loss was seen again. Targets without a second round are
 * unchanged.
 */
export function withConfirmRound(first: readonly PingResult[], confirm: readonly PingResult[]): PingResult[] {
  const again = new Map(confirm.map((c) => [c.target, c]));
  return first.map((r) => {
    const c = again.get(r.target);
    if (!c) return r;
    const sent = r.sent + c.sent;
    const received = r.received + c.received;
    const merged: PingResult = {
      ...r,
      sent,
      received,
      lossPercent: sent === 0 ? 100 : Math.round(((sent - received) / sent) * 100),
      confirmRound: {
        sent: c.sent,
        received: c.received,
        lostAgain: c.received === 0 || c.received < c.sent,
      },
    };
    if (r.rttAvgMs === undefined && c.rttAvgMs !== undefined) {
      merged.rttMinMs = c.rttMinMs as number;
      merged.rttAvgMs = c.rttAvgMs;
      merged.rttMaxMs = c.rttMaxMs as number;
    }
    if (merged.error === undefined && c.error !== undefined) merged.error = c.error;
    return merged;
  });
}

/**
 * Ping each target in parallel with iputils ping; each job prints its whole
 * block with one printf so blocks never interleave. A job with `confirm`
 * runs it when the first ping failed and prints it as `confirm KEY`.
 */
function pingFanOut(jobs: { key: string; argv: string[]; confirm?: string[] }[]): string {
  const parts = jobs.map((j) => {
    const again = j.confirm
      ? `; if [ $rc -ne 0 ]; then o=$(${j.confirm.map(q).join(' ')} 2>&1); printf '##PING %s rc=%s\\n%s\\n' ${q(`confirm ${j.key}`)} "$?" "$o"; fi`
      : '';
    return `( o=$(${j.argv.map(q).join(' ')} 2>&1); rc=$?; printf '##PING %s rc=%s\\n%s\\n' ${q(j.key)} "$rc" "$o"${again} ) &`;
  });
  return `${parts.join(' ')} wait`;
}

function pmtuArgv(target: string, mtu: number): string[] {
  return ['ping', '-n', '-c', '1', '-W', '1', '-M', 'do', '-s', String(mtu - 28), target];
}

/**
 * The full size and the smallest size of the ladder to every target at
 * once; only where full size fails and the smallest passes, the sizes in
 * between, again in parallel. A target that answers neither is not worth
 * the ladder (mesh.pmtu needs mesh.bridge to pass), so a dead peer costs
 * one wait, not two. A healthy cluster pays two pings per target.
 */
function pmtuProbe(targets: readonly string[]): string {
  const full = PMTU_LADDER[0];
  const smallest = PMTU_LADDER[PMTU_LADDER.length - 1] as number;
  const between = PMTU_LADDER.slice(1, -1);
  const perTarget = targets.map((t) => {
    const block = (mtu: number) =>
      `o=$(${pmtuArgv(t, mtu).map(q).join(' ')} 2>&1); printf '##PING %s rc=%s\\n%s\\n' ${q(`${t} ${mtu}`)} "$?" "$o"`;
    const ladder = pingFanOut(between.map((mtu) => ({ key: `${t} ${mtu}`, argv: pmtuArgv(t, mtu) })));
    const route = `r=$(ip route get ${q(t)} 2>&1); printf '##PING %s rc=0\\n%s\\n' ${q(`${t} route`)} "$r"`;
    return `( b=$( ( ${block(smallest)} ) & ${block(full)}; wait ); printf '%s\\n' "$b"; case "$b" in *${q(`##PING ${t} ${full} rc=0`)}*) ;; *${q(`##PING ${t} ${smallest} rc=0`)}*) ${ladder}; ${route} ;; *) ${route} ;; esac ) &`;
  });
  return `${perTarget.join(' ')} wait`;
}

/** Options of one run that shape the sections (never I/O). */
export interface SectionOptions {
  /**
   * The run's random key (hex) for keyed fingerprints of secrets: the same on
   * every host of one run, fresh for every run, never printed. Without it no
   * fingerprint is taken.
   */
  runKey?: string;
}

const RUN_KEY = /^[0-9a-f]{64}$/;

/**
 * peervpn's own config reading, applied to the psk (config.ic): leading
 * blanks skipped, `#` `;` NUL and CR end a line anywhere, at most 4096
 * bytes a line, trailing blanks trimmed; `psk` followed by blanks or the
 * line's end; the last psk line before `endconfig` wins; the value is cut at
 * 512 bytes. It prints only `psk-hmac-sha256 <hex> python3` or `psk-none`;
 * python's own errors are silenced so no text of the file can leak.
 */
const PSK_HMAC_PY = [
  'import hmac,hashlib,os,re,sys',
  'k=os.environ.get("LXDCHECK_KEY","").encode()',
  'if len(k)<32:',
  ' sys.stderr.write("lxdcheck: no run key\\n");sys.exit(4)',
  'try:',
  ' d=open(sys.argv[1],"rb").read()',
  'except Exception:',
  ' sys.stderr.write("lxdcheck: cannot read the peervpn config\\n");sys.exit(3)',
  'p=None',
  'for l in d.split(b"\\n"):',
  ' l=re.split(b"[#;\\0\\r]",l.lstrip(b" \\t"),1)[0][:4096].rstrip(b" \\t")',
  ' m=re.match(b"(psk|endconfig)(?:[ \\t]+(.*))?$",l,re.S)',
  ' if m and m.group(1)==b"endconfig":break',
  ' if m:p=(m.group(2) or b"")[:512]',
  'print("psk-none" if p is None else "psk-hmac-sha256 "+hmac.new(k,p,hashlib.sha256).hexdigest()+" python3")',
].join('\n');

/** The same reading in awk (LC_ALL=C: bytes), for hosts without python3; NUL and CR become `#` first. */
const PSK_AWK = [
  '{ l=$0; sub(/^[ \\t]+/,"",l); i=index(l,"#"); if(i) l=substr(l,1,i-1); i=index(l,";"); if(i) l=substr(l,1,i-1)',
  'l=substr(l,1,4096); sub(/[ \\t]+$/,"",l)',
  'if (l ~ /^endconfig([ \\t]|$)/) exit',
  'if (l == "psk") { v=""; f=1 } else if (l ~ /^psk[ \\t]/) { v=l; sub(/^psk[ \\t]+/,"",v); v=substr(v,1,512); f=1 } }',
  'END { if (f) printf "%s", v; else exit 5 }',
].join('; ');

/**
 * A keyed fingerprint (HMAC-SHA256 with the run's key) of the psk peervpn
 * really uses, computed on the host: the psk never leaves it, and without
 * the key (which arrives on stdin, see Section.input) the fingerprint cannot
 * be attacked offline. python3 where present, else awk + openssl (whose
 * -hmac puts the key, never the psk, in its argv for a moment).
 */
export function peervpnPskSection(conf: string, runKey: string): Section {
  if (!RUN_KEY.test(runKey)) throw new Error('the run key must be 64 hex digits');
  const shell = [
    `f=${q(conf)}`,
    'if [ ! -r "$f" ]; then echo "lxdcheck: cannot read $f" >&2; exit 3; fi',
    `if command -v python3 >/dev/null 2>&1; then LXDCHECK_KEY="$LXDCHECK_INPUT" python3 -c ${q(PSK_HMAC_PY)} "$f" 2>/dev/null; r=$?; [ $r -ne 0 ] && echo "lxdcheck: python3 failed (exit $r) to fingerprint the psk" >&2; exit $r; fi`,
    `if ! command -v openssl >/dev/null 2>&1; then echo 'lxdcheck: neither python3 nor openssl to fingerprint the psk' >&2; exit 127; fi`,
    `v=$(tr '\\000\\r' '##' < "$f" | awk ${q(PSK_AWK)}); r=$?`,
    'if [ $r -eq 5 ]; then echo psk-none; exit 0; fi',
    'if [ $r -ne 0 ]; then echo "lxdcheck: cannot read $f" >&2; exit 3; fi',
    `h=$(printf '%s' "$v" | openssl dgst -sha256 -hmac "$LXDCHECK_INPUT" 2>/dev/null | sed 's/^.*= *//'); v=`,
    `case "$h" in *[!0-9a-f]*|'') echo 'lxdcheck: openssl gave no HMAC' >&2; exit 4;; esac`,
    'echo "psk-hmac-sha256 $h openssl"',
  ].join('; ');
  return { name: 'overlay-psk', shell, timeoutSeconds: 5, wrapTimeout: false, input: runKey };
}

function peervpnSections(inv: Inventory, opts: SectionOptions): Section[] {
  const o = inv.cluster.overlay;
  const unit = o.unit ?? 'peervpn.service';
  const log = o.logFile
    ? `tail -n 3000 ${q(o.logFile)}`
    : `journalctl ${q(`--unit=${unit}`)} -o cat --no-pager -n 3000`;
  const conf = o.configFile ?? '/etc/peervpn/peervpn.conf';
  const sections: Section[] = [
    { name: 'overlay-log', shell: log, timeoutSeconds: 10 },
    {
      // The psk is removed on the host itself: it never crosses the wire, the recording or a report.
      name: 'overlay-config',
      shell: `sed -E 's/^([[:space:]]*psk)([[:space:]]+).*$/\\1\\2<redacted>/' ${q(conf)}`,
      timeoutSeconds: 5,
    },
    // How long the daemon has run: its log's counts are only read right with the time they cover.
    { name: 'overlay-age', shell: 'ps -o pid=,etimes= -C peervpn', timeoutSeconds: 5 },
  ];
  if (opts.runKey !== undefined) sections.push(peervpnPskSection(conf, opts.runKey));
  return sections;
}

function tincSections(inv: Inventory): Section[] {
  const net = inv.cluster.overlay.network ?? 'lxd';
  const log = inv.cluster.overlay.logFile ?? `/var/log/tinc.${net}.log`;
  // tinc 1.0 has no control socket: note the log size, ask for a node dump,
  // wait (bounded) for its end, then print only the new bytes.
  const dump = [
    `l=${q(log)}`,
    'if [ ! -r "$l" ]; then echo "lxdcheck: no tinc log at $l" >&2; exit 3; fi',
    'n=$(wc -c < "$l")',
    `tincd -n ${q(net)} -kUSR2 || exit 4`,
    'i=0; while [ $i -lt 30 ]; do tail -c +$((n+1)) "$l" | grep -q "End of nodes." && break; sleep 0.1; i=$((i+1)); done',
    'tail -c +$((n+1)) "$l"',
  ].join('; ');
  return [
    { name: 'overlay-dump', shell: `( ${dump} )`, timeoutSeconds: 6, wrapTimeout: false },
    { name: 'overlay-log', shell: `tail -n 300 ${q(log)}`, timeoutSeconds: 5 },
  ];
}

function vxlanSections(inv: Inventory): Section[] {
  return [
    {
      name: 'overlay-fdb',
      shell: `bridge fdb show dev ${q(inv.cluster.overlay.interface)}`,
      timeoutSeconds: 5,
    },
  ];
}

export function overlaySections(inv: Inventory, opts: SectionOptions = {}): Section[] {
  switch (inv.cluster.overlay.type) {
    case 'peervpn':
      return peervpnSections(inv, opts);
    case 'tinc':
      return tincSections(inv);
    case 'vxlan':
      return vxlanSections(inv);
  }
}

/** Units whose state and ordering explain the post-reboot failure. */
export function unitsOfInterest(inv: Inventory): string[] {
  const o = inv.cluster.overlay;
  const vpnUnit =
    o.unit ??
    (o.type === 'peervpn'
      ? 'peervpn.service'
      : o.type === 'tinc'
        ? `tinc@${o.network ?? 'lxd'}.service`
        : '');
  return [vpnUnit, 'lxd.service', 'lxd-bridge.service', 'snap.lxd.daemon.service', 'dnsmasq.service'].filter(
    (u) => u !== '',
  );
}

/**
 * `lxc list` (or `incus list`): the client in use is announced on stderr's
 * first line so container probes use the same one.
 */
function lxcListShell(configured: 'lxc' | 'incus' | undefined): string {
  const clients = configured ? [configured] : ['lxc', 'incus'];
  // Only the fields the checks read leave the host (python3 filters them); without python3 the
  // full list comes back and is reduced the same way on arrival (scrubLxcList), before storing.
  const filter = `python3 -c ${q(LXC_LIST_FILTER_PY)}`;
  const tries = clients
    .map(
      (c) =>
        `if command -v ${c} >/dev/null 2>&1; then echo 'lxdcheck-client: ${c}' >&2; o=$(timeout 15 ${c} list --format json); rc=$?; if [ $rc -ne 0 ]; then printf '%s\\n' "$o"; exit $rc; fi; if command -v python3 >/dev/null 2>&1 && printf '%s\\n' "$o" | ${filter} 2>/dev/null; then exit 0; fi; printf '%s\\n' "$o"; exit 0; fi`,
    )
    .join('; ');
  return `${tries}; echo 'lxdcheck: no LXD client (${clients.join(', ')}) installed' >&2; exit 127`;
}

/** All read-only sections for one host: one SSH round trip gathers them all. */
export function hostSections(inv: Inventory, host: HostSpec, opts: SectionOptions = {}): Section[] {
  const br = inv.cluster.bridge;
  const ov = inv.cluster.overlay.interface;
  const targets = meshTargets(inv, host);
  const sys = (iface: string, file: string) => q(`/sys/class/net/${iface}/${file}`);
  const units = unitsOfInterest(inv);
  const leaseFiles = LEASE_FILES.map((f) => f.replace('BRIDGE', br));
  const lxc = inv.cluster.lxdCommand ?? 'lxc';

  const sections: Section[] = [
    { name: 'hostname', shell: 'hostname', timeoutSeconds: 5 },
    { name: 'uptime', shell: 'cat /proc/uptime', timeoutSeconds: 5 },
    { name: 'links', shell: 'ip -j -d link show', timeoutSeconds: 5 },
    { name: 'addrs', shell: 'ip -j addr show', timeoutSeconds: 5 },
    { name: 'routes', shell: 'ip -j -4 route show table main', timeoutSeconds: 5 },
    { name: 'brif', shell: `ls -1 ${sys(br, 'brif')}`, timeoutSeconds: 5 },
    {
      name: 'sysfs',
      shell: `grep -H . ${sys(br, 'bridge/multicast_snooping')} ${sys(br, 'bridge/multicast_querier')} ${sys(br, 'mtu')} ${sys(ov, 'mtu')} ${sys(ov, 'operstate')}`,
      timeoutSeconds: 5,
    },
    { name: 'brctl', shell: 'brctl show', timeoutSeconds: 5 },
    // Command lines can carry passwords (`--password X`, `sshpass -p X`): redacted on arrival.
    // Each process's real executable too (`##EXE PID PATH`): argv[0] can claim to be dnsmasq.
    // lxdcheck_t (script.ts) bounds each command, as the wrapper does for plain sections.
    {
      name: 'ps',
      shell: `lxdcheck_t 5 ps -eo pid,comm,args; rc=$?; lxdcheck_t 5 sh -c 'ls -l /proc/[0-9]*/exe 2>/dev/null' | sed -n 's|^.* /proc/\\([0-9]*\\)/exe -> \\(/.*\\)$|##EXE \\1 \\2|p'; exit $rc`,
      timeoutSeconds: 5,
      wrapTimeout: false,
      scrub: redactSecrets,
    },
    { name: 'ss-udp', shell: 'ss -H -ulnp', timeoutSeconds: 5 },
    ...overlaySections(inv, opts),
    {
      name: 'systemd',
      shell: `if [ -d /run/systemd/system ]; then systemctl show -p Id,LoadState,ActiveState,SubState,UnitFileState,ExecMainStartTimestampMonotonic,ActiveEnterTimestampMonotonic,After,Requires,Wants,BindsTo -- ${units.map(q).join(' ')}; else echo 'lxdcheck: systemd is not PID 1' >&2; exit 3; fi`,
      timeoutSeconds: 5,
      wrapTimeout: false,
    },
    {
      name: 'journal-vpn',
      shell: `if [ -d /run/systemd/system ]; then journalctl -b -o short-monotonic --no-pager -n 200 ${q(`--unit=${units[0] ?? 'peervpn.service'}`)}; else exit 3; fi`,
      timeoutSeconds: 8,
      wrapTimeout: false,
    },
    { name: 'leases', shell: catFiles(leaseFiles), timeoutSeconds: 5, wrapTimeout: false },
    { name: 'lxd-bridge-default', shell: 'cat /etc/default/lxd-bridge', timeoutSeconds: 5 },
    {
      name: 'lxc-network',
      shell: `if command -v ${q(lxc)} >/dev/null 2>&1; then timeout 10 ${q(lxc)} network show ${q(br)}; else exit 127; fi`,
      timeoutSeconds: 12,
      wrapTimeout: false,
    },
    {
      name: 'lxc-list',
      shell: lxcListShell(inv.cluster.lxdCommand),
      timeoutSeconds: 20,
      wrapTimeout: false,
      scrub: scrubLxcList,
    },
    // After the rest of stage one, so it tells how busy the host was while it answered (and pinged).
    { name: 'load', shell: 'cat /proc/loadavg && nproc', timeoutSeconds: 5, wrapTimeout: false },
  ];

  if (targets.length > 0) {
    sections.push(pingSection('mesh-ping', targets));
    // Its own channel: the path-MTU probes wait in parallel with the mesh pings, not after them.
    sections.push({
      name: 'pmtu',
      shell: pmtuProbe(targets),
      timeoutSeconds: 6,
      wrapTimeout: false,
      group: 'pmtu',
    });
  }
  return sections;
}
