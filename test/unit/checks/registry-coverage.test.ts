/**
 * Every registered check has a fixture test: some test in this folder judges
 * it by name (`<export>.judge(`). A new check added to the registry without
 * one fails here, naming it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import type { CheckDef } from '../../../src/checks/check.js';
import { allChecks } from '../../../src/checks/index.js';

const CHECKS_SRC = join(import.meta.dirname, '../../../src/checks');
const TESTS = import.meta.dirname;

/** Each registered check's exported name, found in the modules of src/checks. */
async function exportNames(): Promise<Map<CheckDef, string>> {
  const names = new Map<CheckDef, string>();
  for (const file of readdirSync(CHECKS_SRC).filter((f) => f.endsWith('.ts') && f !== 'index.ts')) {
    const mod = (await import(join(CHECKS_SRC, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod))
      if (allChecks.includes(value as CheckDef)) names.set(value as CheckDef, name);
  }
  return names;
}

test('every check of the registry is judged by name in a fixture test', async (t) => {
  const names = await exportNames();
  const tests = readdirSync(TESTS)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => readFileSync(join(TESTS, f), 'utf8'))
    .join('\n');
  const untested = allChecks
    .map((c) => ({ id: c.id, name: names.get(c) }))
    .filter(({ name }) => name === undefined || !tests.includes(`${name}.judge(`));
  t.deepEqual(untested, [], 'checks without a fixture test in test/unit/checks');
  t.is(names.size, allChecks.length, 'every registered check is exported from a module of src/checks');
});
