/**
 * Record and replay against the real lab: a recorded bundle replays to the
 * same TAP as the live run that recorded it; JSON validates; JUnit has one
 * failure per failed check; planted secrets appear in no bundle file and no
 * report.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { hostExec, labBreak, labHeal } from '../../src/lab/index.js';
import { cli, labForFile, quietLog as log } from '../helpers/e2e.js';
import { resultsSchemaErrors } from '../helpers/results-schema.js';

const { lab, dir, inventoryFile } = await labForFile(
  test,
  { hosts: 3, overlay: 'tinc', lxd: false, containers: 3 },
  'bundle',
);

/** TAP without what legitimately differs between two runs: timings. */
const stable = (tap: string) =>
  tap
    .split('\n')
    .filter((l) => !/^\s*durationMs:/.test(l) && !l.startsWith('# lxdcheck:'))
    .join('\n');

function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((f) => {
    const p = join(root, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

for (const fault of [null, 'service-order', 'second-dhcp'] as const) {
  lab(`replaying a recorded bundle gives the live run's TAP (${fault ?? 'healthy'})`, async (t) => {
    if (fault) await labBreak(fault);
    try {
      const bundle = join(dir, `bundle-${fault ?? 'healthy'}`);
      const junit = join(dir, `${fault ?? 'healthy'}.xml`);
      const json = join(dir, `${fault ?? 'healthy'}.json`);
      const live = await cli([
        'run',
        '-i',
        inventoryFile,
        '--record',
        bundle,
        '--reporter',
        'tap',
        '--reporter',
        `junit:${junit}`,
        '--reporter',
        `json:${json}`,
      ]);
      t.is(live.code, fault ? 1 : 0, live.stderr);
      const replay = await cli(['run', '--replay', bundle, '--reporter', 'tap']);
      t.is(replay.code, live.code);
      t.is(stable(replay.stdout), stable(live.stdout));
      const doc = JSON.parse(readFileSync(json, 'utf8')) as { results: { status: string }[] };
      t.deepEqual(resultsSchemaErrors(doc), []);
      const failed = doc.results.filter((r) => r.status === 'fail' || r.status === 'error').length;
      t.is((readFileSync(junit, 'utf8').match(/<failure /g) ?? []).length, failed);
    } finally {
      if (fault) await labHeal(log);
    }
  });
}

lab('secrets planted on a host appear in no bundle file and no report', async (t) => {
  const psk = 'Psk-9f2c1e7b-DoNotLeak';
  const keyBody = 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw';
  const pem = `-----BEGIN RSA PRIVATE KEY-----\n${keyBody}\n-----END RSA PRIVATE KEY-----\n`;
  // /root and /var/log are private to each lab host: nothing is written on this machine's own.
  await hostExec('lxd1', [
    'sh',
    '-c',
    `printf 'networkname lab\\npsk ${psk}\\ninterface peervpn0\\nport 7000\\n' > /root/peervpn.conf`,
  ]);
  await hostExec('lxd1', [
    'sh',
    '-c',
    `printf '%s' '${pem}' >> /var/log/peervpn.log; echo '[12] 2 peers connected.' >> /var/log/peervpn.log`,
  ]);
  const pvInventory = join(dir, 'peervpn.yaml');
  writeFileSync(
    pvInventory,
    readFileSync(inventoryFile, 'utf8')
      .replace('type: tinc', 'type: peervpn')
      .replace(/ {4}network: lxd\n/, '')
      .replace(
        / {4}logFile: .*\n/,
        '    logFile: /var/log/peervpn.log\n    configFile: /root/peervpn.conf\n',
      ),
  );
  const bundle = join(dir, 'bundle-secrets');
  const reports = ['tap', 'json', 'junit'].map((k) => join(dir, `secrets.${k}`));
  const r = await cli([
    'run',
    '-i',
    pvInventory,
    '--record',
    bundle,
    '--reporter',
    'human',
    '--reporter',
    `tap:${reports[0]}`,
    '--reporter',
    `json:${reports[1]}`,
    '--reporter',
    `junit:${reports[2]}`,
  ]);
  const lxd1 = JSON.parse(readFileSync(join(bundle, 'hosts', 'lxd1.json'), 'utf8')) as {
    raw: Record<string, { stdout: string }>;
  };
  t.regex(
    lxd1.raw['overlay-config']?.stdout ?? '',
    /psk <redacted>/,
    'the config was read, with the psk removed',
  );
  t.regex(lxd1.raw['overlay-log']?.stdout ?? '', /private key redacted/);
  for (const f of [...filesUnder(bundle), ...reports]) {
    const text = readFileSync(f, 'utf8');
    t.false(text.includes(psk), `psk in ${f}`);
    t.false(text.includes(keyBody), `private key in ${f}`);
  }
  t.false(r.stdout.includes(psk) || r.stderr.includes(psk));
});
