import test from 'ava';
import { createHumanReporter, wrapCommand } from '../../../src/report/human.js';
import { textWidth } from '../../../src/report/width.js';
import { events, mixedResults, render, result } from './helpers.js';

const human = (evs: Parameters<typeof render>[1], opts: { color?: boolean; verbose?: boolean } = {}) =>
  render((s) => createHumanReporter(s, { color: opts.color ?? false, verbose: opts.verbose ?? false }), evs);

test('grouped by host with symbols, remediation under problems, and the verdict', async (t) => {
  const out = await human(events(mixedResults()));
  const lines = out.split('\n');
  t.is(lines[0], 'lxdcheck doctor: cluster lab, 3 hosts');
  t.true(lines.includes('Cluster'));
  t.true(lines.includes('lxd2'));
  t.true(lines.includes('  ✓ lxdbr0 exists'));
  t.true(lines.includes('  ✗ peervpn0 is a port of lxdbr0  [overlay.member]'));
  t.true(lines.includes('      peervpn0 is not attached to lxdbr0'));
  t.true(lines.includes('      expected: peervpn0 in the ports of lxdbr0'));
  t.true(lines.includes('      actual:   ports: (none)'));
  t.true(lines.includes('      $ brctl show lxdbr0  (on lxd2, exit 0)'));
  t.true(lines.includes('      fix: brctl addif lxdbr0 peervpn0'));
  t.true(lines.includes('  ! peervpn sees 2 peers'));
  t.true(
    lines.some((l) =>
      l.startsWith('  - lxd1 reaches lxd3 over the overlay (lxd1->lxd3) — skipped: lxd3 # unreach'),
    ),
  );
  t.true(lines.includes('Found 2 problems on 1 host and cluster-wide (1 warning, 1 skipped).'));
  t.false(out.includes('\u001b['), 'no ANSI with color: false');
  for (const l of lines) t.true(textWidth(l) <= 80, `over 80 columns: ${l}`);
  t.false(out.includes('s3cr3t') || out.includes('hunter2'));
});

test('No issues found! when everything passes; color adds ANSI', async (t) => {
  const ok = [result('bridge.exists', { host: 'lxd1' }, 'pass', 'lxdbr0 exists')];
  const out = await human(events(ok));
  t.regex(out, /\nNo issues found!\n/);
  const colored = await human(events(ok), { color: true });
  t.true(colored.includes('\u001b[32m✓\u001b[0m'));
  t.true(colored.includes('\u001b[32mNo issues found!\u001b[0m'));
});

test('verbose shows excerpts (redacted) and why; long lines fit 80 columns', async (t) => {
  const long = result('routes.default', { host: 'lxd1' }, 'fail', `a very long title ${'x'.repeat(120)}`, {
    summary: `word `.repeat(40),
    evidence: [
      {
        host: 'lxd1',
        command: 'ip route',
        exitCode: 0,
        excerpt: `default via 10.0.0.1 ${'y'.repeat(100)}\npsk hidden`,
      },
    ],
    hint: {
      why: 'why '.repeat(30),
      fix: [
        `ip route replace default via 172.16.0.1 dev lxdbr0 metric 100 proto static onlink table main 'quoted arg with spaces'`,
      ],
    },
  });
  const out = await human(events([long]), { verbose: true });
  const lines = out.split('\n');
  for (const l of lines) t.true(textWidth(l) <= 80, `over 80 columns: ${JSON.stringify(l)}`);
  t.true(out.includes('│ psk <redacted>'));
  t.true(out.includes('why why'));
  t.true(
    lines.some((l) => l.endsWith('…')),
    'truncated lines are marked',
  );
  // the wrapped fix is still one shell command, with the quoted argument unbroken
  const fixStart = lines.findIndex((l) => l.startsWith('      fix: '));
  const fix: string[] = [];
  for (
    let i = fixStart;
    i < lines.length && lines[i]!.startsWith('      ') && (i === fixStart || lines[i - 1]!.endsWith(' \\'));
    i++
  )
    fix.push(lines[i]!);
  t.true(fix.length > 1);
  const joined = fix
    .map((l) => l.replace(/ \\$/, '').trim())
    .join(' ')
    .replace(/^fix: /, '');
  t.is(
    joined,
    `ip route replace default via 172.16.0.1 dev lxdbr0 metric 100 proto static onlink table main 'quoted arg with spaces'`,
  );
});

