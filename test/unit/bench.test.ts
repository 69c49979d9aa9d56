/** The pure parts of `npm run bench` (bench/lib.ts); the measuring itself needs the lab. */
import test from 'ava';
import {
  formatBroken,
  formatPerHost,
  formatSpread,
  formatTable,
  fpingTimedShell,
  judgeTargets,
  median,
  parseAcceptCount,
  parseBenchArgs,
  parseFpingTiming,
  parseHostSizes,
  type SizeResult,
  spread,
} from '../../bench/lib.js';

test('median and spread: odd, even, unsorted, empty', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.true(Number.isNaN(median([])));
  t.deepEqual(spread([2000, 1800, 2500, 1900, 2100]), { median: 2000, min: 1800, max: 2500, n: 5 });
  const input = [5, 1, 3];
  median(input);
  t.deepEqual(input, [5, 1, 3], 'the input is not sorted in place');
});

test('parseAcceptCount: grep -c output, including 0 lines; anything else is an error', (t) => {
  t.is(parseAcceptCount('7\n'), 7);
  t.is(parseAcceptCount('0\n'), 0);
  t.throws(() => parseAcceptCount(''), { message: /Accepted publickey/ });
  t.throws(() => parseAcceptCount('grep: /var/log/sshd.log: No such file or directory'));
  t.throws(() => parseAcceptCount('3\n4\n'));
});

test('the timed fping: the shell it sends and the line it prints', (t) => {
  const sh = fpingTimedShell(['172.16.0.2', '172.16.0.3']);
  t.true(sh.includes('fping -q -C 3 -p 200 -t 700 172.16.0.2 172.16.0.3;'));
  t.throws(() => fpingTimedShell(['172.16.0.2; reboot']));
  t.deepEqual(parseFpingTiming('172.16.0.2 : 0.10 0.09 0.08\n412 0\n'), { ms: 412, exitCode: 0 });
  t.deepEqual(parseFpingTiming('1107 1'), { ms: 1107, exitCode: 1 });
  t.throws(() => parseFpingTiming('sh: fping: not found'));
});

test('arguments: sizes, runs, manual runs default to runs, unknown flags refused', (t) => {
  t.deepEqual(parseHostSizes('3,10,30'), [3, 10, 30]);
  t.deepEqual(parseHostSizes('10, 3,10'), [10, 3]);
  t.throws(() => parseHostSizes('3,31'));
  t.throws(() => parseHostSizes('1'));
  t.throws(() => parseHostSizes('x'));
  const d = parseBenchArgs([], 'out.json');
  t.deepEqual(d, {
    sizes: [3, 10],
    runs: 5,
    manualRuns: 5,
    lxd: false,
    cliArgs: [],
    brokenRuns: 2,
    faults: null,
    out: 'out.json',
  });
  const o = parseBenchArgs(
    ['--hosts=3', '--runs', '2', '--manual-runs', '0', '--lxd', '--cli-args', '--concurrency 32'],
    'x',
  );
  t.deepEqual(o, {
    sizes: [3],
    runs: 2,
    manualRuns: 0,
    lxd: true,
    cliArgs: ['--concurrency', '32'],
    brokenRuns: 2,
    faults: null,
    out: 'x',
  });
  t.deepEqual(parseBenchArgs(['--broken-runs', '0', '--faults', 'dns-down,mtu'], 'x').faults, [
    'dns-down',
    'mtu',
  ]);
  t.throws(() => parseBenchArgs(['--runs', '0'], 'x'));
  t.throws(() => parseBenchArgs(['--fast'], 'x'), { message: /unknown argument --fast/ });
});

function size(
  hosts: number,
  lx: number,
  manual: number | null,
  floor: number,
  extra: Partial<SizeResult> = {},
): SizeResult {
  const one = (ms: number) => ({ median: ms, min: ms - 100, max: ms + 100, n: 5 });
  const names = Array.from({ length: hosts }, (_, i) => `lxd${i + 1}`);
  return {
    hosts,
    lxdcheck: one(lx),
    manual: manual === null ? null : one(manual),
    floor: one(floor),
    floorSshTrue: one(floor / 2),
    floorPing: one(floor / 2),
    lxdcheckExitCodes: [0, 0, 0, 0, 0, 0],
    manualExitCodes: [0],
    sshConnections: Object.fromEntries(names.map((n) => [n, 1])),
    sectionsPerHost: Object.fromEntries(names.map((n, i) => [n, i === 0 ? 22 : 21])),
    roundTripsPerHost: Object.fromEntries(names.map((n) => [n, 2])),
    stages: 2,
    bundleMismatch: [],
    peakRssKiB: { median: 70_000, min: 69_000, max: 71_000, n: 5 },
    failures: [],
    broken: [],
    ...extra,
  };
}

