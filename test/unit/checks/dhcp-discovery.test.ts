/**
 * dhcp.single with the active DHCP discovery: real lab captures of the probe
 * (fixtures/dhcp/) on top of the real healthy host captures the other check
 * tests use.
 */
import test from 'ava';
import { dhcpSingle } from '../../../src/checks/dhcp.js';
import type { RawOutput } from '../../../src/facts/types.js';
import { context, fixture, hostFacts, inventory, section } from '../../helpers/facts.js';

const inv = inventory('tinc');

function hostRaw(n: 1 | 2 | 3, discover?: string): Record<string, RawOutput> {
  return {
    links: section(`ip/healthy-lxd${n}-link.json`),
    addrs: section(`ip/healthy-lxd${n}-addr.json`),
    ps: section(`ps/healthy-lxd${n}-ps-eo-pid-comm-args.txt`),
    'ss-udp': section(`ss/healthy-lxd${n}-ss-ulnp.txt`),
    'mesh-ping': {
      command: 'fping -q -C 3 ...',
      stdout: '',
      stderr: section(`fping/healthy-lxd${n}-c3-q.txt`).stdout,
      exitCode: 0,
    },
    ...(n === 1
      ? {
          leases: section(
            `text:==> /var/lib/misc/dnsmasq.leases <==\n${fixture('dnsmasq/healthy-lxd1-leases.txt')}`,
          ),
        }
      : {}),
    ...(discover ? { 'dhcp-discover': section(discover) } : {}),
  };
}

function judge(raws: Record<string, RawOutput>[]) {
  return dhcpSingle.judge(
    {},
    context(
      inv,
      raws.map((r, i) => hostFacts(inv, `lxd${i + 1}`, r)),
    ),
  );
}

test('healthy: the one dnsmasq alone answers the discovery from lxd2', (t) => {
  const v = judge([hostRaw(1), hostRaw(2, 'dhcp/healthy-lxd2-discover.jsonl'), hostRaw(3)]);
  t.is(v.status, 'pass', v.summary);
  t.regex(v.summary, /a DHCPDISCOVER from lxd2 was answered by lxd1's dnsmasq alone/);
  const ev = v.evidence?.find((e) => e.host === 'lxd2');
  t.regex(
    ev?.excerpt ?? '',
    /server id 172\.16\.0\.1, MAC 02:16:00:00:00:01 on host lxd1 \(MAC of lxd1's lxdbr0\)/,
  );
  t.regex(ev?.note ?? '', /never a request/);
});

const withFdb = (raw: Record<string, RawOutput>, n: number) => ({
  ...raw,
  'dhcp-fdb': section(`dhcp/fault-container-dhcp-c2-lxd${n}-fdb.txt`),
});

test('container-dhcp: the server in c2 is named by address, MAC, the port it sits behind and its lease', (t) => {
  const v = judge([
    withFdb(hostRaw(1), 1),
    withFdb(hostRaw(2, 'dhcp/fault-container-dhcp-c2-lxd2-discover.jsonl'), 2),
    withFdb(hostRaw(3), 3),
  ]);
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /^a DHCP server on c2 \(behind port lxlab-c2 of lxd2; it holds a lease from the one dnsmasq\) answers on lxdbr0: server id 172\.16\.134\.83, MAC 02:00:00:00:00:c2, offered 172\.16\.201\.\d+/,
  );
  t.notRegex(v.summary, /lxd1/, 'the one dnsmasq is not blamed');
  t.is(
    v.hint?.fix?.[0],
    'ip -d link show lxlab-c2   # on lxd2: the veth of the container (or the link to the machine) that runs it',
  );
});

test('container-dhcp without the FDB: still named by address, MAC and lease, with a way to find its host', (t) => {
  const v = judge([hostRaw(1), hostRaw(2, 'dhcp/fault-container-dhcp-c2-lxd2-discover.jsonl'), hostRaw(3)]);
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /^a DHCP server on c2 \(it holds a lease from the one dnsmasq\) answers on lxdbr0: server id 172\.16\.134\.83, MAC 02:00:00:00:00:c2/,
  );
  t.true(v.hint?.fix?.some((f) => f.startsWith('bridge fdb show br lxdbr0 | grep -i 02:00:00:00:00:c2')));
});

test('container-dhcp seen from lxd3: the same server, found across the overlay', (t) => {
  const v = judge([hostRaw(1), hostRaw(2), hostRaw(3, 'dhcp/fault-container-dhcp-c2-lxd3-discover.jsonl')]);
  t.is(v.status, 'fail');
  t.regex(v.summary, /server id 172\.16\.134\.83, MAC 02:00:00:00:00:c2/);
});