test('wide and combining characters are measured in columns: every line fits 80, nothing is lost from wrapped text', async (t) => {
  // CJK takes two columns, a combining accent none: counted as code points, these lines overflowed.
  const cjk = '网桥没有端口';
  const wide = result('overlay.member', { host: 'lxd2' }, 'fail', `${cjk.repeat(8)} peervpn0`, {
    summary: `${'端口没有加入网桥 '.repeat(14)}re\u0301seau`,
    expected: `${cjk.repeat(10)}`,
    evidence: [
      {
        host: 'lxd2',
        command: `brctl show ${'网桥'.repeat(30)}`,
        exitCode: 0,
        excerpt: `${cjk.repeat(15)}\n`,
      },
    ],
    hint: {
      why: `${'请检查网桥 '.repeat(16)}`,
      fix: [`ip link set peervpn0 master lxdbr0 # ${cjk.repeat(2)}网桥没有`],
    },
  });
  for (const verbose of [false, true]) {
    const out = await human(events([wide]), { verbose });
    const lines = out.split('\n');
    for (const l of lines) t.true(textWidth(l) <= 80, `${textWidth(l)} columns: ${l}`);
    t.true(
      lines.some((l) => l.endsWith('…')),
      'cut lines are marked',
    );
    // The summary is wrapped, not cut: all 14 phrases are there.
    t.is(out.split('端口没有加入网桥').length - 1, 14);
  }
});

test('wrapCommand keeps short commands on one line', (t) => {
  t.deepEqual(wrapCommand('fix: ', 'brctl addif lxdbr0 peervpn0', 80, '     '), [
    'fix: brctl addif lxdbr0 peervpn0',
  ]);
});

test('aborted runs say so', async (t) => {
  const out = await human(events([], { aborted: 'lxd2 unreachable' }));
  t.regex(out, /✗ Run aborted: lxd2 unreachable/);
  t.false(out.includes('No issues found!'));
});

const timings = [
  {
    host: 'lxd2',
    totalMs: 3679,
    stages: [
      { name: 'host', durationMs: 2022 },
      { name: 'probe', durationMs: 1636 },
    ],
    sections: [
      { name: 'dns-probe', stage: 'probe', durationMs: 1610 },
      { name: 'mesh-ping', stage: 'host', durationMs: 1490 },
      { name: 'lxc-list', stage: 'host', durationMs: 20, timedOut: true },
    ],
  },
];

test('--timings ends the report with each host’s stages and slowest sections; off by default', async (t) => {
  const evs = events([result('bridge.exists', { host: 'lxd2' }, 'pass', 'lxdbr0 exists')]);
  const end = evs[evs.length - 1];
  if (end?.type === 'run-end') end.timings = timings;
  const out = await render(
    (s) => createHumanReporter(s, { color: false, verbose: false, timings: true }),
    evs,
  );
  const lines = out.trimEnd().split('\n');
  const at = lines.indexOf('Timings (slowest sections per host)');
  t.true(at > 0);
  t.deepEqual(lines.slice(at + 1), [
    '  lxd2: 3.68 s (host 2.02 s, probe 1.64 s)',
    '      1.61 s  dns-probe [probe]',
    '      1.49 s  mesh-ping [host]',
    '       20 ms  lxc-list [host] (timed out)',
  ]);
  t.false((await human(evs)).includes('Timings'));
});

test('with a diagnosis: the root cause comes first with its fix; in the listing #N and →N lead each line, however long', async (t) => {
  const long = 'x'.repeat(90);
  const root = result('service-order.vpn-after-bridge', { host: 'lxd2' }, 'fail', `the VPN starts ${long}`, {
    root: true,
    summary: 'service order on lxd2: the bridge did not exist',
    hint: { fix: ['ip link set peervpn0 master lxdbr0   # now'] },
  });
  const consequence = result(
    'mesh.bridge',
    { host: 'lxd1', peer: 'lxd2' },
    'fail',
    `lxd1 pings lxd2 ${long}`,
    {
      causedBy: 'service-order.vpn-after-bridge lxd2',
    },
  );
  const evs = events([root, consequence]);
  const end = evs.at(-1)!;
  if (end.type === 'run-end') {
    end.diagnosis = {
      rootCauses: [
        {
          key: 'service-order.vpn-after-bridge lxd2',
          check: 'service-order.vpn-after-bridge',
          host: 'lxd2',
          subject: { host: 'lxd2' },
          status: 'fail',
          summary: 'service order on lxd2: the bridge did not exist',
          fix: ['ip link set peervpn0 master lxdbr0   # now'],
          explains: ['mesh.bridge lxd1->lxd2'],
        },
      ],
    };
  }
  const lines = (await human(evs)).split('\n');
  const first = lines.findIndex((l) => l.startsWith('✗ 1.'));
  t.is(lines[first], '✗ 1.  lxd2: service order on lxd2: the bridge did not exist');
  t.true(lines.slice(first).some((l) => l.includes('fix: ip link set peervpn0 master lxdbr0   # now')));
  t.true(lines.some((l) => l.startsWith('  ✗ #1 the VPN starts xxx')));
  t.true(lines.some((l) => l.startsWith('  ✗ →1 lxd1 pings lxd2 xxx')));
  t.true(lines.includes('Found 1 problem on 1 host, explaining 1 other failure.'));
  // The consequence offers no fix of its own in the listing.
  t.is(lines.filter((l) => l.includes('fix:')).length, 1);
});
