/**
 * `npm run bench`: lxdcheck against the manual way and against the floor, on
 * the real lab at several sizes. Needs root (the lab), the built CLI
 * (dist/cli/main.js; `npm run bench` builds it first), ssh and fping;
 * /usr/bin/time (Debian `time`) for peak memory. Installs nothing.
 *
 *   npm run bench -- --hosts 3,10,30 --runs 5 --manual-runs 2
 *
 * The lab is shared with the e2e tests: the whole bench holds the lab test
 * lock (the one test/helpers/lab.ts takes) and always tears the lab down.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FAULT_NAMES,
  type FaultName,
  hostExec,
  type LabState,
  labBreak,
  labDown,
  labHeal,
  labInventoryYaml,
  labUp,
  missingTools,
} from '../src/lab/index.js';
// The floor uses the same system-ssh invocation as the lab's own tests (pinned keys, batch mode).
import { acquireLabForTests, releaseLabForTests, sshArgv } from '../test/helpers/lab.js';
import { bundleStats } from './bundle-stats.js';
import {
  BENCH_USAGE,
  type BenchOptions,
  type BrokenResult,
  formatBroken,
  formatStartup,
  formatTable,
  formatTargets,
  fpingTimedShell,
  judgeTargets,
  parseAcceptCount,
  parseBenchArgs,
  parseFpingTiming,
  type SizeResult,
  type StartupResult,
  spread,
} from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const MANUAL = join(ROOT, 'bench/manual.sh');
const GNU_TIME = '/usr/bin/time';

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

// ---- processes --------------------------------------------------------------

const children = new Set<ChildProcess>();
let interrupted = false;

class Interrupted extends Error {}

function checkInterrupted(): void {
  if (interrupted) throw new Interrupted('interrupted');
}

interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run argv, timing it from spawn to exit; stdout discarded unless keepStdout. */
function timed(argv: readonly string[], keepStdout = false): Promise<Timed> {
  checkInterrupted();
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    child.on('error', (e) => {
      children.delete(child);
      reject(e);
    });
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      children.delete(child);
      resolve({ ms, code, stdout, stderr });
    });
  });
}

function onSignal(): void {
  if (interrupted) return;
  interrupted = true;
  log('interrupted: stopping, then tearing the lab down');
  for (const c of children) if (c.pid) c.kill('SIGTERM');
}

// ---- measurements -------------------------------------------------------------