test('a server in a real LXD container is named with its container and host (lxc list)', (t) => {
  // Real-LXD lab, fault container-dhcp on lxd2: its probe output, `lxc list` and FDB in the same run.
  const raw1 = hostRaw(1);
  raw1.leases = section(
    'text:==> /var/lib/misc/dnsmasq.leases <==\n1795773180 00:16:3e:8b:3a:42 172.16.187.158 c2 *\n',
  );
  const raw2 = hostRaw(2, 'dhcp/lxd-container-dhcp-c2-lxd2-discover.jsonl');
  raw2['lxc-list'] = section('dhcp/lxd-container-dhcp-lxd2-lxc-list.json');
  raw2['dhcp-fdb'] = section('dhcp/lxd-container-dhcp-c2-lxd2-fdb.txt');
  const v = judge([raw1, raw2, hostRaw(3)]);
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /^a DHCP server in container c2 on lxd2 answers on lxdbr0: server id 172\.16\.187\.158, MAC 00:16:3e:8b:3a:42, offered 172\.16\.201\.\d+/,
  );
  t.true(v.hint?.fix?.some((f) => f.startsWith("lxc exec c2 -- ss -ulnp 'sport = :67'   # on lxd2")));
});

test('second-dhcp on lxd3: the process list names it once; the discovery is its evidence', (t) => {
  const raw3 = hostRaw(3);
  raw3.ps = section('dhcp/fault-second-dhcp-lxd3-ps-eo-pid-comm-args.txt');
  raw3['ss-udp'] = section('dhcp/fault-second-dhcp-lxd3-ss-ulnp.txt');
  const v = judge([hostRaw(1), hostRaw(2, 'dhcp/fault-second-dhcp-lxd3-lxd2-discover.jsonl'), raw3]);
  t.is(v.status, 'fail');
  t.is(v.summary, 'lxd3 also serves DHCP on lxdbr0 (dnsmasq pid 163)');
  t.regex(v.evidence?.find((e) => e.host === 'lxd2')?.excerpt ?? '', /MAC 02:16:00:00:00:03 on host lxd3/);
});

test('second-dhcp on lxd3 that its process list cannot show: the discovery names lxd3 by its bridge MAC', (t) => {
  const v = judge([hostRaw(1), hostRaw(2, 'dhcp/fault-second-dhcp-lxd3-lxd2-discover.jsonl'), hostRaw(3)]);
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /a DHCP server on host lxd3 answers on lxdbr0: server id 172\.16\.0\.3, MAC 02:16:00:00:00:03/,
  );
});

test('the one dnsmasq runs but does not answer: said, with where to look', (t) => {
  const v = judge([hostRaw(1), hostRaw(2, 'dhcp/fault-dns-down-lxd2-discover.jsonl'), hostRaw(3)]);
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /the one dnsmasq on lxd1 did not answer a DHCPDISCOVER sent on lxdbr0 from lxd2 within 4 s/,
  );
  t.true(v.hint?.fix?.some((f) => f.startsWith('on lxd1:')));
});

test('the one dnsmasq stopped: said once, by the process list', (t) => {
  const raw1 = hostRaw(1);
  raw1.ps = section('ps/fault-nodns-lxd1-ps-eo-pid-comm-args.txt');
  raw1['ss-udp'] = section('ss/fault-nodns-lxd1-ss-ulnp.txt');
  const v = judge([raw1, hostRaw(2, 'dhcp/fault-dns-down-lxd2-discover.jsonl'), hostRaw(3)]);
  t.is(v.status, 'fail');
  t.is(v.summary, 'no DHCP server runs on lxd1, the designated DHCP host');
});

test('silence from a prober that cannot reach the DHCP host is not blamed on dnsmasq', (t) => {
  const raw2 = hostRaw(2, 'dhcp/fault-dns-down-lxd2-discover.jsonl');
  raw2['mesh-ping'] = {
    command: 'fping -q -C 3 ...',
    stdout: '',
    stderr: '172.16.0.1 : - - -\n172.16.0.3 : - - -\n',
    exitCode: 1,
  };
  const v = judge([hostRaw(1), raw2, hostRaw(3)]);
  t.is(v.status, 'pass');
  t.regex(v.summary, /could not be heard from lxd2, which does not reach lxd1's bridge/);
});

test('a skipped discovery leaves the verdict to the process lists and says why', (t) => {
  const v = judge([hostRaw(1), hostRaw(2, 'dhcp/skip-not-root-discover.jsonl'), hostRaw(3)]);
  t.is(v.status, 'pass');
  t.regex(v.summary, /active DHCP discovery from lxd2 skipped: needs root or CAP_NET_RAW/);
  const noPython = hostRaw(2);
  noPython['dhcp-discover'] = {
    command: 'python3 -c ...',
    stdout: '',
    stderr: 'sh: 1: python3: not found\n',
    exitCode: 127,
  };
  t.regex(judge([hostRaw(1), noPython, hostRaw(3)]).summary, /skipped: python3 is not installed/);
  const crashed = hostRaw(2);
  crashed['dhcp-discover'] = {
    command: 'python3 -c ...',
    stdout: '',
    stderr: 'Traceback ...\n',
    exitCode: 1,
  };
  const v2 = judge([hostRaw(1), crashed, hostRaw(3)]);
  t.is(v2.status, 'pass', 'the process lists still judge');
  t.regex(v2.summary, /the DHCP discovery from lxd2 failed: exit 1/);
});

test('without a discovery (an older recording), dhcp.single judges as before', (t) => {
  const v = judge([hostRaw(1), hostRaw(2), hostRaw(3)]);
  t.is(v.status, 'pass');
  t.is(v.summary, 'exactly one DHCP server: dnsmasq on lxd1');
});
