/**
 * What lxdcheck reads on a host, as script sections. Everything here is
 * read-only except the tinc node dump (SIGUSR2 only makes tincd write its
 * node list to its own log). Every variable part goes through quoteArg.
 */
import type { HostSpec, Inventory } from '../inventory/types.js';
import { redactSecrets } from '../report/redact.js';
import { quoteArg as q } from '../transport/quote.js';
import { LXC_LIST_FILTER_PY, reduceLxcList } from './parsers/lxc.js';
import type { Section } from './script.js';

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

/** Targets a host pings in stage one: every other host's bridge address. */
export function meshTargets(inv: Inventory, host: HostSpec): string[] {
  return [...new Set(inv.hosts.filter((h) => h.name !== host.name).map((h) => h.bridgeAddress))];
}

/** fping the targets in one go (its summary on stderr), or iputils ping in parallel where fping is missing. */
export function pingSection(name: string, targets: readonly string[]): Section {
  const fping = `fping -q -C ${PING_COUNT} -p 200 -t 700 ${targets.map(q).join(' ')}`;
  const fallback = pingFanOut(
    targets.map((t) => ({
      key: t,
      argv: ['ping', '-n', '-c', String(PING_COUNT), '-i', '0.2', '-W', '1', t],
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
 * Ping each target in parallel with iputils ping; each job prints its whole
 * block with one printf so blocks never interleave.
 */
function pingFanOut(jobs: { key: string; argv: string[] }[]): string {
  const parts = jobs.map(
    (j) =>
      `( o=$(${j.argv.map(q).join(' ')} 2>&1); printf '##PING %s rc=%s\\n%s\\n' ${q(j.key)} "$?" "$o" ) &`,
  );
  return `${parts.join(' ')} wait`;
}

function pmtuArgv(target: string, mtu: number): string[] {
  return ['ping', '-n', '-c', '1', '-W', '1', '-M', 'do', '-s', String(mtu - 28), target];
}

/**
 * Full-size probes to every target in parallel; only where full size fails,
 * the smaller sizes of the ladder, again in parallel, so a healthy cluster
 * pays for one ping per target.
 */
function pmtuProbe(targets: readonly string[]): string {
  const [full, ...smaller] = PMTU_LADDER;
  const perTarget = targets.map((t) => {
    const ladder = pingFanOut(smaller.map((mtu) => ({ key: `${t} ${mtu}`, argv: pmtuArgv(t, mtu) })));
    return `( o=$(${pmtuArgv(t, full).map(q).join(' ')} 2>&1); rc=$?; printf '##PING %s rc=%s\\n%s\\n' ${q(`${t} ${full}`)} "$rc" "$o"; if [ $rc -ne 0 ]; then ${ladder}; r=$(ip route get ${q(t)} 2>&1); printf '##PING %s rc=0\\n%s\\n' ${q(`${t} route`)} "$r"; fi ) &`;
  });
  return `${perTarget.join(' ')} wait`;
}

function peervpnSections(inv: Inventory): Section[] {
  const o = inv.cluster.overlay;
  const unit = o.unit ?? 'peervpn.service';
  const log = o.logFile
    ? `tail -n 3000 ${q(o.logFile)}`
    : `journalctl ${q(`--unit=${unit}`)} -o cat --no-pager -n 3000`;
  const conf = o.configFile ?? '/etc/peervpn/peervpn.conf';
  return [
    { name: 'overlay-log', shell: log, timeoutSeconds: 10 },
    {
      // The psk is removed on the host itself: it never crosses the wire, the recording or a report.
      name: 'overlay-config',
      shell: `sed -E 's/^([[:space:]]*psk)([[:space:]]+).*$/\\1\\2<redacted>/' ${q(conf)}`,
      timeoutSeconds: 5,
    },
  ];
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

export function overlaySections(inv: Inventory): Section[] {
  switch (inv.cluster.overlay.type) {
    case 'peervpn':
      return peervpnSections(inv);
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
export function hostSections(inv: Inventory, host: HostSpec): Section[] {
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
    ...overlaySections(inv),
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
  ];

  if (targets.length > 0) {
    sections.push(pingSection('mesh-ping', targets));
    sections.push({ name: 'pmtu', shell: pmtuProbe(targets), timeoutSeconds: 6, wrapTimeout: false });
  }
  return sections;
}