async function startup(n = 10): Promise<StartupResult> {
  const series = async (args: string[]) => {
    await timed(['node', CLI, ...args]); // warm the page cache
    const t: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await timed(['node', CLI, ...args]);
      if (r.code !== 0) throw new Error(`lxdcheck ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      t.push(r.ms);
    }
    return spread(t);
  };
  return { version: await series(['--version']), list: await series(['list']) };
}

async function acceptCounts(state: LabState): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await Promise.all(
    state.hosts.map(async (h) => {
      const r = await hostExec(h.name, ['sh', '-c', 'grep -c "Accepted publickey" /var/log/sshd.log']);
      try {
        out[h.name] = parseAcceptCount(r.stdout);
      } catch (e) {
        throw new Error(`${h.name}: ${(e as Error).message} ${r.stderr.trim()}`);
      }
    }),
  );
  return out;
}

/** One lxdcheck run; peak RSS (KiB) through GNU time when it is installed. */
async function lxdcheckRun(
  inventory: string,
  extra: readonly string[],
  tmp: string,
): Promise<Timed & { rssKiB: number | null }> {
  const argv = ['node', CLI, 'run', '-i', inventory, '--scenario', 'doctor', '--reporter', 'tap', ...extra];
  if (!existsSync(GNU_TIME)) return { ...(await timed(argv)), rssKiB: null };
  const rssFile = join(tmp, 'rss');
  rmSync(rssFile, { force: true });
  const r = await timed([GNU_TIME, '-f', '%M', '-o', rssFile, ...argv]);
  const last = readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '';
  return { ...r, rssKiB: /^\d+$/.test(last) ? Number(last) : null };
}

/** The floor: `ssh HOST true` to every host at once, then the ping phase (timed inside each host). */
async function floorRun(state: LabState): Promise<{ sshTrue: number; ping: number; lossHosts: string[] }> {
  const t0 = performance.now();
  const trues = await Promise.all(state.hosts.map((h) => timed(sshArgv(h.underlayAddress, 'true'))));
  const sshTrue = performance.now() - t0;
  const bad = trues.findIndex((r) => r.code !== 0);
  if (bad !== -1) throw new Error(`ssh ${state.hosts[bad]?.name} true failed: ${trues[bad]?.stderr.trim()}`);
  const pings = await Promise.all(
    state.hosts.map(async (h) => {
      const others = state.hosts.filter((o) => o.name !== h.name).map((o) => o.bridgeAddress);
      const r = await timed(sshArgv(h.underlayAddress, fpingTimedShell(others)), true);
      if (r.code !== 0) throw new Error(`${h.name}: timed fping failed (exit ${r.code}): ${r.stderr.trim()}`);
      return { host: h.name, ...parseFpingTiming(r.stdout) };
    }),
  );
  return {
    sshTrue,
    ping: Math.max(...pings.map((p) => p.ms)),
    lossHosts: pings.filter((p) => p.exitCode !== 0).map((p) => p.host),
  };
}

async function measureSize(o: BenchOptions, n: number, tmp: string): Promise<SizeResult> {
  const t0 = performance.now();
  const state = await labUp({ hosts: n, lxd: o.lxd }, (l) => log(l));
  log(`${n} hosts: lab up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const inventory = join(tmp, `inventory-${n}.yaml`);
  writeFileSync(inventory, labInventoryYaml(state));

  // The recorded run (also the warm-up): SSH logins counted by each host's sshd, commands from the bundle.
  const bundle = join(tmp, `bundle-${n}`);
  const tap = join(tmp, `run-${n}.tap`);
  const before = await acceptCounts(state);
  const rec = await timed([
    'node',
    CLI,
    'run',
    '-i',
    inventory,
    '--scenario',
    'doctor',
    '--reporter',
    `tap:${tap}`,
    '--record',
    bundle,
    ...o.cliArgs,
  ]);
  const after = await acceptCounts(state);
  const sshConnections: Record<string, number> = {};
  for (const h of state.hosts) sshConnections[h.name] = (after[h.name] ?? 0) - (before[h.name] ?? 0);
  const failures =
    rec.code === 0
      ? []
      : existsSync(tap)
        ? readFileSync(tap, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('not ok') || l.startsWith('Bail out!'))
        : [rec.stderr.trim()];
  if (rec.code !== 0)
    log(`${n} hosts: the recorded lxdcheck run exited ${rec.code}:\n  ${failures.join('\n  ')}`);
  const stats = existsSync(join(bundle, 'meta.json'))
    ? bundleStats(bundle)
    : { sectionsPerHost: {}, roundTripsPerHost: {}, stages: 0, mismatch: ['no bundle was written'] };
  if (stats.mismatch.length) log(`${n} hosts: bundle vs stage plan: ${stats.mismatch.join('; ')}`);

  await floorRun(state); // warm-up
  const lx: number[] = [];
  const codes: number[] = [];
  const rss: number[] = [];
  const floor: number[] = [];
  const floorSsh: number[] = [];
  const floorPing: number[] = [];
  const healthyJson = join(tmp, `healthy-${n}.json`);
  for (let i = 0; i < o.runs; i++) {
    const r = await lxdcheckRun(inventory, [...o.cliArgs, '--reporter', `json:${healthyJson}`], tmp);
    lx.push(r.ms);
    codes.push(r.code ?? -1);
    if (r.rssKiB !== null) rss.push(r.rssKiB);
    if (r.code !== 0)
      log(`${n} hosts: lxdcheck run ${i + 1} exited ${r.code}: ${r.stderr.trim().slice(-400)}`);
    const f = await floorRun(state);
    floorSsh.push(f.sshTrue);
    floorPing.push(f.ping);
    floor.push(f.sshTrue + f.ping);
    if (f.lossHosts.length) log(`${n} hosts: floor fping saw loss on ${f.lossHosts.join(', ')}`);
    log(
      `${n} hosts: run ${i + 1}/${o.runs}: lxdcheck ${(r.ms / 1000).toFixed(2)} s (exit ${r.code}), floor ${((f.sshTrue + f.ping) / 1000).toFixed(2)} s`,
    );
  }

  const broken = await measureBroken(o, n, inventory, tmp);

  const manual: number[] = [];
  const manualCodes: number[] = [];
  const pairs = state.hosts.map((h) => `${h.underlayAddress}=${h.bridgeAddress}`);
  for (let i = 0; i < o.manualRuns; i++) {
    const r = await timed(['sh', MANUAL, ...pairs]);
    manual.push(r.ms);
    manualCodes.push(r.code ?? -1);
    log(`${n} hosts: manual ${i + 1}/${o.manualRuns}: ${(r.ms / 1000).toFixed(1)} s (exit ${r.code})`);
  }

  return {
    hosts: n,
    lxdcheck: spread(lx),
    manual: manual.length ? spread(manual) : null,
    floor: spread(floor),
    floorSshTrue: spread(floorSsh),
    floorPing: spread(floorPing),
    lxdcheckExitCodes: [rec.code ?? -1, ...codes],
    manualExitCodes: manualCodes,
    sshConnections,
    sectionsPerHost: stats.sectionsPerHost,
    roundTripsPerHost: stats.roundTripsPerHost,
    stages: stats.stages,
    bundleMismatch: stats.mismatch,
    peakRssKiB: rss.length ? spread(rss) : null,
    failures,
    broken,
    healthySlowest: slowestSections(healthyJson),
  };
}

/** The slowest host's three slowest sections from a JSON report's timings ("lxd2: dns-probe 1.60 s, ..."). */
function slowestSections(jsonFile: string): string {
  try {
    const doc = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
      timings?: { host: string; totalMs: number; sections: { name: string; durationMs: number }[] }[];
    };
    const t = [...(doc.timings ?? [])].sort((a, b) => b.totalMs - a.totalMs)[0];
    if (!t) return 'n/a';
    return `${t.host}: ${t.sections
      .slice(0, 3)
      .map((s) => `${s.name} ${(s.durationMs / 1000).toFixed(2)}`)
      .join(', ')}`;
  } catch {
    return 'n/a';
  }
}

/** This machine's 1-minute load average (shared with other work: recorded with every timed run). */
function loadAverage(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 10) / 10;
}

