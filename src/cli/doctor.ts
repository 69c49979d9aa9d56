/**
 * `lxdcheck doctor`: the interactive view. Without a TTY (pipes, CI,
 * TERM=dumb) it prints the plain human summary and never asks for raw mode.
 */
import { createReporters } from '../report/spec.js';
import { wantColor } from './args.js';
import { executeRun, parseRunArgs, prepareRun, RUN_HELP } from './run.js';

export async function doctorCommand(argv: string[]): Promise<number> {
  const v = parseRunArgs(argv);
  if (v.help) {
    process.stdout.write(RUN_HELP.replace('lxdcheck run', 'lxdcheck doctor'));
    return 0;
  }
  const prepared = prepareRun(v);
  const interactive = Boolean(process.stdout.isTTY && process.stdin.isTTY) && process.env.TERM !== 'dumb';
  if (interactive) {
    const tui = await import('./tui/index.js').catch(() => null);
    if (tui) return tui.runTui(prepared, { color: wantColor(v['no-color']) });
  }
  const reporters = createReporters([{ kind: 'human', path: null }], {
    color: wantColor(v['no-color']),
    verbose: v.verbose,
  });
  const { code } = await executeRun(prepared, reporters);
  return code;
}
