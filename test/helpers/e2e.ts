/**
 * Shared set-up for the end-to-end tests that run the built CLI against the
 * lab: one lab per test file (held with the lab test lock), an inventory
 * file for it, and a bounded way to run `lxdcheck`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestFn } from 'ava';
import { type LabOptions, labDown, labHeal, labInventoryYaml, labUp } from '../../src/lab/index.js';
import { acquireLabForTests, labSkipReason, releaseLabForTests } from './lab.js';
import { runNode, type SrcCliResult } from './src-cli.js';

export const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const quiet = () => undefined;

export type CliResult = SrcCliResult;

/** Run the built CLI; a non-zero exit is a result, not an exception. */
export function cli(args: string[], timeoutMs = 240_000): Promise<CliResult> {
  return runNode([CLI, ...args], { timeoutMs });
}

/**
 * Bring the lab up once for this test file and down after it (heal first,
 * so a failed test does not leave faults for the next file). Returns the
 * test function to use (serial, or skip with the reason printed) and paths.
 */
export async function labForFile(
  test: TestFn,
  opts: LabOptions,
  prefix: string,
): Promise<{ lab: TestFn['serial']; dir: string; inventoryFile: string }> {
  const reason = await labSkipReason(opts);
  const dir = mkdtempSync(join(tmpdir(), `lxdcheck-${prefix}-`));
  const inventoryFile = join(dir, 'lab.yaml');
  if (reason) {
    console.warn(`${prefix}: skipped: ${reason}`);
    return { lab: test.skip as unknown as TestFn['serial'], dir, inventoryFile };
  }
  test.before(async () => {
    await acquireLabForTests();
    const state = await labUp(opts, quiet);
    writeFileSync(inventoryFile, labInventoryYaml(state));
  });
  test.after.always(async () => {
    await labHeal(quiet).catch(() => undefined);
    if (!process.env.LXDCHECK_KEEP_LAB) await labDown(quiet);
    await releaseLabForTests();
  });
  return { lab: test.serial, dir, inventoryFile };
}

export { quiet as quietLog };
