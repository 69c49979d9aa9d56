/**
 * `tsx bench/scale.ts [--bundle DIR] [--hosts 30,100,300] [--out FILE]`: the
 * engine beyond what this machine can host as a lab. A recorded healthy
 * 3-host lab bundle (`lxdcheck run --record DIR` on `lab up --no-lxd`) is
 * multiplied to N hosts with one injected fault (bench/scale-lib.ts), then
 * `run --replay` judges it and writes every reporter (TAP, JSON, JUnit,
 * human): wall time and peak RSS (GNU time). No lab, no root, no network.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_FORMAT, readBundle, writeBundle } from '../src/bundle/index.js';
import { MESH_FULL_LIMIT } from '../src/facts/host/mesh.js';
import { multiplyBundle } from './scale-lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');

interface ScaleResult {
  hosts: number;
  mesh: string;
  wallMs: number;
  peakRssMiB: number | null;
  exitCode: number | null;
  checks: number;
  counts: Record<string, number>;
  failing: string[];
  jsonMiB: number;
}

function main(argv: string[]): number {
  const arg = (flag: string) => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  // Default: the recorded healthy 3-host lab bundle kept as a fixture.
  const bundleDir = arg('--bundle') ?? join(ROOT, 'fixtures/lab/bundle-healthy-3-nolxd');
  if (argv.includes('--help')) {
    process.stderr.write('usage: tsx bench/scale.ts [--bundle DIR] [--hosts 30,100,300] [--out FILE]\n');
    return 0;
  }
  const sizes = (arg('--hosts') ?? '30,100,300').split(',').map(Number);
  const out = arg('--out') ?? join(ROOT, 'bench/scale-results.json');
  const src = readBundle(bundleDir);
  const tmp = mkdtempSync(join(os.tmpdir(), 'lxdcheck-scale-'));
  const results: ScaleResult[] = [];
  try {
    for (const n of sizes) {
      const faultHost = Math.min(7, n);
      const { inventoryText, gathers } = multiplyBundle(src, n, faultHost);
      const dir = join(tmp, `bundle-${n}`);
      writeBundle(
        dir,
        inventoryText,
        {
          format: BUNDLE_FORMAT,
          createdAt: new Date().toISOString(),
          lxdcheckVersion: 'bench',
          scenario: 'doctor',
          hosts: gathers.map((g) => g.host),
        },
        gathers,
      );
      const file = (ext: string) => join(tmp, `out-${n}.${ext}`);
      const rss = join(tmp, 'rss');
      const argvRun = ['node', CLI, 'run', '--replay', dir];
      for (const [kind, ext] of [
        ['tap', 'tap'],
        ['json', 'json'],
        ['junit', 'xml'],
        ['human', 'txt'],
      ])
        argvRun.push('--reporter', `${kind}:${file(ext as string)}`);
      const useTime = existsSync('/usr/bin/time');
      const t0 = performance.now();
      const r = spawnSync(
        useTime ? '/usr/bin/time' : argvRun[0]!,
        useTime ? ['-f', '%M', '-o', rss, ...argvRun] : argvRun.slice(1),
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          encoding: 'utf8',
        },
      );
      const wallMs = Math.round(performance.now() - t0);
      const kib = useTime ? Number(readFileSync(rss, 'utf8').trim().split('\n').pop()) : Number.NaN;
      const doc = JSON.parse(readFileSync(file('json'), 'utf8')) as {
        counts: Record<string, number>;
        results: { id: string; status: string; subject: Record<string, string> }[];
      };
      const failing = [
        ...new Set(doc.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => x.id)),
      ];
      const res: ScaleResult = {
        hosts: n,
        mesh: n <= MESH_FULL_LIMIT ? 'full' : 'sampled',
        wallMs,
        peakRssMiB: Number.isFinite(kib) ? Math.round(kib / 1024) : null,
        exitCode: r.status,
        checks: doc.counts.total ?? 0,
        counts: doc.counts,
        failing,
        jsonMiB: Math.round((readFileSync(file('json')).length / 2 ** 20) * 10) / 10,
      };
      results.push(res);
      process.stderr.write(
        `scale: ${n} hosts (${res.mesh} mesh, fault on lxd${faultHost}): ${(wallMs / 1000).toFixed(2)} s, ${res.peakRssMiB ?? 'n/a'} MiB, ${res.checks} checks, exit ${r.status}, failing ${failing.join(', ')}\n`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  writeFileSync(out, `${JSON.stringify({ schema: 'lxdcheck.bench-scale/v1', results }, null, 2)}\n`);
  const rows = [
    '| hosts | mesh | replay wall s | peak RSS MiB | checks | fail | JSON MiB |',
    '|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.hosts} | ${r.mesh} | ${(r.wallMs / 1000).toFixed(2)} | ${r.peakRssMiB ?? 'n/a'} | ${r.checks} | ${r.counts.fail ?? 0} | ${r.jsonMiB} |`,
    ),
  ];
  process.stdout.write(`${rows.join('\n')}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
