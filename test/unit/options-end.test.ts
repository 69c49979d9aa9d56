/** Operands are never options: systemctl gets `--`, journalctl `--unit=`, dig `-q`, lease names are DNS labels. */
import test from 'ava';
import { dnsProbeShell, knownNames } from '../../src/facts/host/dns.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { hostSections } from '../../src/facts/sections.js';
import { inventory } from '../helpers/facts.js';

test('systemctl and journalctl cannot read a unit as an option', (t) => {
  const inv = inventory('tinc');
  const sections = hostSections(inv, inv.hosts[0]!);
  const systemd = sections.find((s) => s.name === 'systemd')!.shell;
  t.regex(systemd, /BindsTo -- 'tinc@lxd\.service'|BindsTo -- tinc@lxd\.service/);
  const journal = sections.find((s) => s.name === 'journal-vpn')!.shell;
  t.regex(journal, /--unit=tinc@lxd\.service/);
  t.notRegex(journal, / -u /);
});

test('dig takes the name with -q, and only DNS-label lease hostnames are queried', (t) => {
  t.regex(dnsProbeShell('172.16.0.1', ['c1.lxd']), /-q c1\.lxd -t A/);
  const inv = inventory('tinc');
  const facts = new Map([
    [
      'lxd1',
      {
        leases: [
          {
            file: '/var/lib/misc/dnsmasq.leases',
            leases: [
              { hostname: 'c1' },
              { hostname: '-f/etc/shadow' },
              { hostname: '+short' },
              { hostname: 'ok-2' },
            ],
          },
        ],
      } as unknown as HostFacts,
    ],
  ]);
  t.deepEqual(knownNames(inv, facts), ['c1.lxd', 'ok-2.lxd']);
});
