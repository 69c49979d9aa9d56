/** @jsxRuntime automatic */
/** @jsxImportSource react */
import test from 'ava';

// ink instances share React's scheduler: run these one at a time.
import { render } from 'ink-testing-library';
import { App } from '../../../src/cli/tui/app.js';
import type { TuiState } from '../../../src/cli/tui/model.js';
import { textWidth } from '../../../src/report/width.js';
import { FakeRunner, FIX, PLAN, plain, runEvents, startEvent, tick } from './events.js';

function mount(opts: { color?: boolean; width?: number; height?: number } = {}) {
  const fake = new FakeRunner();
  let clock = 1_000;
  const states: TuiState[] = [];
  const app = render(
    <App
      runner={fake.runner}
      color={opts.color ?? false}
      width={opts.width ?? 80}
      height={opts.height ?? 40}
      now={() => clock}
      tickMs={0}
      onState={(s) => states.push(s)}
    />,
  );
  const advance = (ms: number) => {
    clock += ms;
  };
  const frame = () => plain(app.lastFrame());
  return { app, fake, advance, frame, states };
}

async function press(app: ReturnType<typeof render>, ...keys: string[]) {
  for (const k of keys) {
    app.stdin.write(k);
    await tick(app);
  }
}

test.serial(
  'while running: waiting rows, a spinner on the running check, gathering hosts and elapsed time',
  async (t) => {
    const { app, fake, advance, frame } = mount();
    await tick(app);
    t.is(fake.calls.length, 1);
    t.is(fake.calls[0]!.only, undefined);
    fake.emit(
      startEvent(),
      { type: 'host-gather-start', host: 'lxd1' },
      { type: 'host-gather-start', host: 'lxd2' },
    );
    fake.emit({
      type: 'host-gather-end',
      host: 'lxd2',
      ok: false,
      error: 'connect ECONNREFUSED',
      durationMs: 12,
    });
    const p = PLAN[0]!;
    fake.emit({ type: 'check-start', key: p.key, id: p.id, subject: p.subject });
    advance(2500);
    await tick(app);
    const f = frame();
    t.regex(f, /lxdcheck doctor · lab · doctor · 2 hosts/);
    t.regex(f, /⠋ 2\.5s/, 'header spinner and elapsed time');
    t.regex(f, /lxd1: gathering…/);
    t.regex(f, /lxd2 unreachable: connect ECONNREFUSED/);
    t.regex(f, /⠋ lxd1 answers over SSH 2\.5s/, 'the running check spins and shows its elapsed time');
    t.regex(f, /· bridge lxdbr0 exists/, 'planned checks wait');
    t.regex(f, /8 to go/);
    t.notRegex(f, /No issues found|Found \d+ problem/, 'no verdict while running');
    app.unmount();
  },
);

test.serial('all passed: "No issues found!", the counts, and the pair matrix with RTTs', async (t) => {
  const { app, fake, frame } = mount();
  await tick(app);
  fake.emit(...runEvents(false));
  fake.end(0);
  await tick(app);
  const f = frame();
  t.regex(f, /✓ No issues found!/);
  t.regex(f, /✓ 8 {2}✗ 0 {2}! 0 {2}- 0/);
  t.regex(f, /mesh\.bridge {2}2\/2 pass/);
  t.regex(f, /lxd1 +· +✓ 0\.4ms/, 'row lxd1: itself, then lxd2 with its RTT');
  t.regex(f, /lxd2 +✓ 0\.4ms +·/);
  t.regex(f, /lxd1 {2}gathered in 420ms/);
  t.notRegex(f, /fix:/);
  app.unmount();
});

test.serial(
  'failed: the verdict, failures first with summary, evidence and the fix line; the matrix shows the loss',
  async (t) => {
    const { app, fake, frame } = mount();
    await tick(app);
    fake.emit(...runEvents(true));
    fake.end(1);
    await tick(app);
    const f = frame();
    t.regex(f, /✗ Found 2 problems on 1 host/);
    const lines = f.split('\n');
    const verdictAt = lines.findIndex((l) => l.includes('Found 2 problems'));
    const failAt = lines.findIndex((l) =>
      l.includes('✗ lxd2  peervpn0 is a port of lxdbr0  [overlay.member]'),
    );
    const treeAt = lines.findIndex((l) => l.startsWith(' lxd1'));
    t.true(verdictAt >= 0 && failAt > verdictAt && treeAt > failAt, 'verdict, then failures, then the tree');
    t.true(lines[failAt]!.startsWith('›'), 'the first failure is selected');
    t.regex(f, /peervpn0 is not a port of lxdbr0 on lxd2/);
    t.regex(f, /\$ brctl show {2}\(on lxd2, exit 0\)/);
    t.regex(f, /│ bridge name {2}bridge id/);
    t.true(f.includes(`fix: ${FIX}`));
    t.regex(f, /lxd2 +✗ 100% +·/, 'the lost pair shows its loss in the matrix');
    app.unmount();
  },
);

