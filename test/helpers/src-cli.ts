/**
 * Run the CLI from source (no build needed) with a bounded time; a non-zero
 * exit is a result, not an exception. For integration tests of the CLI's own
 * behaviour (exit codes, files it writes), not of a lab.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
// Resolved here, so the CLI can run from any working directory.
const TSX = import.meta.resolve('tsx');

export interface SrcCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function srcCli(
  args: string[],
  opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<SrcCliResult> {
  return runNode(['--import', TSX, MAIN, ...args], {
    timeoutMs: opts.timeoutMs ?? 60_000,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
}

/** Run `node ARGV` bounded by timeoutMs; a non-zero exit is a result, not an exception. */
export async function runNode(
  argv: string[],
  opts: { timeoutMs: number; cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<SrcCliResult> {
  try {
    const r = await promisify(execFile)(process.execPath, argv, {
      timeout: opts.timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : -1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    };
  }
}
