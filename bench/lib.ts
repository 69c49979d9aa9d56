/**
 * The pure parts of `npm run bench`: statistics, parsing what the hosts
 * print, judging the targets and formatting the table. No I/O here, so
 * test/unit/bench.test.ts covers all of it.
 */

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median of the values (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spread(values: readonly number[]): Spread {
  return {
    median: median(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
    n: values.length,
  };
}

/**
 * The number `grep -c "Accepted publickey" /var/log/sshd.log` printed. grep
 * prints 0 (and exits 1) when nothing matched; anything but one number is an
 * error (no log, not the lab's sshd), never silently zero.
 */
export function parseAcceptCount(stdout: string): number {
  const t = stdout.trim();
  if (!/^\d+$/.test(t))
    throw new Error(`expected a count of "Accepted publickey" lines, got ${JSON.stringify(t)}`);
  return Number(t);
}

/** The remote shell text that times one fping run inside a host: prints "<ms> <exit code>". */
export function fpingTimedShell(targets: readonly string[]): string {
  for (const t of targets) if (!/^[0-9.]+$/.test(t)) throw new Error(`not an IPv4 address: ${t}`);
  return `s=$(date +%s%N); fping -q -C 3 -p 200 -t 700 ${targets.join(' ')}; r=$?; e=$(date +%s%N); echo "$(( (e - s) / 1000000 )) $r"`;
}

/** Parse fpingTimedShell's last line. */
export function parseFpingTiming(stdout: string): { ms: number; exitCode: number } {
  const last = stdout.trim().split('\n').pop() ?? '';
  const m = /^(\d+) (\d+)$/.exec(last.trim());
  if (!m) throw new Error(`expected "<ms> <exit code>" from the timed fping, got ${JSON.stringify(last)}`);
  return { ms: Number(m[1]), exitCode: Number(m[2]) };
}

/** `--hosts 3,10,30` */
export function parseHostSizes(text: string, max = 30): number[] {
  const sizes = text.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const s of sizes) {
    if (!/^\d+$/.test(s) || Number(s) < 2 || Number(s) > max)
      throw new Error(`--hosts takes sizes from 2 to ${max} separated by commas (got "${text}")`);
    if (!out.includes(Number(s))) out.push(Number(s));
  }
  return out;
}

export interface SizeResult {
  hosts: number;
  /** Wall times in ms. */
  lxdcheck: Spread;
  manual: Spread | null;
  /** floor = sshTrue + ping (each per run); the pieces are kept too. */
  floor: Spread;
  floorSshTrue: Spread;
  floorPing: Spread;
  /** Exit codes of every timed lxdcheck run (all must be 0 on the healthy lab). */
  lxdcheckExitCodes: number[];
  /** Exit codes of the manual script's runs (non-zero: an ssh or ping failed). */
  manualExitCodes: number[];
  /** Accepted publickey lines per host during one lxdcheck run, counted by each host's sshd. */
  sshConnections: Record<string, number>;
  /** From the --record bundle of that run. */
  sectionsPerHost: Record<string, number>;
  roundTripsPerHost: Record<string, number>;
  stages: number;
  /** Sections in the bundle the stage plans did not predict (or the reverse); empty when they agree. */
  bundleMismatch: string[];
  /** ru_maxrss of the CLI process in KiB, per timed run. */
  peakRssKiB: Spread | null;
  /** not-ok lines of the recorded run, when it did not exit 0. */
  failures: string[];
  /** Each catalogue fault: lxdcheck's wall time on the broken lab (same lab, then healed). */
  broken: BrokenResult[];
  /** The slowest host's slowest sections on the last healthy run (JSON timings). */
  healthySlowest?: string;
}

export interface BrokenResult {
  fault: string;
  lxdcheck: Spread;
  /** Exit codes (1 expected: the fault is found). */
  exitCodes: number[];
  /** The slowest host's slowest sections on the last run (from the JSON report's timings). */
  slowest: string;
  /** 1-minute load average of the machine at the start of each broken run (absent in older results). */
  load?: number[];
  /** The healthy run right after healing: the back-to-back reference for this fault's ratio. */
  healthyNext?: { ms: number; code: number; load: number };
}

export interface StartupResult {
  version: Spread;
  list: Spread;
}

export interface Target {
  name: string;
  ok: boolean | null;
  detail: string;
}

function ms(x: number): string {
  return Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a';
}

function secs(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100_000
    ? `${(x / 1000).toFixed(0)}`
    : x >= 10_000
      ? (x / 1000).toFixed(1)
      : (x / 1000).toFixed(2);
}

/** "2.31 (2.20–2.45)" in seconds */
export function formatSpread(s: Spread | null): string {
  if (!s || s.n === 0) return 'n/a';
  return s.n === 1 ? `${secs(s.median)} (1 run)` : `${secs(s.median)} (${secs(s.min)}–${secs(s.max)})`;
}

export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN;
}

function fmtRatio(x: number): string {
  return Number.isFinite(x) ? x.toFixed(x < 0.1 ? 3 : 2) : 'n/a';
}

