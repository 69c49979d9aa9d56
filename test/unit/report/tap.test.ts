import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { createTapReporter, escapeDescription } from '../../../src/report/tap.js';
import { createMemorySink } from '../../../src/report/types.js';
import { events, mixedResults, render, result } from './helpers.js';
import { parseStrict } from './tap-parse.js';

const tap = (evs: Parameters<typeof render>[1], version?: 13 | 14) =>
  render((s) => createTapReporter(s, version ? { version } : {}), evs);

const allPass = [
  result('bridge.exists', { host: 'lxd1' }, 'pass', 'lxdbr0 exists'),
  result('overlay.member', { host: 'lxd2' }, 'pass', 'peervpn0 is a port of lxdbr0'),
  result('dhcp.single', {}, 'pass', 'exactly one DHCP server on the L2'),
];

test('all-pass stream: version first, descriptions, trailing plan, strict parse clean', async (t) => {
  const out = await tap(events(allPass));
  const lines = out.trimEnd().split('\n');
  t.is(lines[0], 'TAP version 14');
  t.is(lines[1], 'ok 1 - bridge.exists lxd1: lxdbr0 exists');
  t.is(lines[2], 'ok 2 - overlay.member lxd2: peervpn0 is a port of lxdbr0');
  t.is(lines[3], 'ok 3 - dhcp.single: exactly one DHCP server on the L2');
  t.is(lines.at(-1), '1..3');
  t.is(lines.at(-2), '# lxdcheck: 3 checks, 3 passed, 0 failed, 0 warnings, 0 skipped, 0 errors in 1.2s');
  t.false(out.includes('  ---'), 'passes carry no YAML block');
  const p = await parseStrict(out);
  t.is(p.version, 14);
  t.true(p.final.ok);
  t.is(p.final.count, 3);
  t.is(p.final.pass, 3);
  t.is(p.final.fail, 0);
  t.deepEqual([p.final.plan.start, p.final.plan.end], [1, 3]);
  t.deepEqual(p.extra, []);
  t.deepEqual(p.final.failures, []);
});

test('the version line comes at once; test points and the plan when the run ends, with their causes', (t) => {
  const sink = createMemorySink();
  const r = createTapReporter(sink);
  const [start, first, second, , end] = events(allPass);
  r.onEvent(start!);
  t.is(sink.text, 'TAP version 14\n');
  r.onEvent(first!);
  r.onEvent(second!);
  t.is(sink.text, 'TAP version 14\n', 'points wait for the diagnosis');
  r.onEvent(end!);
  t.true(sink.text.startsWith('TAP version 14\nok 1 - bridge.exists lxd1: lxdbr0 exists\n'));
  // The engine's final list (all three results) wins over the two that arrived.
  t.true(sink.text.endsWith('1..3\n'));
});

test('a consequence carries cause:, a root cause root: true, and a comment names the root first', async (t) => {
  const root = result('overlay.member', { host: 'lxd2' }, 'fail', 'peervpn0 is a port of lxdbr0', {
    root: true,
    hint: { fix: ['ip link set peervpn0 master lxdbr0'] },
  });
  const consequence = result('mesh.bridge', { host: 'lxd1', peer: 'lxd2' }, 'fail', 'lxd1 pings lxd2', {
    causedBy: 'overlay.member lxd2',
  });
  const evs = events([root, consequence]);
  const end = evs.at(-1)!;
  if (end.type === 'run-end') {
    end.diagnosis = {
      rootCauses: [
        {
          key: 'overlay.member lxd2',
          check: 'overlay.member',
          host: 'lxd2',
          subject: { host: 'lxd2' },
          status: 'fail',
          summary: 'peervpn0 is not a port of lxdbr0 on lxd2',
          fix: ['ip link set peervpn0 master lxdbr0'],
          explains: ['mesh.bridge lxd1->lxd2'],
        },
      ],
    };
  }
  const out = await tap(evs);
  const p = await parseStrict(out);
  t.is(p.final.fail, 2);
  const diags = p.asserts.map((a) => a.diag as Record<string, unknown> | undefined);
  t.is(diags[0]?.['root'], true);
  t.is(diags[1]?.['cause'], 'overlay.member lxd2');
  t.regex(
    out,
    /^# root cause 1: peervpn0 is not a port of lxdbr0 on lxd2 \[overlay.member lxd2\]; explains 1 other failing result$/m,
  );
});