test.serial('keys: j/k move, Enter opens details and back, f filters failures, ? help', async (t) => {
  const { app, fake, frame, states } = mount();
  await tick(app);
  fake.emit(...runEvents(true));
  fake.end(1);
  await tick(app);
  const selected = () => states.at(-1)!.selected;
  t.is(selected(), 'p:overlay.member lxd2');
  await press(app, 'j');
  t.is(selected(), 'p:mesh.bridge lxd2->lxd1');
  t.regex(frame(), /^› +✗ lxd2->lxd1 {2}lxd2 pings lxd1's bridge/m);
  await press(app, 'j');
  t.is(selected(), 't:ssh.reachable lxd1');
  await press(app, 'k', 'k');
  t.is(selected(), 'p:overlay.member lxd2');
  await press(app, '\u001b[B'); // arrow down
  t.is(selected(), 'p:mesh.bridge lxd2->lxd1');
  await press(app, '\u001b[A'); // arrow up

  await press(app, '\r');
  let f = frame();
  t.regex(f, /expected: peervpn0 among the ports of lxdbr0/);
  t.regex(f, /actual: {3}ports of lxdbr0: \(none\)/);
  t.regex(f, /Evidence/);
  t.regex(f, /why: Frames from other hosts never reach this bridge\./);
  t.true(f.includes(`fix: ${FIX}`));
  t.notRegex(f, /Found 2 problems/, 'details replace the list');
  await press(app, '\r');
  t.regex(frame(), /Found 2 problems/, 'Enter goes back');
  await press(app, '\r', '\u001b');
  await tick(app, 100); // ink waits briefly to tell a lone Esc from an escape sequence
  t.regex(frame(), /Found 2 problems/, 'Esc goes back');

  await press(app, 'f');
  f = frame();
  t.regex(f, /\[failures only\]/);
  t.regex(f, /overlay\.member/);
  t.notRegex(f, /bridge lxdbr0 exists/, 'passing checks are hidden');
  t.notRegex(f, /^ lxd1/m, 'no tree');
  await press(app, 'f');
  t.regex(frame(), /bridge lxdbr0 exists/);

  await press(app, '?');
  t.regex(frame(), /re-run the failed checks only/);
  await press(app, 'x');
  t.regex(frame(), /Found 2 problems/);
  app.unmount();
});

test.serial(
  'r re-runs exactly the failed check ids, keeps the other results, and updates the verdict',
  async (t) => {
    const { app, fake, frame } = mount();
    await tick(app);
    fake.emit(...runEvents(true));
    fake.end(1);
    await tick(app);
    await press(app, 'r');
    t.is(fake.calls.length, 2);
    t.deepEqual(fake.calls[1]!.only, ['overlay.member', 'mesh.bridge']);
    t.regex(frame(), /re-run 2 failed/);
    // The re-run plans the failed checks (and what they need) and now they pass.
    const rerunPlan = PLAN.filter((p) => ['ssh.reachable', 'overlay.member', 'mesh.bridge'].includes(p.id));
    fake.emit(...runEvents(false, rerunPlan));
    fake.end(0);
    await tick(app);
    const f = frame();
    t.regex(f, /✓ No issues found!/);
    t.regex(f, /✓ 8 {2}✗ 0/, 'checks not re-run keep their results');
    await press(app, 'r');
    t.is(fake.calls.length, 2, 'nothing failed: no new run');
    t.regex(frame(), /nothing to re-run/);
    app.unmount();
  },
);

test.serial('r while a run is in progress does not start another', async (t) => {
  const { app, fake, frame } = mount();
  await tick(app);
  fake.emit(startEvent());
  await press(app, 'r');
  t.is(fake.calls.length, 1);
  t.regex(frame(), /a run is in progress/);
  app.unmount();
});

test.serial('q during a run aborts it first; Ctrl-C too', async (t) => {
  for (const k of ['q', '\u0003']) {
    const { app, fake } = mount();
    await tick(app);
    fake.emit(startEvent());
    t.false(fake.calls[0]!.signal.aborted);
    await press(app, k);
    t.true(fake.calls[0]!.signal.aborted, `${JSON.stringify(k)} aborts the run`);
    app.unmount();
  }
});

test.serial('a runner that throws shows its error as the verdict', async (t) => {
  const app = render(
    <App
      runner={async () => Promise.reject(new Error('lxd cluster lab is locked by pid 42'))}
      color={false}
      width={80}
      height={20}
      tickMs={0}
    />,
  );
  await tick(app);
  t.regex(plain(app.lastFrame()), /✗ The run failed: lxd cluster lab is locked by pid 42/);
  app.unmount();
});

test.serial(
  'fits the width: 80 columns and a narrow 40-column terminal truncate instead of wrapping',
  async (t) => {
    for (const width of [80, 40]) {
      const { app, fake, frame } = mount({ width, height: 30 });
      await tick(app);
      fake.emit(...runEvents(true));
      fake.end(1);
      await tick(app);
      const lines = frame().split('\n');
      for (const l of lines) t.true(textWidth(l) <= width, `${width}: "${l}" fits`);
      t.is(lines.length, 29, 'one line short of the terminal so ink never clears the screen');
      t.regex(frame(), /Found 2 problems/);
      if (width === 40) t.regex(frame(), /…/, 'long lines end in an ellipsis');
      app.unmount();
    }
  },
);

test.serial('a short terminal scrolls to keep the selection visible', async (t) => {
  const { app, fake, frame, states } = mount({ height: 12 });
  await tick(app);
  fake.emit(...runEvents(true));
  fake.end(1);
  await tick(app);
  await press(app, 'G');
  const last = states.at(-1)!.selected!;
  t.is(last, 't:bridge.exists lxd2', 'the last item of the tree');
  const f = frame();
  t.regex(f, /^›/m, 'the selected line is on screen');
  t.notRegex(f, /Found 2 problems/, 'scrolled past the verdict');
  await press(app, 'g');
  t.regex(frame(), /Found 2 problems/);
  app.unmount();
});