/** "1" when every host saw the same number, else "1–2". */
export function formatPerHost(values: Record<string, number>): string {
  const v = Object.values(values);
  if (v.length === 0) return 'n/a';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`)
    .map((line, i) => (i === 0 ? `${line}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|` : line))
    .join('\n');
}

export function formatTable(sizes: readonly SizeResult[]): string {
  const rows = [
    [
      'hosts',
      'lxdcheck s',
      'manual s',
      'floor s',
      'lxd/manual',
      'lxd/floor',
      'ssh conn/host',
      'sections/host',
      'round trips/host',
      'peak RSS',
      'exit',
    ],
  ];
  for (const s of sizes) {
    rows.push([
      String(s.hosts),
      formatSpread(s.lxdcheck),
      formatSpread(s.manual),
      formatSpread(s.floor),
      fmtRatio(ratio(s.lxdcheck.median, s.manual?.median ?? Number.NaN)),
      fmtRatio(ratio(s.lxdcheck.median, s.floor.median)),
      formatPerHost(s.sshConnections),
      formatPerHost(s.sectionsPerHost),
      formatPerHost(s.roundTripsPerHost),
      s.peakRssKiB ? `${(s.peakRssKiB.max / 1024).toFixed(0)} MB` : 'n/a',
      [...new Set(s.lxdcheckExitCodes)].join(','),
    ]);
  }
  return pad(rows);
}

/** Broken lab next to healthy: each fault's median wall time and its ratio to the healthy median. */
export function formatBroken(sizes: readonly SizeResult[]): string {
  const rows = [
    [
      'hosts',
      'fault',
      'broken s',
      'healthy s',
      'broken/healthy',
      'next healthy s',
      'broken/next',
      'load',
      'exit',
      'slowest sections',
    ],
  ];
  for (const s of sizes) {
    if (s.broken.length > 0)
      rows.push([
        String(s.hosts),
        '(healthy)',
        formatSpread(s.lxdcheck),
        secs(s.lxdcheck.median),
        '1.00',
        '',
        '',
        '',
        [...new Set(s.lxdcheckExitCodes)].join(','),
        s.healthySlowest ?? 'n/a',
      ]);
    for (const b of s.broken) {
      rows.push([
        String(s.hosts),
        b.fault,
        formatSpread(b.lxdcheck),
        secs(s.lxdcheck.median),
        fmtRatio(ratio(b.lxdcheck.median, s.lxdcheck.median)),
        b.healthyNext ? secs(b.healthyNext.ms) : 'n/a',
        b.healthyNext ? fmtRatio(ratio(b.lxdcheck.median, b.healthyNext.ms)) : 'n/a',
        [...(b.load ?? []), ...(b.healthyNext ? [b.healthyNext.load] : [])].join('/') || 'n/a',
        [...new Set(b.exitCodes)].join(','),
        b.slowest,
      ]);
    }
  }
  return rows.length > 1 ? pad(rows) : '(no broken runs)';
}

export function formatStartup(s: StartupResult): string {
  return `start-up (median of ${s.version.n}): --version ${ms(s.version.median)} (${ms(s.version.min)}–${ms(s.version.max)}), list ${ms(s.list.median)} (${ms(s.list.min)}–${ms(s.list.max)})`;
}

/** The targets, judged on what was measured; null when a size needed was not run. */
export function judgeTargets(sizes: readonly SizeResult[], startup: StartupResult | null): Target[] {
  const at = (n: number) => sizes.find((s) => s.hosts === n);
  const targets: Target[] = [];
  for (const s of sizes) {
    const bad = s.lxdcheckExitCodes.filter((c) => c !== 0);
    targets.push({
      name: `lxdcheck exits 0 on the healthy lab (${s.hosts} hosts)`,
      ok: bad.length === 0,
      detail:
        bad.length === 0
          ? `${s.lxdcheckExitCodes.length} runs, all 0`
          : `exit codes ${s.lxdcheckExitCodes.join(',')}`,
    });
  }
  for (const [n, want] of [
    [3, 5],
    [10, 15],
  ] as const) {
    const s = at(n);
    const speedup = s?.manual ? ratio(s.manual.median, s.lxdcheck.median) : Number.NaN;
    targets.push({
      name: `≥${want}× faster than the manual way at ${n} hosts`,
      ok: s && Number.isFinite(speedup) ? speedup >= want : null,
      detail: Number.isFinite(speedup) ? `${speedup.toFixed(1)}×` : 'not measured',
    });
  }
  for (const s of sizes) {
    const r = ratio(s.lxdcheck.median, s.floor.median);
    targets.push({
      name: `within 2× of the floor at ${s.hosts} hosts`,
      ok: Number.isFinite(r) ? r <= 2 : null,
      detail: `${fmtRatio(r)}× (lxdcheck ${ms(s.lxdcheck.median)}, floor ${ms(s.floor.median)})`,
    });
  }
  for (const s of sizes) {
    const v = Object.entries(s.sshConnections);
    const off = v.filter(([, c]) => c !== 1);
    targets.push({
      name: `exactly one SSH connection per host per run (${s.hosts} hosts)`,
      ok: v.length === s.hosts && off.length === 0,
      detail: off.length === 0 ? `${v.length} hosts × 1` : off.map(([h, c]) => `${h}: ${c}`).join(', '),
    });
  }
  const s3 = at(3);
  const s10 = at(10);
  const scale = s3 && s10 ? ratio(s10.lxdcheck.median, s3.lxdcheck.median) : Number.NaN;
  targets.push({
    name: '10-host time ≤ 1.5× the 3-host time',
    ok: Number.isFinite(scale) ? scale <= 1.5 : null,
    detail: Number.isFinite(scale) ? `${scale.toFixed(2)}×` : 'not measured',
  });
  const mem = s10?.peakRssKiB?.max;
  targets.push({
    name: 'peak memory under 150 MB at 10 hosts',
    ok: mem === undefined ? null : mem < 150 * 1024,
    detail:
      mem === undefined
        ? 'not measured'
        : `${(mem / 1024).toFixed(0)} MB (max of ${s10?.peakRssKiB?.n} runs)`,
  });
  targets.push({
    name: '--version under 300 ms',
    ok: startup ? startup.version.median < 300 : null,
    detail: startup ? `${ms(startup.version.median)} (median of ${startup.version.n})` : 'not measured',
  });
  for (const s of sizes) {
    for (const b of s.broken) {
      // Against the healthy run taken right after it where there is one (same load), else the size's median.
      const healthy = b.healthyNext?.ms ?? s.lxdcheck.median;
      const r = ratio(b.lxdcheck.median, healthy);
      targets.push({
        name: `${b.fault}: broken run ≤ 1.5× healthy (${s.hosts} hosts)`,
        ok: Number.isFinite(r) ? r <= 1.5 : null,
        detail: `${secs(b.lxdcheck.median)} s vs ${secs(healthy)} s${b.healthyNext ? ' (the healthy run right after)' : ''} (${fmtRatio(r)}×)`,
      });
    }
  }
  return targets;
}

export function formatTargets(targets: readonly Target[]): string {
  return targets
    .map((t) => `${t.ok === null ? '[n/a] ' : t.ok ? '[met] ' : '[MISS]'} ${t.name}: ${t.detail}`)
    .join('\n');
}

export interface BenchOptions {
  sizes: number[];
  runs: number;
  /** Runs of the manual script per size (it takes minutes at 10 hosts); 0 skips it. */
  manualRuns: number;
  lxd: boolean;
  /** Extra arguments for `lxdcheck run`. */
  cliArgs: string[];
  /** Timed runs per catalogue fault (0 skips the broken column). */
  brokenRuns: number;
  /** Faults to break (default: the whole catalogue). */
  faults: string[] | null;
  out: string;
}

export const BENCH_USAGE = `npm run bench -- [--hosts 3,10[,30]] [--runs 5] [--manual-runs N] [--lxd] [--cli-args "..."] [--out FILE]

  --hosts LIST       lab sizes (default 3,10; up to 30)
  --runs N           timed runs of lxdcheck and of the floor per size (default 5)
  --manual-runs N    runs of bench/manual.sh per size (default: --runs; 0 skips it)
  --lxd              real LXD containers in the lab (slow to build) instead of --no-lxd
  --cli-args "..."   extra arguments for lxdcheck run (e.g. "--concurrency 32")
  --broken-runs N    timed runs per catalogue fault on the broken lab, then one healthy run after
                     healing it (the ratio is taken against that one; default 2; 0 skips)
  --faults LIST      only these faults (default: every fault of \`lxdcheck lab faults\`)
  --out FILE         JSON results (default bench/results.json)
`;

export function parseBenchArgs(argv: readonly string[], defaultOut: string): BenchOptions {
  const o: BenchOptions = {
    sizes: [3, 10],
    runs: 5,
    manualRuns: -1,
    lxd: false,
    cliArgs: [],
    brokenRuns: 2,
    faults: null,
    out: defaultOut,
  };
  const int = (flag: string, v: string | undefined, min: number) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min)
      throw new Error(`${flag} takes an integer ≥ ${min} (got ${v ?? 'nothing'})`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--hosts':
        o.sizes = parseHostSizes(value() ?? '');
        break;
      case '--runs':
        o.runs = int('--runs', value(), 1);
        break;
      case '--manual-runs':
        o.manualRuns = int('--manual-runs', value(), 0);
        break;
      case '--lxd':
        o.lxd = true;
        break;
      case '--cli-args':
        o.cliArgs = (value() ?? '').split(/\s+/).filter(Boolean);
        break;
      case '--broken-runs':
        o.brokenRuns = int('--broken-runs', value(), 0);
        break;
      case '--faults':
        o.faults = (value() ?? '').split(',').filter(Boolean);
        break;
      case '--out':
        o.out = value() ?? defaultOut;
        break;
      default:
        throw new Error(`unknown argument ${a}\n\n${BENCH_USAGE}`);
    }
  }
  if (o.manualRuns < 0) o.manualRuns = o.runs;
  return o;
}
