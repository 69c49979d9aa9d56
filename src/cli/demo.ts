/**
 * `lxdcheck demo`: the whole story on this machine, for someone with no
 * cluster at hand: build the lab, check it over SSH, break it the way
 * reboots break real clusters, check again, heal, tear down.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import type { FaultName } from '../lab/index.js';
import { labBreak, labDown, labHeal, labInventoryYaml, labUp } from '../lab/index.js';
import { createReporters } from '../report/spec.js';
import { wantColor } from './args.js';
import { executeRun, parseRunArgs, prepareRun } from './run.js';

const HELP = `lxdcheck demo [--no-lxd] [--hosts N] [--overlay peervpn|tinc|vxlan] [--fault NAME] [--keep]

Build the lab (3 hosts, real LXD containers unless --no-lxd; by default the
seed's overlay: peervpn, played by the lab's peervpn stand-in), run lxdcheck
against it over SSH, inject a fault (default: service-order, the post-reboot
failure), run again to show the diagnosis and its fix, heal, and tear down
(unless --keep). Needs root. Exit code: 0 when the healthy run passed and the
fault was detected.
`;

export async function demoCommand(argv: string[]): Promise<number> {
  let v: {
    'no-lxd': boolean;
    hosts: string;
    overlay: string;
    fault: string;
    keep: boolean;
    help: boolean;
  };
  try {
    v = parseArgs({
      args: argv,
      options: {
        'no-lxd': { type: 'boolean', default: false },
        hosts: { type: 'string', default: '3' },
        overlay: { type: 'string', default: 'peervpn' },
        fault: { type: 'string', default: 'service-order' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values as typeof v;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (v.overlay !== 'peervpn' && v.overlay !== 'tinc' && v.overlay !== 'vxlan')
    throw new UsageError('--overlay must be peervpn, tinc or vxlan');
  const overlay = v.overlay;
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-demo-'));
  const inventory = join(dir, 'lab.yaml');
  // Each run also leaves a self-contained HTML report (the map, the diagnosis) to open in a browser.
  const check = async (title: string, name: string) => {
    const html = join(dir, name, 'report.html');
    say(`\n=== ${title}: lxdcheck run -i ${inventory} --reporter human --reporter html:${html}\n`);
    const prepared = prepareRun(parseRunArgs(['-i', inventory]));
    const page = { kind: 'html', path: html } as const;
    const reporters = createReporters([{ kind: 'human', path: null }, page], {
      color: wantColor(false),
      verbose: false,
    });
    return (await executeRun(prepared, reporters)).code;
  };
  try {
    say('=== building the lab (lxdcheck lab up)');
    let state: Awaited<ReturnType<typeof labUp>>;
    try {
      state = await labUp({ hosts: Number(v.hosts), overlay, lxd: !v['no-lxd'] }, (l) => say(`  ${l}`));
    } catch (e) {
      // Not lxdcheck's verdict: the lab itself did not come up (its tinc mesh, after two restarts).
      const message = (e as Error).message;
      say(`\nlxdcheck demo: the lab did not come up: ${message}`);
      if (/unhealthy|timed out/.test(message))
        say('It is torn down below; run the demo again (a fresh build usually comes up).');
      return 1;
    }
    writeFileSync(inventory, labInventoryYaml(state));
    const healthy = await check('a healthy cluster', 'healthy');
    say(`\n=== breaking it: lxdcheck lab break ${v.fault}`);
    say(`  ${await labBreak(v.fault as FaultName)}`);
    const broken = await check(`the same cluster with the ${v.fault} fault`, 'broken');
    say('\n=== healing: lxdcheck lab heal');
    await labHeal((l) => say(`  ${l}`));
    say(`\nhealthy run exit ${healthy} (expected 0), faulty run exit ${broken} (expected 1)`);
    say(`HTML reports: ${join(dir, 'healthy', 'report.html')} and ${join(dir, 'broken', 'report.html')}`);
    return healthy === 0 && broken === 1 ? 0 : 1;
  } finally {
    if (v.keep) say(`\nthe lab is still up; inventory: ${inventory}; tear down with: lxdcheck lab down`);
    else {
      say('\n=== tearing down (lxdcheck lab down)');
      await labDown((l) => say(`  ${l}`));
    }
  }
}
