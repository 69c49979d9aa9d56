/**
 * A canary psk through the whole path a live run takes: the real peervpn
 * sections run by sh through the engine's gather (the run key on stdin),
 * HostFacts, the judges, a recorded bundle. The psk must appear nowhere, nor
 * the run key (with it a fingerprint could be attacked offline).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BUNDLE_FORMAT, writeBundle } from '../../src/bundle/index.js';
import { allChecks } from '../../src/checks/index.js';
import { overlayPeers } from '../../src/checks/overlay-peers.js';
import { overlayPsk } from '../../src/checks/overlay-psk.js';
import { runSections } from '../../src/engine/gather.js';
import { buildHostFacts } from '../../src/facts/build.js';
import { hostSections } from '../../src/facts/sections.js';
import { newRunKey } from '../../src/facts/stages.js';
import type { GatherResult } from '../../src/facts/types.js';
import { parseInventory } from '../../src/inventory/load.js';
import { createLocalTransport } from '../../src/transport/local.js';
import { fixture } from '../helpers/facts.js';

const CANARY = 'CANARY-7d1c-psk-never-leaves';
const OTHER = 'CANARY-0ther-psk-on-lxd3';

test('a canary psk never leaves the host: not in raw outputs, facts, verdicts or the bundle; the odd host is still named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-canary-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'peervpn.conf');
  const invText = `cluster:\n  name: t\n  domain: lxd\n  bridge: lxdbr0\n  subnet: 172.16.0.0/16\n  dhcpRange: 172.16.100.1,172.16.199.254\n  overlay:\n    type: peervpn\n    interface: peervpn0\n    configFile: ${conf}\n  dhcp: lxd1\nhosts:\n${[1, 2, 3].map((n) => `  - name: lxd${n}\n    ssh: root@192.168.99.${n}\n    bridgeAddress: 172.16.0.${n}\n`).join('')}`;
  const inv = parseInventory(invText, 'canary.yaml', { sshConfigText: '' });
  const key = newRunKey();
  const gathers: GatherResult[] = [];
  for (const host of inv.hosts) {
    // The real capture's config, with the canary (a different one on lxd3) in place of its psk.
    const psk = host.name === 'lxd3' ? OTHER : CANARY;
    writeFileSync(conf, fixture('peervpn/conf/h1.conf').replace(/^psk .*$/m, `psk ${psk} ;comment`));
    // Only the peervpn config sections: the rest would read (and ping) this machine.
    const sections = hostSections(inv, host, { runKey: key }).filter((s) =>
      ['overlay-config', 'overlay-psk'].includes(s.name),
    );
    t.is(sections.length, 2);
    const { raw } = await runSections(createLocalTransport(host.name), sections, { timeoutMs: 20_000 });
    gathers.push({ host: host.name, reachable: true, raw, durationMs: 1 });
  }
  const facts = gathers.map((g) => buildHostFacts(inv, inv.hosts.find((h) => h.name === g.host)!, g));
  const ctx = { inventory: inv, hosts: new Map(facts.map((f) => [f.host, f])), options: { strict: true } };
  t.is(facts[0]?.raw['overlay-psk']?.exitCode, 0);
  t.regex(facts[0]?.raw['overlay-config']?.stdout ?? '', /^psk\s+<redacted>$/m);

  const psk = overlayPsk.judge({}, ctx);
  t.is(psk.status, 'fail');
  t.regex(psk.summary, /the pre-shared key \(psk\) on lxd3 differs from the one on lxd1, lxd2/);
  const verdicts = [
    psk,
    ...inv.hosts.map((h) => overlayPeers.judge({ host: h.name }, ctx)),
    ...allChecks.filter((c) => c.scope === 'cluster').map((c) => c.judge({}, ctx)),
  ];

  const bundle = join(dir, 'bundle');
  writeBundle(
    bundle,
    invText,
    {
      format: BUNDLE_FORMAT,
      createdAt: 'now',
      lxdcheckVersion: 'test',
      scenario: 'doctor',
      hosts: ['lxd1', 'lxd2', 'lxd3'],
    },
    gathers,
  );
  const bundleText = readdirSync(join(bundle, 'hosts'))
    .map((f) => readFileSync(join(bundle, 'hosts', f), 'utf8'))
    .join('\n');
  const everything = [
    JSON.stringify(gathers),
    JSON.stringify(facts.map((f) => ({ ...f, units: null }))),
    JSON.stringify(verdicts),
    bundleText,
  ].join('\n');
  for (const secret of [CANARY, OTHER, 'CANARY', key]) t.false(everything.includes(secret), secret);
});
