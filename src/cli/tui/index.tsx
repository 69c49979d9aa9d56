/**
 * `lxdcheck doctor` on a terminal: the ink App over the real engine. Loaded
 * only by doctor.ts (dynamic import), so `run` and `--help` never load React.
 */
import { render } from 'ink';
import type { PreparedRun } from '../run.js';
import { App } from './app.js';
import { engineRunner, type Runner } from './runner.js';

export { App, type AppProps } from './app.js';
export { failedCheckIds, initialState, type TuiAction, type TuiState } from './model.js';
export { engineRunner, type Runner, type RunRequest, restrictRun } from './runner.js';
export { tuiReducer } from './state.js';

/** Runs the interactive doctor; resolves with the exit code of the last run (0/1, 130 when interrupted). */
export async function runTui(prepared: PreparedRun, opts: { color: boolean }): Promise<number> {
  const engine = engineRunner(prepared);
  let last: Promise<number> = Promise.resolve(0);
  const runner: Runner = (req) => {
    last = engine(req);
    return last;
  };
  const instance = render(<App runner={runner} color={opts.color} />, { exitOnCtrlC: false });
  await instance.waitUntilExit();
  // Quitting mid-run aborted it; wait for the engine to close connections and release the lock.
  return last.catch(() => 2);
}
