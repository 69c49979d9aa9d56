/** @jsxRuntime automatic */
/** @jsxImportSource react */
import test from 'ava';
import { render } from 'ink-testing-library';
import { App } from '../../../src/cli/tui/app.js';
import { FakeRunner, runEvents, tick } from './events.js';

// ink colours through chalk, whose level was fixed (0: no TTY) when ava loaded it in this
// worker; raise it so the only thing between us and ANSI colour is the App's `color` flag.
const { default: chalk } = await import('chalk');
chalk.level = 1;

async function failedFrame(color: boolean): Promise<string> {
  const fake = new FakeRunner();
  const app = render(<App runner={fake.runner} color={color} width={80} height={30} tickMs={0} />);
  await tick(app);
  fake.emit(...runEvents(true));
  fake.end(1);
  await tick(app);
  const frame = app.lastFrame() ?? '';
  app.unmount();
  return frame;
}

test.serial('with colour, failures are red and passes green', async (t) => {
  const frame = await failedFrame(true);
  t.regex(frame, /\u001b\[31m✗/);
  t.regex(frame, /\u001b\[32m✓/);
});

test.serial(
  'NO_COLOR (color: false): not one ANSI escape, even where the terminal could colour',
  async (t) => {
    const frame = await failedFrame(false);
    t.regex(frame, /Found 2 problems/);
    t.false(frame.includes('\u001b['), 'no escapes without colour');
  },
);
