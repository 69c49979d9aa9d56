/**
 * Container checks and scenarios against the lab with real LXD daemons:
 * healthy passes; duplicate-name, dns-down, multicast-blocked and peer-down
 * fail precisely; migration keeps identity, fails on a broken target, and
 * leaves nothing behind when interrupted; post-reboot converges once the
 * service-order fault heals and explains it when it does not.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { hostExec, labBreak, labHeal } from '../../src/lab/index.js';
import { lxcArgv } from '../../src/lab/lxd.js';
import type { CheckResult, Diagnosis } from '../../src/model.js';
import { subjectLabel } from '../../src/model.js';
import { CLI, cli, labForFile, quietLog as log } from '../helpers/e2e.js';
import { assertSameMeaning, initOnLab } from '../helpers/init.js';

const { lab, dir, inventoryFile } = await labForFile(
  test,
  { hosts: 3, overlay: 'tinc', lxd: true, containers: 3 },
  'lxd',
);

interface Doc {
  code: number;
  results: CheckResult[];
  diagnosis: Diagnosis;
}

async function doctor(...extra: string[]): Promise<Doc> {
  const json = join(dir, `r-${Date.now()}.json`);
  const r = await cli([
    'run',
    '-i',
    inventoryFile,
    '--reporter',
    `json:${json}`,
    '--reporter',
    'tap',
    ...extra,
  ]);
  const doc = JSON.parse(readFileSync(json, 'utf8')) as { results: CheckResult[]; diagnosis: Diagnosis };
  return { code: r.code, results: doc.results, diagnosis: doc.diagnosis };
}

/** Exactly one root cause, the fault's, and every container-level failure folded under it. */
function assertOneRoot(t: import('ava').ExecutionContext, o: Doc, check: string, host: string | undefined) {
  t.deepEqual(
    o.diagnosis.rootCauses.map((c) => [c.check, c.host]),
    [[check, host]],
    o.diagnosis.rootCauses.map((c) => c.key).join(', '),
  );
  const root = o.diagnosis.rootCauses[0]?.key;
  for (const r of o.results.filter((x) => x.status === 'fail' || x.status === 'error'))
    t.true(r.root === true || r.causedBy === root, `${key(r)} folded under ${root}`);
}

const key = (r: CheckResult) => `${r.id} ${subjectLabel(r.subject)}`.trim();
const failing = (o: { results: CheckResult[] }) =>
  o.results.filter((r) => r.status === 'fail' || r.status === 'error').map(key);

/** `lxc` on a lab host, talking to that host's own daemon. */
const lxc = (host: string, ...args: string[]) => hostExec(host, lxcArgv({ name: host }, args));

async function probesLeft(): Promise<string[]> {
  const left: string[] = [];
  for (const h of ['lxd1', 'lxd2', 'lxd3']) {
    const r = await lxc(h, 'list', '--format', 'csv', '-c', 'n');
    if (r.exitCode !== 0) throw new Error(`lxc list on ${h} failed: ${r.stderr}`);
    left.push(
      ...r.stdout
        .split('\n')
        .filter((n) => n.startsWith('lxdcheck-probe-'))
        .map((n) => `${n}@${h}`),
    );
  }
  return left;
}

lab('healthy lab with LXD: every container check passes from inside the containers', async (t) => {
  const o = await doctor();
  t.deepEqual(failing(o), []);
  t.is(o.code, 0);
  for (const id of [
    'containers.ping-ip',
    'containers.ping-name',
    'containers.dns',
    'containers.lease',
    'multicast.containers',
  ]) {
    const rs = o.results.filter((r) => r.id === id);
    t.true(rs.length >= 3, `${id} ran`);
    t.true(
      rs.every((r) => r.status === 'pass'),
      `${id} all pass`,
    );
  }
});

