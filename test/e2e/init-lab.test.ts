/**
 * `lxdcheck init` on the real lab, over real SSH, given only the hosts'
 * SSH targets: the file it writes means what `lxdcheck lab inventory`
 * says and the doctor passes with it; with a fault that confuses
 * inference it still writes what it can and names the ambiguity; it never
 * overwrites without --force; unreadable hosts are listed, not guessed.
 * (The real-LXD variant is in scenarios-lxd.test.ts, on that file's lab.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { labBreak, labHeal, labInventoryYaml, labUp } from '../../src/lab/index.js';
import { cli, labForFile, quietLog as log } from '../helpers/e2e.js';
import { assertSameMeaning, initOnLab, labTargets } from '../helpers/init.js';

const { lab, dir, inventoryFile } = await labForFile(
  test,
  { hosts: 3, overlay: 'tinc', lxd: false, containers: 3 },
  'init',
);

lab(
  'tinc lab: init from the SSH targets alone writes the lab inventory, and run passes with it',
  async (t) => {
    const r = await initOnLab(dir, 'tinc');
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /wrote .*tinc\.yaml \(3 of 3 hosts\)/);
    t.notRegex(r.stderr, /need a human/);
    assertSameMeaning(t, r.file, inventoryFile);
    const text = readFileSync(r.file, 'utf8');
    t.regex(text, /type: tinc {3}# \/etc\/tinc\/lxd\/tinc\.conf says Interface = peervpn0 \(every host\)/);
    const run = await cli(['run', '-i', r.file, '--reporter', 'tap'], 60_000);
    t.is(
      run.code,
      0,
      run.stdout
        .split('\n')
        .filter((l) => l.startsWith('not ok'))
        .join('\n'),
    );
  },
);

lab('an existing file is never overwritten without --force', async (t) => {
  const file = join(dir, 'keep.yaml');
  writeFileSync(file, 'mine\n');
  const r = await initOnLab(dir, 'keep');
  t.is(r.code, 2);
  t.regex(r.stderr, /keep\.yaml exists; pass --force/);
  t.is(readFileSync(file, 'utf8'), 'mine\n');
  const forced = await initOnLab(dir, 'keep', ['--force']);
  t.is(forced.code, 0, forced.stderr);
  assertSameMeaning(t, file, inventoryFile);
});

lab('--run: the doctor runs on the new file with the human reporter', async (t) => {
  const r = await initOnLab(dir, 'then-run', ['--run']);
  t.is(r.code, 0, `${r.stderr}\n${r.stdout}`);
  t.regex(r.stdout, /No problems found/);
});

lab('second-dhcp: dhcp is left for a human with both servers named; the rest is written', async (t) => {
  await labBreak('second-dhcp');
  try {
    const r = await initOnLab(dir, 'second-dhcp');
    t.is(r.code, 1, r.stderr);
    t.regex(
      r.stderr,
      /cluster\.dhcp: 2 hosts run a dnsmasq serving DHCP on lxdbr0: lxd1 \(pid \d+, 172\.16\.100\.1,.*lxd2 \(pid \d+, 172\.16\.200\.1,/,
    );
    const text = readFileSync(r.file, 'utf8');
    t.regex(text, /# TODO dhcp: 2 hosts run a dnsmasq/);
    t.regex(text, /bridge: lxdbr0 /);
    t.regex(text, /bridgeAddress: 172\.16\.0\.3 /);
    // Once a human names the DHCP host, the file means what the lab's does.
    writeFileSync(r.file, text.replace('  # dhcp:\n', '  dhcp: lxd1\n'));
    // init leaves the range unset too (it came from the server it could not choose).
    const labNoRange = join(dir, 'lab-no-range.yaml');
    writeFileSync(labNoRange, readFileSync(inventoryFile, 'utf8').replace(/^ {2}dhcpRange: .*\n/m, ''));
    assertSameMeaning(t, r.file, labNoRange);
  } finally {
    await labHeal(log);
  }
});

lab('overlay-not-bridged: the bridge comes from the other hosts and lxd2 is named', async (t) => {
  await labBreak('overlay-not-bridged');
  try {
    const r = await initOnLab(dir, 'not-bridged');
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, /cluster\.bridge: taken from 2 of 3 hosts: on lxd2 peervpn0 is a port of no bridge/);
    t.regex(readFileSync(r.file, 'utf8'), /# CHECK bridge: taken from 2 of 3 hosts/);
    assertSameMeaning(t, r.file, inventoryFile);
  } finally {
    await labHeal(log);
  }
});

lab('a host that cannot be reached is listed, not guessed; none reachable writes nothing', async (t) => {
  // Port 2222 on a lab host: nothing listens there, so the connection is refused.
  const r = await initOnLab(
    dir,
    'partial',
    [],
    ['root@192.168.99.1', 'root@192.168.99.2', 'root@192.168.99.3:2222'],
  );
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /root@192\.168\.99\.3:2222: not read: /);
  const text = readFileSync(r.file, 'utf8');
  t.regex(text, /^ {2}# - ssh: root@192\.168\.99\.3:2222$/m);
  t.is((text.match(/^ {2}- name: /gm) ?? []).length, 2);
  const none = await initOnLab(dir, 'none', [], ['root@192.168.99.3:2222']);
  t.is(none.code, 2);
  t.regex(none.stderr, /no host could be read; nothing written/);
});

lab('vxlan lab: the overlay type comes from the link kind, and run passes', async (t) => {
  const state = await labUp({ hosts: 3, overlay: 'vxlan', lxd: false, containers: 3 }, log);
  const labFile = join(dir, 'lab-vxlan.yaml');
  writeFileSync(labFile, labInventoryYaml(state));
  const r = await initOnLab(dir, 'vxlan', [], labTargets());
  t.is(r.code, 0, r.stderr);
  assertSameMeaning(t, r.file, labFile);
  t.regex(readFileSync(r.file, 'utf8'), /type: vxlan {3}# ip -d link: peervpn0 is a vxlan device/);
  const run = await cli(['run', '-i', r.file, '--reporter', 'tap'], 60_000);
  t.is(
    run.code,
    0,
    run.stdout
      .split('\n')
      .filter((l) => l.startsWith('not ok'))
      .join('\n'),
  );
});
