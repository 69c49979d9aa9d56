/** The TUI's pure parts: the reducer over engine events and keys, the layout, the re-run restriction. */
import test from 'ava';
import { allChecks } from '../../../src/checks/index.js';
import type { PreparedRun } from '../../../src/cli/run.js';
import { detailLines } from '../../../src/cli/tui/detail.js';
import { visibleItems } from '../../../src/cli/tui/items.js';
import { lineText } from '../../../src/cli/tui/lines.js';
import { bodyLines, scrollWindow, verdict } from '../../../src/cli/tui/list.js';
import { cellMetric } from '../../../src/cli/tui/matrix.js';
import { failedCheckIds, initialState, type TuiAction, type TuiState } from '../../../src/cli/tui/model.js';
import { restrictRun } from '../../../src/cli/tui/runner.js';
import { tuiReducer } from '../../../src/cli/tui/state.js';
import { diagnose } from '../../../src/diagnosis/index.js';
import type { RunEvent } from '../../../src/model.js';
import { textWidth } from '../../../src/report/width.js';
import { MEMBER_FAIL, PLAN, planned, result, runEvents, startEvent } from './events.js';

const fold = (events: RunEvent[], s: TuiState = initialState(), at = 10): TuiState =>
  events.reduce((st, event) => tuiReducer(st, { type: 'event', event, at }), s);
const act = (s: TuiState, ...actions: TuiAction[]): TuiState => actions.reduce(tuiReducer, s);
const begun = () => act(initialState(), { type: 'run-begin', at: 0 });

test('run-start plans every instance as waiting; check-start runs it; result finalises it', (t) => {
  let s = fold([startEvent()], begun());
  t.is(s.phase, 'running');
  t.is(s.cluster, 'lab');
  t.deepEqual(s.hosts, ['lxd1', 'lxd2']);
  t.is(s.rows.length, PLAN.length);
  t.true(s.rows.every((r) => r.state === 'waiting'));
  t.deepEqual(s.hostProgress['lxd2'], { state: 'waiting' });
  const p = PLAN[2]!;
  s = fold([{ type: 'check-start', key: p.key, id: p.id, subject: p.subject }], s, 50);
  t.is(s.rows[2]!.state, 'running');
  t.is(s.rows[2]!.startedAt, 50);
  s = fold([{ type: 'result', key: p.key, result: result(p, 'fail', MEMBER_FAIL) }], s);
  t.is(s.rows[2]!.state, 'fail');
  t.is(s.rows[2]!.result?.hint?.fix?.[0], 'ip link set peervpn0 master lxdbr0');
});

test('host gathering: gathering, then ok with its time or unreachable with the error', (t) => {
  const s = fold(
    [
      startEvent(),
      { type: 'host-gather-start', host: 'lxd1' },
      { type: 'host-gather-start', host: 'lxd2' },
      { type: 'host-gather-end', host: 'lxd1', ok: true, durationMs: 321 },
    ],
    begun(),
  );
  t.deepEqual(s.hostProgress['lxd1'], { state: 'ok', durationMs: 321 });
  t.deepEqual(s.hostProgress['lxd2'], { state: 'gathering' });
  const s2 = fold(
    [{ type: 'host-gather-end', host: 'lxd2', ok: false, error: 'timed out', durationMs: 10_000 }],
    s,
  );
  t.deepEqual(s2.hostProgress['lxd2'], { state: 'unreachable', error: 'timed out', durationMs: 10_000 });
});

test('results for keys that were not planned (containers) are added', (t) => {
  const c = {
    key: 'containers.dns c1@lxd1',
    id: 'containers.dns',
    title: 'c1 resolves c2.lxd',
    subject: { host: 'lxd1', container: 'c1' },
  };
  const s = fold([startEvent(), { type: 'result', key: c.key, result: result(c, 'pass') }], begun());
  t.is(s.rows.length, PLAN.length + 1);
  t.is(s.rows.at(-1)!.key, c.key);
  t.is(s.rows.at(-1)!.state, 'pass');
});

test('run-end marks what never got a result as skipped; run-done selects the first failure', (t) => {
  let s = fold(
    [startEvent(), { type: 'run-end', results: [], durationMs: 5, aborted: 'interrupted' }],
    begun(),
  );
  t.true(s.rows.every((r) => r.state === 'skip'));
  t.is(s.aborted, 'interrupted');
  t.regex(verdict(s).text, /Run aborted: interrupted/);

  s = act(fold(runEvents(true), begun()), { type: 'run-done', code: 1, at: 99 });
  t.is(s.phase, 'done');
  t.is(s.exitCode, 1);
  t.is(s.selected, 'p:overlay.member lxd2');
  t.deepEqual(failedCheckIds(s), ['overlay.member', 'mesh.bridge']);
  t.is(verdict(s).text, '✗ Found 2 problems on 1 host');
});