lab(
  'init on the LXD lab from the SSH targets alone: the lab inventory plus lxd: lxc, and run passes',
  async (t) => {
    const r = await initOnLab(dir, 'init-lxd');
    t.is(r.code, 0, r.stderr);
    assertSameMeaning(t, r.file, inventoryFile);
    t.regex(readFileSync(r.file, 'utf8'), /lxd: lxc {3}# lxc network list answers \(lxd daemon running\)/);
    const run = await cli(['run', '-i', r.file, '--reporter', 'tap']);
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

lab('duplicate-name: the check names both hosts and the address the name reaches', async (t) => {
  await labBreak('duplicate-name');
  try {
    const o = await doctor();
    const dup = o.results.find((r) => r.id === 'containers.duplicate-name');
    t.is(dup?.status, 'fail');
    t.regex(
      dup?.summary ?? '',
      /c1 exists on lxd1 and lxd2; c1\.lxd resolves to [\d.]+ \(c1@lxd2\), so c1@lxd1 is unreachable by name/,
    );
    t.true(dup?.hint?.fix?.some((f) => f.includes('lxc move c1')) ?? false);
    assertOneRoot(t, o, 'containers.duplicate-name', undefined);
  } finally {
    await labHeal(log);
  }
});

lab('dns-down: by-name checks fail while by-address checks pass', async (t) => {
  await labBreak('dns-down');
  try {
    const o = await doctor();
    const byName = o.results.filter((r) => r.id === 'containers.ping-name');
    const byIp = o.results.filter((r) => r.id === 'containers.ping-ip');
    t.true(byName.length > 0 && byName.every((r) => r.status === 'fail'));
    t.true(byIp.length > 0 && byIp.every((r) => r.status === 'pass'));
    assertOneRoot(t, o, 'dhcp.single', 'lxd1');
  } finally {
    await labHeal(log);
  }
});

lab('multicast-blocked on lxd2: multicast to and from lxd2 fails while unicast passes', async (t) => {
  await labBreak('multicast-blocked', { host: 'lxd2' });
  try {
    const o = await doctor();
    const mc = o.results.filter((r) => r.id === 'multicast.containers');
    const involving2 = mc.filter((r) => r.subject.host === 'lxd2' || r.subject.peer === 'lxd2');
    const others = mc.filter((r) => r.subject.host !== 'lxd2' && r.subject.peer !== 'lxd2');
    t.true(
      involving2.length === 4 && involving2.every((r) => r.status === 'fail'),
      involving2.map((r) => `${key(r)} ${r.status}`).join(', '),
    );
    t.true(others.every((r) => r.status === 'pass'));
    t.true(o.results.filter((r) => r.id === 'containers.ping-ip').every((r) => r.status === 'pass'));
    assertOneRoot(t, o, 'multicast.containers', 'lxd2');
  } finally {
    await labHeal(log);
  }
});

lab('peer-down on lxd3: container pairs across lxd3 fail, the others pass', async (t) => {
  await labBreak('peer-down', { host: 'lxd3' });
  try {
    const o = await doctor();
    const pings = o.results.filter((r) => r.id === 'containers.ping-ip');
    for (const r of pings) {
      const across3 = (r.subject.host === 'lxd3') !== (r.subject.peer === 'lxd3');
      t.is(r.status, across3 ? 'fail' : 'pass', key(r));
    }
    assertOneRoot(t, o, 'overlay.daemon', 'lxd3');
  } finally {
    await labHeal(log);
  }
});

lab('migration keeps MAC, IPv4, DNS and reachability, and deletes its probe', async (t) => {
  const json = join(dir, 'migration.json');
  const r = await cli([
    'run',
    '-i',
    inventoryFile,
    '--scenario',
    'migration',
    '--allow-mutations',
    '--reporter',
    'tap',
    '--reporter',
    `json:${json}`,
  ]);
  const results = (JSON.parse(readFileSync(json, 'utf8')) as { results: CheckResult[] }).results;
  t.is(r.code, 0, results.map((x) => `${x.id} ${x.status} ${x.summary}`).join('\n'));
  t.deepEqual(
    results.map((x) => x.id),
    [
      'migration.launch',
      'migration.move',
      'migration.mac',
      'migration.ipv4',
      'migration.dns',
      'migration.reach-ip',
      'migration.reach-name',
      'migration.cleanup',
    ],
  );
  t.regex(results.find((x) => x.id === 'migration.move')?.summary ?? '', /moved with (stateless|cold|live)/);
  t.deepEqual(await probesLeft(), []);
});

lab('migration without --allow-mutations refuses with exit 2 and says what it would do', async (t) => {
  const r = await cli(['run', '-i', inventoryFile, '--scenario', 'migration']);
  t.is(r.code, 2);
  t.regex(r.stderr, /changes the cluster .*--allow-mutations/);
});

lab('migration to a host whose overlay is down fails naming the broken property', async (t) => {
  await labBreak('peer-down', { host: 'lxd2' });
  try {
    const json = join(dir, 'migration-broken.json');
    const r = await cli([
      'run',
      '-i',
      inventoryFile,
      '--scenario',
      'migration',
      '--allow-mutations',
      '--settle',
      '10s',
      '--reporter',
      `json:${json}`,
    ]);
    t.is(r.code, 1);
    const results = (JSON.parse(readFileSync(json, 'utf8')) as { results: CheckResult[] }).results;
    const failed = results.filter((x) => x.status === 'fail').map((x) => x.id);
    t.true(
      failed.some((id) =>
        ['migration.ipv4', 'migration.dns', 'migration.reach-ip', 'migration.reach-name'].includes(id),
      ),
      failed.join(', '),
    );
    t.is(results.find((x) => x.id === 'migration.cleanup')?.status, 'pass');
    t.deepEqual(await probesLeft(), []);
  } finally {
    await labHeal(log);
  }
});

lab('SIGINT in the middle of a migration leaves no probe container anywhere', async (t) => {
  const child = spawn(
    'node',
    [CLI, 'run', '-i', inventoryFile, '--scenario', 'migration', '--allow-mutations', '--reporter', 'tap'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  // Interrupt once the probe exists (its launch result is out), i.e. during the move.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (/migration\.launch/.test(out)) {
        clearInterval(timer);
        child.kill('SIGINT');
        resolve();
      }
    }, 100);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.is(code, 130);
  t.regex(out, /1\.\.8|Bail out!/);
  t.deepEqual(await probesLeft(), []);
  const again = await cli(['cleanup', '-i', inventoryFile]);
  t.is(again.code, 0);
  t.regex(again.stdout, /lxd1: no probe containers/);
});

lab('post-reboot converges once the service-order fault is healed during the wait', async (t) => {
  await labBreak('service-order', { host: 'lxd2' });
  const healing = new Promise<void>((resolve) => setTimeout(() => void labHeal(log).then(resolve), 6000));
  const r = await cli([
    'run',
    '-i',
    inventoryFile,
    '--scenario',
    'post-reboot',
    '--wait',
    '90s',
    '--interval',
    '2s',
    '--reporter',
    'tap',
  ]);
  await healing;
  t.is(r.code, 0, r.stdout.slice(0, 2000));
  t.regex(r.stdout, /# round 1 .*failing \(.*overlay\.member lxd2/);
  t.regex(r.stdout, /# round \d+ after \d+ s: everything passes/);
  // The wait's story: the root cause, when it was seen, and that it went away during the wait.
  t.regex(
    r.stdout,
    /# root cause service-order\.vpn-after-bridge lxd2: first seen in round 1 \(\d+ s\), last in round \d+ \(\d+ s\), then healed by itself/,
  );
});

lab(
  'post-reboot with the fault left in place ends at its deadline and leads with the service-order diagnosis',
  async (t) => {
    await labBreak('service-order', { host: 'lxd2' });
    try {
      const r = await cli([
        'run',
        '-i',
        inventoryFile,
        '--scenario',
        'post-reboot',
        '--wait',
        '6s',
        '--interval',
        '2s',
        '--reporter',
        'tap',
      ]);
      t.is(r.code, 1);
      const comments = r.stdout.split('\n').filter((l) => l.startsWith('# '));
      t.regex(comments[0] ?? '', /post-reboot: not converged after \d+ s/);
      t.regex(comments.join('\n'), /service order on lxd2: .*bridge did not exist/);
      t.regex(comments.join('\n'), /fix: ip link set peervpn0 master lxdbr0/);
    } finally {
      await labHeal(log);
    }
  },
);

lab(
  'multicast: a host with no container to take part is skipped without --allow-mutations; with it a probe is launched and removed',
  async (t) => {
    t.is((await lxc('lxd3', 'stop', 'c3')).exitCode, 0);
    try {
      const plain = join(dir, 'mc-plain.json');
      const r1 = await cli([
        'run',
        '-i',
        inventoryFile,
        '--scenario',
        'multicast',
        '--reporter',
        `json:${plain}`,
        '--reporter',
        'tap',
      ]);
      t.regex(r1.stdout, /# no container with python3 on lxd3: .*--allow-mutations/);
      const before = (JSON.parse(readFileSync(plain, 'utf8')) as { results: CheckResult[] }).results.filter(
        (r) => r.id === 'multicast.containers',
      );
      t.true(
        before.every((r) => r.subject.host !== 'lxd3' && r.subject.peer !== 'lxd3'),
        'no pair with lxd3 without a participant',
      );
      const json = join(dir, 'mc.json');
      const r2 = await cli([
        'run',
        '-i',
        inventoryFile,
        '--scenario',
        'multicast',
        '--allow-mutations',
        '--reporter',
        `json:${json}`,
        '--reporter',
        'tap',
      ]);
      t.is(r2.code, 0, r2.stdout.slice(0, 3000));
      t.regex(
        r2.stdout,
        /# multicast will create container lxdcheck-probe-[0-9a-f]{6} on lxd3 from image \S+ \(no container there has python3\), and delete it/,
      );
      const mc = (JSON.parse(readFileSync(json, 'utf8')) as { results: CheckResult[] }).results.filter(
        (r) => r.id === 'multicast.containers',
      );
      const with3 = mc.filter((r) => r.subject.host === 'lxd3' || r.subject.peer === 'lxd3');
      t.is(with3.length, 4);
      t.true(
        with3.every((r) => r.status === 'pass'),
        with3.map((r) => `${key(r)} ${r.status} ${r.summary}`).join('; '),
      );
      t.deepEqual(await probesLeft(), []);
    } finally {
      await lxc('lxd3', 'start', 'c3');
    }
  },
);