test('mixed stream parses strictly with the right counts and no non-TAP lines', async (t) => {
  const out = await tap(events(mixedResults()));
  const p = await parseStrict(out);
  t.deepEqual(p.extra, [], out);
  t.deepEqual(
    p.final.failures.filter((f) => 'tapError' in f && f.tapError),
    [],
    'no TAP errors',
  );
  t.false(p.final.ok);
  t.is(p.final.count, 6);
  // tap-parser counts skips as passes: pass + warn + skip + pass = 4
  t.is(p.final.pass, 4);
  t.is(p.final.fail, 2);
  t.is(p.final.skip, 1);
  t.is(p.final.todo, 0);
  t.deepEqual([p.final.plan.start, p.final.plan.end], [1, 6]);
  t.deepEqual(
    p.asserts.map((a) => [a.id, a.ok]),
    [
      [1, true],
      [2, false],
      [3, true],
      [4, true],
      [5, false],
      [6, true],
    ],
  );
});

test('descriptions: # escaped and read back, newlines flattened, trailing { defused, backslashes kept', async (t) => {
  const out = await tap(events(mixedResults()));
  t.true(out.includes('not ok 5 - dhcp.single: exactly one DHCP server \\# on the L2 second line {}\n'));
  t.true(
    out.includes(
      'ok 4 - mesh.ping lxd1->lxd3: lxd1 reaches lxd3 over the overlay # SKIP lxd3 \\# unreachable over ssh\n',
    ),
  );
  const p = await parseStrict(out);
  t.is(p.asserts[4]!.name, 'dhcp.single: exactly one DHCP server # on the L2 second line {}');
  t.false(p.asserts[4]!.buffered);
  t.is(p.asserts[3]!.name, 'mesh.ping lxd1->lxd3: lxd1 reaches lxd3 over the overlay');
  t.is(p.asserts[3]!.skip, 'lxd3 # unreachable over ssh');
  t.is(p.asserts[5]!.name, 'containers.dns c1@lxd1: c1.lxd resolves \\ backslash');
  t.is(escapeDescription('a\r\nb # c'), 'a b \\# c');
});

test('failure YAML diag round-trips every field (multi-line excerpts as block scalars)', async (t) => {
  const out = await tap(events(mixedResults()));
  t.regex(out, /^ {6}excerpt: \|\n {8}bridge name/m, 'excerpt is a literal block scalar');
  const p = await parseStrict(out);
  const fail = p.asserts[1]!;
  t.deepEqual(fail.diag, {
    id: 'overlay.member',
    host: 'lxd2',
    status: 'fail',
    summary: 'peervpn0 is not attached to lxdbr0',
    expected: 'peervpn0 in the ports of lxdbr0',
    actual: 'ports: (none)',
    evidence: [
      {
        host: 'lxd2',
        command: 'brctl show lxdbr0',
        exitCode: 0,
        excerpt:
          'bridge name\tbridge id\t\tSTP enabled\tinterfaces\nlxdbr0\t\t8000.00163e000001\tno\n---\n...\nkey: "quoted" \'single\'\n',
      },
      {
        host: 'lxd2',
        command: 'cat /etc/peervpn.conf',
        exitCode: 0,
        excerpt: 'networkname lab\npsk <redacted>\ninterface peervpn0\n',
        note: 'upcmd ran before lxdbr0 existed',
      },
    ],
    hint: {
      why: 'Containers on other hosts are unreachable: frames from the VPN never reach the bridge.',
      fix: ['brctl addif lxdbr0 peervpn0', 'systemctl restart peervpn'],
    },
    durationMs: 42,
  });
  const err = p.asserts[4]!;
  t.is(err.diag.status, 'error');
  t.is(err.diag.id, 'dhcp.single');
  t.false('host' in err.diag, 'cluster-wide results have no host');
  t.is(err.diag.evidence[0].exitCode, null);
  // blank lines and a leading space force a one-line double-quoted string; content survives
  t.is(err.diag.evidence[0].excerpt, '  core.trust_password: <redacted>\n\nkey:\n<private key redacted>\n');
});

