/**
 * Behaviour unchanged: every recorded bundle, judged by `run --replay`, prints
 * exactly what fixtures/golden/ holds (TAP, human, JUnit and JSON; only clock
 * fields are blanked). The golden files were written by the code before the
 * architecture step; a refactor that changes one verdict, pointer, fix or line
 * fails here. When an output is meant to change, regenerate them with
 * `UPDATE_GOLDEN=1 npx ava test/integration/golden-replay.test.ts` and say why
 * in the commit. A missing golden file is a failure, never written silently.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BUNDLES } from '../helpers/replay.js';
import { srcCli } from '../helpers/src-cli.js';

const GOLDEN = join(import.meta.dirname, '../../fixtures/golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const REPORTS = {
  'report.tap': 'tap',
  'report.txt': 'human',
  'report.xml': 'junit',
  'report.json': 'json',
} as const;

/** Blank what the clock decides, nothing else. */
function normalise(file: keyof typeof REPORTS, text: string): string {
  if (file === 'report.json') {
    const blank = (o: unknown): void => {
      if (!o || typeof o !== 'object') return;
      const rec = o as Record<string, unknown>;
      for (const k of Object.keys(rec)) {
        if (k === 'startedAt') rec[k] = '';
        else if (k === 'durationMs' || k === 'timings') rec[k] = 0;
        else blank(rec[k]);
      }
    };
    const j = JSON.parse(text) as unknown;
    blank(j);
    return `${JSON.stringify(j, null, 2)}\n`;
  }
  if (file === 'report.xml') {
    return text.replace(/ time="[^"]*"/g, ' time="0"').replace(/ timestamp="[^"]*"/g, ' timestamp=""');
  }
  return text
    .replace(/^(\s*durationMs:) \d+$/gm, '$1 0')
    .replace(/^((?:# lxdcheck: )?\d+ checks.*) in \d+(?:\.\d+)?s$/gm, '$1 in 0s');
}

const bundles = readdirSync(BUNDLES).filter((n) => existsSync(join(BUNDLES, n, 'inventory.yaml')));

test('there are recorded bundles to compare', (t) => {
  t.true(bundles.length >= 20, `only ${bundles.length} bundles in ${BUNDLES}`);
});

for (const name of bundles) {
  test(`replay of ${name} prints its golden TAP, human, JUnit and JSON`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-golden-'));
    try {
      const args = ['run', '--replay', join(BUNDLES, name), '--no-color'];
      for (const [file, kind] of Object.entries(REPORTS))
        args.push('--reporter', `${kind}:${join(dir, file)}`);
      const r = await srcCli(args, { timeoutMs: 120_000 });
      t.true(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
      for (const file of Object.keys(REPORTS) as (keyof typeof REPORTS)[]) {
        const got = normalise(file, readFileSync(join(dir, file), 'utf8'));
        const goldenFile = join(GOLDEN, name, file);
        if (UPDATE) {
          mkdirSync(join(GOLDEN, name), { recursive: true });
          writeFileSync(goldenFile, got);
          continue;
        }
        t.true(
          existsSync(goldenFile),
          `${goldenFile} is missing (UPDATE_GOLDEN=1 writes it, on purpose only)`,
        );
        t.is(got, readFileSync(goldenFile, 'utf8'), `${name}/${file} differs from the golden output`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
