/**
 * The same container and scenario suite as scenarios-lxd.test.ts, on a lab of real Incus 6.0
 * daemons (`lab up --daemon incus`; the lab inventory names daemon: incus). Kept lean for CI
 * time: one lab, the shared suite (healthy, duplicate-name, dns-down, multicast-blocked,
 * migration), and the detection case: the same lab judged without daemon: in the inventory,
 * where every host has the lxc client (finding no LXD) while incusd holds the containers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { containerSuite, doctor, failing } from '../helpers/container-suite.js';
import { labForFile } from '../helpers/e2e.js';

const { lab, dir, inventoryFile } = await labForFile(
  test,
  { hosts: 3, overlay: 'tinc', lxd: true, daemon: 'incus', containers: 3 },
  'incus',
);

containerSuite({ lab, dir, inventoryFile, daemon: 'incus' });

lab(
  'without daemon: in the inventory, each host is detected as Incus, the daemon holding its containers',
  async (t) => {
    const text = readFileSync(inventoryFile, 'utf8');
    t.regex(text, /^ {2}daemon: incus$/m);
    const plain = join(dir, 'lab-no-daemon.yaml');
    writeFileSync(plain, text.replace(/^ {2}daemon: incus\n/m, ''));
    const o = await doctor({ dir, inventoryFile: plain });
    t.deepEqual(failing(o), []);
    const judged = o.results.filter((r) => r.id === 'containers.daemon');
    t.deepEqual(
      judged.map((r) => [r.subject.host, r.status]),
      [
        ['lxd1', 'pass'],
        ['lxd2', 'pass'],
        ['lxd3', 'pass'],
      ],
    );
    for (const r of judged)
      t.regex(
        r.summary,
        /\(Incus via incus; detected: both lxc \(no answer\) and incus \(1 container\(s\)\) are here; incus holds the containers/,
      );
    // The containers were probed from the inside all the same (in the stage after the detection).
    t.true(o.results.filter((r) => r.id === 'containers.ping-ip').every((r) => r.status === 'pass'));
    t.true(o.results.filter((r) => r.id === 'containers.ping-ip').length >= 6);
  },
);