test('warn is ok with a YAML block (severity: warn), not TODO; skip has a YAML block too', async (t) => {
  const out = await tap(events(mixedResults()));
  t.false(/# TODO/i.test(out));
  const p = await parseStrict(out);
  const warn = p.asserts[2]!;
  t.true(warn.ok);
  t.is(warn.todo, false);
  t.is(warn.diag.status, 'warn');
  t.is(warn.diag.severity, 'warn');
  t.is(warn.diag.evidence[0].excerpt, '[572] 1 peers connected.');
  const skip = p.asserts[3]!;
  t.is(skip.diag.status, 'skip');
  t.is(skip.diag.peer, 'lxd3');
  t.is(skip.diag.summary, 'lxd3 # unreachable\nover ssh\n');
});

test('secrets never reach the TAP stream', async (t) => {
  const out = await tap(events(mixedResults()));
  t.false(out.includes('s3cr3t-overlay-key'));
  t.false(out.includes('hunter2'));
  t.false(out.includes('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ'));
  t.false(out.includes('BEGIN OPENSSH PRIVATE KEY'));
});

test('bail-out: Bail out! line, no plan afterwards, parser sees the bail-out', async (t) => {
  const out = await tap(events(allPass.slice(0, 1), { bailOut: 'inventory invalid: cluster.yaml:3' }));
  t.true(out.includes('Bail out! inventory invalid: cluster.yaml:3\n'));
  t.false(/^1\.\.\d+$/m.test(out));
  const p = await parseStrict(out);
  t.is(p.bailout, 'inventory invalid: cluster.yaml:3');
  t.false(p.final.ok);
});

test('an aborted run-end without bail-out still bails out instead of printing a plan', async (t) => {
  const out = await tap(events(allPass.slice(0, 2), { aborted: 'interrupted (SIGINT)' }));
  t.true(out.endsWith('Bail out! run aborted: interrupted (SIGINT)\n'));
  t.false(/^1\.\./m.test(out));
  t.false((await parseStrict(out)).final.ok);
});

test('finish() without run-end bails out (a crash never looks like success)', async (t) => {
  const sink = createMemorySink();
  const r = createTapReporter(sink);
  const evs = events(allPass);
  r.onEvent(evs[0]!);
  r.onEvent(evs[1]!);
  await r.finish();
  t.true(sink.text.endsWith('Bail out! run did not finish\n'));
  t.true(sink.ended);
});

test('summary comment counts every status', async (t) => {
  const out = await tap(events(mixedResults(), { durationMs: 61_049 }));
  t.true(
    out.includes('# lxdcheck: 6 checks, 2 passed, 1 failed, 1 warnings, 1 skipped, 1 errors in 61.0s\n'),
  );
});

// --- Perl's prove --------------------------------------------------------------------------------------

function proveVersion(): [number, number] | null {
  try {
    const v = execFileSync('prove', ['--version'], { encoding: 'utf8' });
    const m = /TAP::Harness v(\d+)\.(\d+)/.exec(v);
    return m ? [Number(m[1]), Number(m[2])] : null;
  } catch {
    return null;
  }
}

const proveV = proveVersion();
// Test::Harness accepts `TAP version 14` from 3.48 on (2023-10); older ones report a parse error for it alone.
const proveKnows14 = proveV !== null && (proveV[0] > 3 || (proveV[0] === 3 && proveV[1] >= 48));
const proveTest = proveV ? test : test.skip;

function prove(tapText: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-prove-'));
  const file = join(dir, 'run.tap');
  writeFileSync(file, tapText);
  const r = spawnSync('prove', ['-v', '--exec', 'cat', file], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

proveTest('prove: an all-pass stream is PASS', async (t) => {
  const version = proveKnows14 ? 14 : 13;
  const r = prove(await tap(events(allPass), version));
  t.is(r.status, 0, r.out);
  t.regex(r.out, /Result: PASS/);
});

proveTest(
  'prove: a passing stream with warnings and skips (YAML blocks) is PASS with no parse errors',
  async (t) => {
    const version = proveKnows14 ? 14 : 13;
    const rs = mixedResults().map((r) =>
      r.status === 'fail' || r.status === 'error' ? { ...r, status: 'warn' as const } : r,
    );
    const r = prove(await tap(events(rs), version));
    t.is(r.status, 0, r.out);
    t.false(r.out.includes('Parse errors'), r.out);
    t.regex(r.out, /Result: PASS/);
  },
);

proveTest(
  'prove: a failing stream is FAIL (non-zero exit) naming the failed tests, without parse errors',
  async (t) => {
    const version = proveKnows14 ? 14 : 13;
    const r = prove(await tap(events(mixedResults()), version));
    t.not(r.status, 0);
    t.regex(r.out, /Result: FAIL/);
    t.regex(r.out, /Failed tests?:\s+2, 5/);
    t.false(r.out.includes('Parse errors'), r.out);
  },
);

proveTest(
  'prove: TAP version 14 output is accepted, or (Test::Harness < 3.48) rejected only for its version line',
  async (t) => {
    const r = prove(await tap(events(allPass)));
    if (proveKnows14) {
      t.is(r.status, 0, r.out);
    } else {
      const parseErrors = r.out.match(/Parse errors: (.*)/g) ?? [];
      t.deepEqual(parseErrors, [
        "Parse errors: TAP specified version 14 but we don't know about versions later than 13",
      ]);
      t.regex(r.out, /All 3 subtests passed/);
    }
  },
);
