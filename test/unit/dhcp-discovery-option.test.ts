/** `--no-dhcp-discovery`: the probe stage leaves the DHCPDISCOVER out (and with it its listening window). */
import test from 'ava';
import { DHCP_DISCOVER_SECTION } from '../../src/facts/dhcp-discovery.js';
import { probeStage } from '../../src/facts/stages.js';
import { hostFacts, inventory } from '../helpers/facts.js';

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