/** Each catalogue fault in turn: break, time lxdcheck (it must find it: exit 1), heal, time a healthy run. */
async function measureBroken(
  o: BenchOptions,
  n: number,
  inventory: string,
  tmp: string,
): Promise<BrokenResult[]> {
  if (o.brokenRuns === 0) return [];
  const faults = (o.faults ?? [...FAULT_NAMES]).filter((f): f is FaultName =>
    (FAULT_NAMES as readonly string[]).includes(f),
  );
  const out: BrokenResult[] = [];
  for (const fault of faults) {
    checkInterrupted();
    try {
      await labBreak(fault);
    } catch (e) {
      log(`${n} hosts: cannot break ${fault} here: ${(e as Error).message}`);
      continue;
    }
    const times: number[] = [];
    const codes: number[] = [];
    const load: number[] = [];
    const json = join(tmp, `broken-${n}-${fault}.json`);
    try {
      for (let i = 0; i < o.brokenRuns; i++) {
        load.push(loadAverage());
        const r = await lxdcheckRun(inventory, [...o.cliArgs, '--reporter', `json:${json}`], tmp);
        times.push(r.ms);
        codes.push(r.code ?? -1);
        log(
          `${n} hosts: ${fault} ${i + 1}/${o.brokenRuns}: ${(r.ms / 1000).toFixed(2)} s (exit ${r.code}, load ${load.at(-1)})`,
        );
      }
    } finally {
      await labHeal((l) => log(l));
    }
    // A healthy run right after healing, back to back with the broken ones: on a shared machine the load
    // drifts within minutes, so each fault's ratio is taken against its own neighbour.
    const healthyLoad = loadAverage();
    const h = await lxdcheckRun(inventory, [...o.cliArgs], tmp);
    log(
      `${n} hosts: healthy after ${fault}: ${(h.ms / 1000).toFixed(2)} s (exit ${h.code}, load ${healthyLoad})`,
    );
    out.push({
      fault,
      lxdcheck: spread(times),
      exitCodes: codes,
      slowest: slowestSections(json),
      load,
      healthyNext: { ms: h.ms, code: h.code ?? -1, load: healthyLoad },
    });
  }
  return out;
}