test('verdicts: no issues, warnings only, problems with warnings and skips', (t) => {
  const ok = act(fold(runEvents(false), begun()), { type: 'run-done', code: 0, at: 1 });
  t.is(verdict(ok).text, '✓ No issues found!');
  t.deepEqual(failedCheckIds(ok), []);
  const p = PLAN[1]!;
  const warned = fold([{ type: 'result', key: p.key, result: result(p, 'warn') }], ok);
  t.is(verdict(warned).text, '! No problems found (1 warning)');
  const q = PLAN[4]!;
  const mixed = fold(
    [
      { type: 'result', key: q.key, result: result(q, 'error') },
      { type: 'result', key: PLAN[0]!.key, result: result(PLAN[0]!, 'skip') },
    ],
    warned,
  );
  t.is(verdict(mixed).text, '✗ Found 1 problem on 1 host (1 warning, 1 skipped)');
});

test('moving: clamped at both ends; failures only keeps failed and errored checks', (t) => {
  const s = act(fold(runEvents(true), begun()), { type: 'run-done', code: 1, at: 1 });
  const items = visibleItems(s);
  t.is(items[0]!.key, 'p:overlay.member lxd2');
  t.is(act(s, { type: 'move', delta: -5 }).selected, items[0]!.key);
  t.is(act(s, { type: 'move', delta: 500 }).selected, items.at(-1)!.key);
  t.is(act(s, { type: 'move', delta: 2 }).selected, items[2]!.key);
  const f = act(s, { type: 'move', delta: 1 }, { type: 'toggle-failures' });
  t.true(f.failuresOnly);
  t.deepEqual(
    visibleItems(f).map((i) => i.key),
    ['p:overlay.member lxd2', 'p:mesh.bridge lxd2->lxd1'],
  );
  t.is(f.selected, 'p:mesh.bridge lxd2->lxd1', 'the selection survives the filter');
});

test('views: Enter opens details, back returns, ? toggles help; open needs a selection', (t) => {
  t.is(act(initialState(), { type: 'open' }).view, 'list');
  const s = act(fold(runEvents(true), begun()), { type: 'run-done', code: 1, at: 1 });
  t.is(act(s, { type: 'open' }).view, 'details');
  t.is(act(s, { type: 'open' }, { type: 'back' }).view, 'list');
  t.is(act(s, { type: 'help' }).view, 'help');
  t.is(act(s, { type: 'help' }, { type: 'help' }).view, 'list');
});

test('a re-run resets only its planned checks to waiting and keeps the others', (t) => {
  const s = act(fold(runEvents(true), begun()), { type: 'run-done', code: 1, at: 1 });
  const rerunPlan = PLAN.filter((p) => p.id === 'overlay.member');
  const r = fold([startEvent(rerunPlan)], act(s, { type: 'run-begin', only: ['overlay.member'], at: 2 }));
  t.deepEqual(r.only, ['overlay.member']);
  t.is(r.runs, 2);
  t.is(r.rows.length, PLAN.length);
  for (const row of r.rows) {
    if (row.id === 'overlay.member') t.is(row.state, 'waiting');
    else t.not(row.state, 'waiting', row.key);
  }
  t.is(r.rows.find((x) => x.key === 'mesh.bridge lxd2->lxd1')!.state, 'fail', 'not re-run: still failed');
});

test('matrix cells read loss and RTT from the result', (t) => {
  const s = fold(runEvents(true), begun());
  const cells = s.rows.filter((r) => r.id === 'mesh.bridge').map(cellMetric);
  t.deepEqual(cells, ['0.4ms', '100%']);
  const body = bodyLines(s, { width: 79, spinnerFrame: 0, now: 0 }).map(lineText);
  t.true(
    body.some((l) => /^ {4}lxd2 +✗ 100% +·/.test(l)),
    body.join('\n'),
  );
});