test('table: seconds with spread, ratios, per-host ranges', (t) => {
  const table = formatTable([size(3, 1890, 18_000, 760), size(10, 2600, 230_000, 1000)]);
  const lines = table.split('\n');
  t.is(lines.length, 4);
  t.regex(lines[0]!, /^\| hosts \| lxdcheck s/);
  t.regex(lines[1]!, /^\|-+\|/);
  t.regex(
    lines[2]!,
    /\| 3 +\| 1\.89 \(1\.79–1\.99\) \| 18\.0 \(17\.9–18\.1\) \| 0\.76 \(0\.66–0\.86\) \| 0\.10 +\| 2\.49 /,
  );
  t.regex(lines[2]!, /\| 1 +\| 21–22 +\| 2 +\| 69 MB +\| 0 +\|$/);
  t.regex(lines[3]!, /\| 230 \(230–230\) +\| 1\.00 \(0\.90–1\.10\) \| 0\.011 /);
  t.is(formatSpread(null), 'n/a');
  t.is(formatSpread({ median: 1500, min: 1500, max: 1500, n: 1 }), '1.50 (1 run)');
  t.is(formatPerHost({}), 'n/a');
});

test('targets: met, missed and not measured', (t) => {
  const startup = {
    version: { median: 120, min: 100, max: 150, n: 10 },
    list: { median: 200, min: 180, max: 250, n: 10 },
  };
  const sizes = [
    size(3, 1890, 18_000, 760),
    size(10, 2600, 230_000, 1000, {
      sshConnections: { lxd1: 1, lxd2: 2 },
      peakRssKiB: { median: 160_000, min: 150_000, max: 170_000, n: 5 },
      lxdcheckExitCodes: [0, 1],
    }),
  ];
  const byName = new Map(judgeTargets(sizes, startup).map((x) => [x.name, x]));
  t.is(byName.get('≥5× faster than the manual way at 3 hosts')?.ok, true);
  t.is(byName.get('≥15× faster than the manual way at 10 hosts')?.ok, true);
  t.is(byName.get('within 2× of the floor at 3 hosts')?.ok, false);
  t.is(byName.get('within 2× of the floor at 10 hosts')?.ok, false);
  t.is(byName.get('exactly one SSH connection per host per run (3 hosts)')?.ok, true);
  const conn = byName.get('exactly one SSH connection per host per run (10 hosts)');
  t.is(conn?.ok, false, 'two hosts counted for ten, one of them twice');
  t.is(byName.get('10-host time ≤ 1.5× the 3-host time')?.ok, true);
  t.is(byName.get('peak memory under 150 MB at 10 hosts')?.ok, false);
  t.is(byName.get('lxdcheck exits 0 on the healthy lab (10 hosts)')?.ok, false);
  t.is(byName.get('--version under 300 ms')?.ok, true);
  const only3 = new Map(judgeTargets([size(3, 1890, null, 760)], null).map((x) => [x.name, x]));
  t.is(only3.get('≥5× faster than the manual way at 3 hosts')?.ok, null);
  t.is(only3.get('10-host time ≤ 1.5× the 3-host time')?.ok, null);
  t.is(only3.get('--version under 300 ms')?.ok, null);
});

test('the broken column: each fault next to the healthy median, with its ratio and a target per fault', (t) => {
  const one = (ms: number) => ({ median: ms, min: ms, max: ms, n: 2 });
  const s = size(3, 1000, null, 500, {
    broken: [
      { fault: 'dns-down', lxdcheck: one(1400), exitCodes: [1, 1], slowest: 'lxd1: dns-probe 0.50' },
      { fault: 'peer-down', lxdcheck: one(2500), exitCodes: [1, 1], slowest: 'lxd3: mesh-ping 1.20' },
    ],
  });
  const table = formatBroken([s]);
  t.regex(table, /dns-down .*1\.40 .*1\.00 .*1\.40/);
  t.regex(table, /peer-down .*2\.50 .*2\.50/);
  const targets = judgeTargets([s], null).filter((x) => x.name.includes('broken run'));
  t.deepEqual(
    targets.map((x) => x.ok),
    [true, false],
  );
});

test('the broken column: with a healthy run right after each fault, the ratio is taken against it, with the load', (t) => {
  const one = (ms: number) => ({ median: ms, min: ms, max: ms, n: 2 });
  const s = size(3, 1000, null, 500, {
    broken: [
      {
        fault: 'peer-down',
        lxdcheck: one(2500),
        exitCodes: [1, 1],
        slowest: 'lxd3: mesh-ping 1.20',
        load: [9.5, 10.1],
        healthyNext: { ms: 2000, code: 0, load: 11 },
      },
    ],
  });
  t.regex(formatBroken([s]), /peer-down .*2\.50 .*1\.00 .*2\.50 .*2\.00 .*1\.25 .*9\.5\/10\.1\/11/);
  const target = judgeTargets([s], null).find((x) => x.name.includes('peer-down'));
  t.is(target?.ok, true, '2.5 s against the 2.0 s right after it, not against the earlier 1.0 s median');
  t.regex(target?.detail ?? '', /right after/);
});