function machine() {
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    kernel: os.release(),
    node: process.version,
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(BENCH_USAGE);
    return 0;
  }
  let o: BenchOptions;
  try {
    o = parseBenchArgs(argv, join(ROOT, 'bench/results.json'));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: needs root (it builds the lab)\n');
    return 2;
  }
  if (!existsSync(CLI)) {
    process.stderr.write(`bench: ${CLI} is missing: npm run build (npm run bench does)\n`);
    return 2;
  }
  const missing = [
    ...(await missingTools({ hosts: Math.max(...o.sizes), overlay: 'tinc', lxd: o.lxd, containers: 0 })),
    ...['fping', 'ssh'].filter(
      (t) => !['/usr/bin', '/usr/sbin', '/bin'].some((d) => existsSync(`${d}/${t}`)),
    ),
  ];
  if (missing.length) {
    process.stderr.write(`bench: missing tools: ${[...new Set(missing)].join(', ')}\n`);
    return 2;
  }
  if (!existsSync(GNU_TIME))
    log(`${GNU_TIME} not found (Debian package "time"): peak memory is not measured`);

  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const m = machine();
  const startedAt = new Date().toISOString();
  log(`machine: nproc ${m.nproc} (${m.cpu}), ${m.memoryMiB} MiB, kernel ${m.kernel}, node ${m.node}`);
  log('start-up: --version and list, 10 runs each');
  const st = await startup();
  const tmp = mkdtempSync(join(os.tmpdir(), 'lxdcheck-bench-'));
  const sizes: SizeResult[] = [];
  let error: Error | null = null;
  log('waiting for the lab test lock (/run/lxlab-test.lock)');
  await acquireLabForTests();
  try {
    for (const n of o.sizes) {
      checkInterrupted();
      sizes.push(await measureSize(o, n, tmp));
    }
  } catch (e) {
    error = e as Error;
  } finally {
    try {
      await labDown((l) => log(l));
    } finally {
      await releaseLabForTests();
    }
    rmSync(tmp, { recursive: true, force: true });
  }

  const targets = judgeTargets(sizes, st);
  const doc = {
    schema: 'lxdcheck.bench/v1',
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: m,
    options: { ...o, overlay: 'tinc', containers: 'one per host' },
    startup: st,
    sizes,
    targets,
    ...(error ? { error: error.message } : {}),
  };
  writeFileSync(o.out, `${JSON.stringify(doc, null, 2)}\n`);
  const lab = `lab: tinc overlay, ${o.lxd ? 'LXD' : 'netns'} containers (one per host); ${o.runs} timed runs per size, manual ${o.manualRuns}`;
  process.stdout.write(
    [
      `machine: nproc ${m.nproc} (${m.cpu}), memory ${m.memoryMiB} MiB, kernel ${m.kernel}, node ${m.node}`,
      lab,
      formatStartup(st),
      '',
      "wall time in seconds: median (min–max); floor = parallel `ssh HOST true` + the slowest host's fping of the other bridges",
      formatTable(sizes),
      '',
      'broken lab: each catalogue fault (lab break FAULT), lxdcheck wall time in seconds next to the healthy median',
      formatBroken(sizes),
      '',
      formatTargets(targets),
      '',
      `JSON: ${o.out}`,
      '',
    ].join('\n'),
  );
  if (error) {
    process.stderr.write(
      `bench: ${error instanceof Interrupted ? 'interrupted' : `failed: ${error.message}`}\n`,
    );
    return error instanceof Interrupted ? 130 : 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
