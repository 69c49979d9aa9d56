/**
 * The lab's faults: one file per fault under src/lab/faults/, assembled by one registry. Every fault
 * there can be applied and undone, names are unique, no fault file is left out of the registry, and
 * the CLI (`lab --help`, `lab faults`, `lab break`'s errors) lists exactly the registry's faults.
 */
import { readdirSync } from 'node:fs';
import test from 'ava';
import { labHelp, labMain } from '../../src/lab/cli.js';
import { FAULT_LIST, FAULT_NAMES, FAULTS, type FaultDef } from '../../src/lab/faults/index.js';

const FAULTS_DIR = new URL('../../src/lab/faults/', import.meta.url);
const NOT_FAULTS = new Set(['index.ts', 'types.ts', 'common.ts']);

test('every registered fault has a unique name, a description, a default host, apply and undo', (t) => {
  t.true(FAULT_LIST.length > 0);
  t.is(new Set(FAULT_LIST.map((f) => f.name)).size, FAULT_LIST.length, 'names are unique');
  for (const f of FAULT_LIST) {
    t.regex(f.name, /^[a-z][a-z0-9-]*$/, f.name);
    t.is(typeof f.apply, 'function', `${f.name}.apply`);
    t.is(typeof f.undo, 'function', `${f.name}.undo`);
    t.truthy(f.summary.trim(), `${f.name}.summary`);
    t.truthy(f.whatYouSee.trim(), `${f.name}.whatYouSee`);
    t.regex(f.host, /^lxd\d+$/, `${f.name}.host`);
    t.is(typeof f.needsLxd, 'boolean', `${f.name}.needsLxd`);
  }
});

test('FAULT_NAMES and FAULTS are derived from the registry list, in its order', (t) => {
  t.deepEqual(
    [...FAULT_NAMES],
    FAULT_LIST.map((f) => f.name),
  );
  t.deepEqual(Object.keys(FAULTS), [...FAULT_NAMES]);
  for (const f of FAULT_LIST) t.is(FAULTS[f.name], f);
});

test('every fault file under src/lab/faults/ is in the registry, and the registry holds no other', async (t) => {
  const files = readdirSync(FAULTS_DIR).filter((f) => f.endsWith('.ts') && !NOT_FAULTS.has(f));
  const defs: FaultDef[] = [];
  for (const file of files) {
    const mod = (await import(new URL(file, FAULTS_DIR).href)) as Record<string, unknown>;
    const exported = Object.values(mod).filter(
      (v): v is FaultDef => typeof v === 'object' && v !== null && 'apply' in v && 'undo' in v,
    );
    t.is(exported.length, 1, `${file} exports one fault`);
    const [def] = exported;
    if (!def) continue;
    t.is(file, `${def.name}.ts`, 'the file is named after its fault');
    t.true((FAULT_LIST as readonly FaultDef[]).includes(def), `${def.name} is registered`);
    defs.push(def);
  }
  t.is(defs.length, FAULT_LIST.length);
});

/** Run `lxdcheck lab ARGS` in-process, capturing what it writes. */
async function lab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await labMain(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

test.serial("`lab --help` lists exactly the registry's faults, in order, each with its default host", (t) => {
  const section = labHelp().split('\nFaults:\n')[1]?.split('\n\nTry:')[0] ?? '';
  const listed = [...section.matchAll(/^ {2}(\S+) +\(default host (\S+)\)$/gm)].map((m) => [m[1], m[2]]);
  t.deepEqual(
    listed,
    FAULT_LIST.map((f) => [f.name, f.host]),
  );
  for (const f of FAULT_LIST) t.true(section.includes(f.summary) && section.includes(f.whatYouSee), f.name);
});

test.serial("`lab faults` prints exactly the registry's faults, in order", async (t) => {
  const r = await lab(['faults']);
  t.is(r.code, 0);
  const listed = [...r.stdout.matchAll(/^(\S+) \(default host (\S+)\): /gm)].map((m) => [m[1], m[2]]);
  t.deepEqual(
    listed,
    FAULT_LIST.map((f) => [f.name, f.host]),
  );
});

test.serial("`lab break` refuses an unknown fault, naming the registry's faults", async (t) => {
  const r = await lab(['break', 'no-such-fault']);
  t.is(r.code, 2);
  t.regex(r.stderr, /unknown fault "no-such-fault"; known: /);
  t.true(r.stderr.includes(`known: ${FAULT_NAMES.join(', ')}\n`));
  const none = await lab(['break']);
  t.is(none.code, 2);
  t.true(none.stderr.includes(`break takes one fault: ${FAULT_NAMES.join(', ')}\n`));
});

test.serial('`lab SUB --help` prints the lab help (exit 0) instead of refusing the option', async (t) => {
  for (const args of [
    ['up', '--help'],
    ['break', '-h'],
    ['down', '--help'],
    ['heal', 'help'],
  ]) {
    const r = await lab(args);
    t.is(r.code, 0, args.join(' '));
    t.true(r.stdout.startsWith(labHelp()), args.join(' '));
    t.is(r.stderr, '', args.join(' '));
  }
});
