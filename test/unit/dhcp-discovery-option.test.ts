/** `--no-dhcp-discovery`: the probe stage leaves the DHCPDISCOVER out (and with it its listening window). */
import test from 'ava';
import { DHCP_DISCOVER_SECTION, DHCP_FDB_SECTION } from '../../src/facts/dhcp-discovery.js';
import { probeStage, readOnlyStages } from '../../src/facts/stages.js';
import { fixture, hostFacts, inventory, section } from '../helpers/facts.js';

test('the prober sends the DISCOVER by default, and not with dhcpDiscovery: false', (t) => {
  const inv = inventory('tinc');
  // Every host answered stage one (nothing read): the first host other than the DHCP host probes.
  const facts = new Map(inv.hosts.map((h) => [h.name, hostFacts(inv, h.name, {})]));
  const names = (o: Parameters<typeof probeStage>[0]) =>
    inv.hosts.flatMap((h) =>
      probeStage(o)
        .sections(inv, h, facts)
        .map((s) => `${h.name} ${s.name}`),
    );
  t.deepEqual(
    names({}).filter((n) => n.endsWith(DHCP_DISCOVER_SECTION)),
    [`lxd2 ${DHCP_DISCOVER_SECTION}`],
  );
  t.deepEqual(
    names({ dhcpDiscovery: false }).filter((n) => n.endsWith(DHCP_DISCOVER_SECTION)),
    [],
  );
});

test('with running containers on two hosts the discovery waits for the multicast stage (own group) and the FDB is read after it', (t) => {
  const inv = inventory('tinc');
  const list = (names: string[]) => ({
    ...section('lxc/lxd-running-list.json'),
    stdout: JSON.stringify(
      (JSON.parse(fixture('lxc/lxd-running-list.json')) as { name: string }[])
        .slice(0, 1)
        .flatMap((c) => names.map((name) => ({ ...c, name }))),
    ),
    stderr: 'lxdcheck-client: lxc\n',
  });
  const withContainers = new Map(
    inv.hosts.map((h, i) => [h.name, hostFacts(inv, h.name, { 'lxc-list': list([`c${i + 1}`]) })]),
  );
  const stages = readOnlyStages();
  const at = (stage: string, facts: Map<string, ReturnType<typeof hostFacts>>) =>
    inv.hosts.flatMap((h) =>
      (stages.find((s) => s.name === stage)?.sections(inv, h, facts) ?? []).map(
        (s) => `${h.name} ${s.name}${s.group ? ` [${s.group}]` : ''}`,
      ),
    );
  t.false(at('probe', withContainers).some((n) => n.includes(DHCP_DISCOVER_SECTION)));
  t.deepEqual(
    at('multicast', withContainers).filter((n) => n.includes(DHCP_DISCOVER_SECTION)),
    [`lxd2 ${DHCP_DISCOVER_SECTION} [${DHCP_DISCOVER_SECTION}]`],
  );
  t.deepEqual(at('dhcp-fdb', withContainers), []);
  // Once the discovery ran (its raw output is in the facts), the confirm stage reads every FDB, once.
  const probed = new Map(withContainers);
  probed.set(
    'lxd2',
    hostFacts(inv, 'lxd2', {
      'lxc-list': list(['c2']),
      [DHCP_DISCOVER_SECTION]: { command: 'python3 …', stdout: '', stderr: '', exitCode: 0 },
    }),
  );
  t.deepEqual(
    at('multicast-confirm', probed).filter((n) => n.includes(DHCP_FDB_SECTION)),
    inv.hosts.map((h) => `${h.name} ${DHCP_FDB_SECTION}`),
  );
  t.false(
    at('multicast', probed).some((n) => n.includes(DHCP_DISCOVER_SECTION)),
    'never twice',
  );

  // Containers on one host only: no multicast window to share, the probe stage asks as before.
  const oneHost = new Map(
    inv.hosts.map((h) => [
      h.name,
      hostFacts(inv, h.name, h.name === 'lxd1' ? { 'lxc-list': list(['c1']) } : {}),
    ]),
  );
  t.deepEqual(
    at('probe', oneHost).filter((n) => n.includes(DHCP_DISCOVER_SECTION)),
    [`lxd2 ${DHCP_DISCOVER_SECTION} [${DHCP_DISCOVER_SECTION}]`],
  );
});