test('wide and combining characters: every list and detail line fits the terminal in columns', (t) => {
  // A title and summary a host could well send: CJK (two columns each), an emoji, combining accents.
  const title =
    '网桥 lxdbr0 没有端口 peervpn0 👍🏽 re\u0301seau de\u0301connecte\u0301 網橋の設定を確認してください';
  const plan = [planned('overlay.member', title, { host: 'lxd1' })];
  const wide = {
    ...MEMBER_FAIL,
    summary: `${'端口没有加入网桥 '.repeat(12)}${'x'.repeat(70)}`,
    expected: '网桥的端口包括 peervpn0',
  };
  const s = fold(runEvents(false, plan), begun());
  const row = s.rows[0]!;
  const failed = { ...row, state: 'fail' as const, result: result(plan[0]!, 'fail', wide) };
  for (const width of [80, 40, 23]) {
    const o = { width, spinnerFrame: 0, now: 0 };
    const body = bodyLines({ ...s, rows: [failed], phase: 'done' }, o).map(lineText);
    const details = detailLines(failed, o).map(lineText);
    for (const l of [...body, ...details]) t.true(textWidth(l) <= width, `${width}: ${textWidth(l)}: ${l}`);
    t.true(
      body.some((l) => l.includes('网桥')),
      body.join('\n'),
    );
    // The details wrap everything, the 70-column word included, rather than cut it off.
    const text = details.join('').replace(/\s+/g, '');
    t.regex(text, /(?<!x)x{70}(?!x)/, details.join('\n'));
    t.is(text.split('端口没有加入网桥').length - 1, 12, details.join('\n'));
  }
});

test('scrollWindow keeps the selected item whole and on screen', (t) => {
  const lines = Array.from({ length: 30 }, (_, i) => ({
    segs: [{ text: `l${i}` }],
    item: `i${Math.floor(i / 3)}`,
    head: i % 3 === 0,
  }));
  t.is(scrollWindow(lines, 'i0', 10, 0), 0);
  t.is(scrollWindow(lines, 'i5', 10, 0), 8, 'lines 15..17 end the window');
  t.is(scrollWindow(lines, 'i5', 10, 12), 12, 'already visible: no jump');
  t.is(scrollWindow(lines, 'i2', 10, 12), 6, 'above: scroll up to its first line');
  t.is(scrollWindow(lines, 'i9', 10, 0), 20, 'never past the end');
});

test('restrictRun keeps the asked checks and what they need, and drops --record', (t) => {
  const prepared = {
    checks: allChecks,
    spec: { checks: allChecks },
    recordDir: '/tmp/should-not-be-overwritten',
  } as unknown as PreparedRun;
  const r = restrictRun(prepared, ['overlay.member']);
  const ids = r.checks.map((c) => c.id);
  t.true(ids.includes('overlay.member'));
  const member = allChecks.find((c) => c.id === 'overlay.member')!;
  t.true((member.needs ?? []).length > 0, 'overlay.member has prerequisites to pull in');
  for (const need of member.needs ?? []) t.true(ids.includes(need), `prerequisite ${need}`);
  t.false(ids.includes('mesh.bridge'));
  t.deepEqual(r.spec.checks, r.checks);
  t.is(r.recordDir, undefined);
  t.is(prepared.checks, allChecks, 'the original is untouched');
});

test('with a diagnosis: root causes lead, consequences fold under them, e unfolds them', (t) => {
  const events = runEvents(true);
  const end = events.at(-1)!;
  if (end.type !== 'run-end') throw new Error('last event is run-end');
  const roles = new Map(allChecks.map((c) => [c.id, c.diagnosis]));
  const { diagnosis, results } = diagnose(end.results, { dhcpHost: 'lxd1', roleOf: (id) => roles.get(id) });
  events[events.length - 1] = { ...end, results, diagnosis };
  let s = act(fold(events, begun()), { type: 'run-done', code: 1, at: 20 });
  t.deepEqual(
    diagnosis.rootCauses.map((c) => [c.key, c.explains]),
    [['overlay.member lxd2', ['mesh.bridge lxd2->lxd1']]],
  );
  const problems = () => visibleItems(s).filter((i) => i.section === 'problems');
  t.deepEqual(
    problems().map((i) => i.key),
    ['p:overlay.member lxd2'],
    'the consequence is folded under its root',
  );
  t.is(verdict(s).text, '✗ Found 1 problem on 1 host, explaining 1 other failure');
  const body = bodyLines(s, { width: 79, spinnerFrame: 0, now: 0 }).map(lineText);
  t.true(
    body.some((l) => l.includes('explains 1 other failure (e: unfold)')),
    body.join('\n'),
  );
  s = act(s, { type: 'toggle-expand' });
  t.deepEqual(
    problems().map((i) => [i.key, i.folded ?? false]),
    [
      ['p:overlay.member lxd2', false],
      ['c:mesh.bridge lxd2->lxd1', true],
    ],
  );
  const unfolded = bodyLines(s, { width: 79, spinnerFrame: 0, now: 0 }).map(lineText);
  const line = unfolded.find((l) => l.includes('↳'));
  t.truthy(line, unfolded.join('\n'));
  t.false(
    unfolded.some((l) => l.includes('fix:') && l.includes('explain overlay')),
    'no fix of its own',
  );
  s = act(s, { type: 'toggle-expand' });
  t.is(problems().length, 1, 'e again folds them');
});
