/** `lxdcheck run`: the headless runner (and the engine set-up the TUI shares). */
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import { BUNDLE_FORMAT, readBundle, writeBundle } from '../bundle/index.js';
import type { CheckDef } from '../checks/check.js';
import { acquireLock, lockPathFor } from '../engine/lock.js';
import { selectChecks } from '../engine/plan.js';
import { type RunOutcome, type RunSpec, runChecks } from '../engine/run.js';
import { UsageError } from '../errors.js';
import { DEFAULT_MULTICAST } from '../facts/multicast.js';
import type { GatherResult } from '../facts/types.js';
import { loadInventory, parseInventory } from '../inventory/load.js';
import { createHostResolver } from '../inventory/openssh.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import { exitCodeFor, type RunEvent } from '../model.js';
import { createReporters, parseReporterSpecs } from '../report/spec.js';
import type { Reporter } from '../report/types.js';
import { type ConvergeOptions, runUntilConverged } from '../scenarios/converge.js';
import {
  type DriverContext,
  findScenario,
  type Scenario,
  scenarioChecks,
  scenarios,
} from '../scenarios/index.js';
import { createTransport } from '../transport/index.js';
import { VERSION } from '../version.js';
import { parseDuration, parsePositiveInt, wantColor } from './args.js';

export const RUN_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  inventory: { type: 'string', short: 'i' },
  scenario: { type: 'string', short: 's', default: 'doctor' },
  only: { type: 'string', multiple: true, default: [] as string[] },
  skip: { type: 'string', multiple: true, default: [] as string[] },
  reporter: { type: 'string', short: 'r', multiple: true, default: [] as string[] },
  output: { type: 'string', short: 'o' },
  timeout: { type: 'string', default: '30s' },
  'connect-timeout': { type: 'string', default: '10s' },
  concurrency: { type: 'string', default: '16' },
  sample: { type: 'string' },
  duration: { type: 'string' },
  wait: { type: 'string', default: '120s' },
  image: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  settle: { type: 'string', default: '60s' },
  interval: { type: 'string', default: '5s' },
  strict: { type: 'boolean', default: false },
  record: { type: 'string' },
  replay: { type: 'string' },
  'allow-mutations': { type: 'boolean', default: false },
  'accept-new': { type: 'boolean', default: false },
  'known-hosts': { type: 'string', multiple: true, default: [] as string[] },
  'no-color': { type: 'boolean', default: false },
  'tap-version': { type: 'string', default: '14' },
  verbose: { type: 'boolean', short: 'v', default: false },
  timings: { type: 'boolean', default: false },
  'no-dhcp-discovery': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

export const RUN_HELP = `lxdcheck run -i CLUSTER.yaml [options]

Run ordered checks over SSH on every host of the cluster and report them
(TAP 14 on a pipe, a readable summary on a terminal).

Options:
  -i, --inventory FILE     the cluster file (see README: Inventory)
  -s, --scenario NAME      ${scenarios.map((s) => s.name).join(' | ')} (default doctor)
      --only GLOB          run only matching checks (and what they need); repeatable: --only 'overlay.*'
      --skip GLOB          leave matching checks out; repeatable
                           (GLOB: * any run of characters, ? one character, the rest literal)
  -r, --reporter KIND[:FILE]  tap | json | junit | human | github | html:FILE; repeatable, one to
                           stdout at most: --reporter tap --reporter junit:out.xml --reporter json:out.json
                           (html:FILE is a self-contained page: cluster map, diagnosis, every check)
  -o, --output FILE        write the default reporter to FILE instead of stdout
      --timeout DUR        bound on each host's gather command (default 30s)
      --connect-timeout DUR  bound on connecting to a host (default 10s)
      --concurrency N      hosts worked at once (default 16)
      --sample N           each container pings N others (default: all up to 24 containers, then 8)
      --duration DUR       multicast window (default 3s; minutes catch IGMP snooping without a querier)
      --wait DUR           post-reboot: how long to wait for convergence (default 120s)
      --interval DUR       post-reboot: pause between rounds (default 5s)
      --image NAME         migration: image for the probe container (default: the first local image)
      --from HOST --to HOST  migration: source and target hosts (default: the first two)
      --settle DUR         migration: how long the moved probe may take to be reachable (default 60s)
      --strict             warnings fail the run too
      --record DIR         keep every raw output (secrets redacted) for --replay or a bug report
      --replay DIR         judge a recorded bundle offline (no SSH)
      --accept-new         trust and record host keys seen for the first time (never a changed key)
      --known-hosts FILE   known_hosts to verify against (default ~/.ssh/known_hosts); repeatable
      --allow-mutations    allow scenarios that create probe containers (always cleaned up)
      --no-color           no ANSI colours (also NO_COLOR=1, TERM=dumb)
      --tap-version 13|14  TAP version line (default 14; 13 for Perl prove before Test::Harness 3.48)
  -v, --verbose            more detail in the human summary (includes --timings)
      --timings            human summary ends with the slowest gather sections per host
      --no-dhcp-discovery  do not send a DHCPDISCOVER on the bridge: saves its listening (0.5 s
                           once settled, up to 4 s while a server may still answer), but a
                           DHCP server inside a container goes unseen

Reading the result: every report leads with the diagnosis, the root causes with
their fixes in order, each followed by the failures it explains (they carry no
fix of their own). Fix the root causes; the rest follows. See
\`lxdcheck explain diagnosis\`.

Exit codes: 0 all passed (warnings allowed unless --strict), 1 a check failed
or errored, 2 bad usage, inventory or configuration.
`;

export type RunValues = {
  inventory?: string;
  scenario: string;
  only: string[];
  skip: string[];
  reporter: string[];
  output?: string;
  timeout: string;
  'connect-timeout': string;
  concurrency: string;
  sample?: string;
  duration?: string;
  wait: string;
  interval: string;
  image?: string;
  from?: string;
  to?: string;
  settle: string;
  strict: boolean;
  record?: string;
  replay?: string;
  'allow-mutations': boolean;
  'accept-new': boolean;
  'known-hosts': string[];
  'no-color': boolean;
  'tap-version': string;
  verbose: boolean;
  timings: boolean;
  'no-dhcp-discovery': boolean;
  help: boolean;
  /** --connect-timeout was on the command line (it then beats ConnectTimeout from the SSH config). */
  connectTimeoutGiven?: boolean;
};

export function parseRunArgs(argv: string[]): RunValues {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: RUN_OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
    const given = argv.some((a) => a === '--connect-timeout' || a.startsWith('--connect-timeout='));
    return { ...(values as RunValues), connectTimeoutGiven: given };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
}

export interface PreparedRun {
  inventory: Inventory;
  inventoryText: string;
  scenario: Scenario;
  checks: CheckDef[];
  spec: Omit<RunSpec, 'emit' | 'signal'>;
  strict: boolean;
  recordDir?: string;
  replayed: boolean;
  /** For converging scenarios (post-reboot). */
  converge?: ConvergeOptions;
  driverOptions: DriverContext['options'];
  allowMutations: boolean;
  /** Resolves a host with OpenSSH (`ssh -G`), once; absent for replays. */
  resolveHost?: (host: HostSpec) => Promise<HostSpec>;
}

/** Everything a run needs, validated; throws UsageError or InventoryError (exit 2). */
export function prepareRun(v: RunValues): PreparedRun {
  const scenario = findScenario(v.scenario);
  if (!scenario) {
    throw new UsageError(
      `unknown scenario "${v.scenario}"; known: ${scenarios.map((s) => s.name).join(', ')}`,
    );
  }
  if (scenario.mutating && !v['allow-mutations']) {
    throw new UsageError(
      `scenario ${scenario.name} changes the cluster (${scenario.summary}); add --allow-mutations to let it`,
    );
  }
  if (v.record && v.replay) throw new UsageError('--record and --replay cannot be combined');
  let inventory: Inventory;
  let inventoryText: string;
  let replay: Map<string, GatherResult> | undefined;
  if (v.replay) {
    const bundle = readBundle(v.replay);
    inventoryText = v.inventory ? readFileSync(v.inventory, 'utf8') : bundle.inventoryText;
    inventory = parseInventory(inventoryText, v.inventory ?? join(v.replay, 'inventory.yaml'));
    replay = replayGathers(inventory, bundle.gathers, v.replay);
  } else {
    if (!v.inventory)
      throw new UsageError(
        'an inventory is required: lxdcheck run -i cluster.yaml (see lxdcheck run --help)',
      );
    inventory = loadInventory(v.inventory);
    inventoryText = readFileSync(v.inventory, 'utf8');
  }
  const checks = selectChecks(scenarioChecks(scenario), v.only, v.skip);
  if (checks.length === 0) throw new UsageError('--only/--skip leave no check to run (see lxdcheck list)');
  const timeoutMs = parseDuration(v.timeout, '--timeout');
  const connectTimeoutMs = parseDuration(v['connect-timeout'], '--connect-timeout');
  const concurrency = parsePositiveInt(v.concurrency, '--concurrency', 256);
  // Which known_hosts: --known-hosts exactly; else the inventory's, else ~/.ssh/config's
  // UserKnownHostsFile for the host, else ~/.ssh/known_hosts; plus the system-wide files
  // (GlobalKnownHostsFile, default /etc/ssh/ssh_known_hosts), which are read, never written.
  const explicit = v['known-hosts'].length > 0;
  const knownHostsFor = (host: Inventory['hosts'][number]) => ({
    knownHostsFiles: explicit
      ? v['known-hosts']
      : inventory.knownHosts
        ? [inventory.knownHosts]
        : host.ssh.userKnownHostsFiles?.length
          ? host.ssh.userKnownHostsFiles
          : [join(homedir(), '.ssh', 'known_hosts')],
    globalKnownHostsFiles: explicit
      ? []
      : (host.ssh.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']),
  });
  const strict = v.strict || Boolean(scenario.strict);
  // Every duration is checked, even where this scenario does not use it: `--wait 5x` is a mistake.
  const waitMs = parseDuration(v.wait, '--wait');
  const intervalMs = parseDuration(v.interval, '--interval');
  const durationMs = v.duration ? parseDuration(v.duration, '--duration') : undefined;
  // OpenSSH resolves each host once, when the run connects (not for replays).
  const resolveHost = replay
    ? undefined
    : createHostResolver({}, (m) => process.stderr.write(`lxdcheck: ${m}\n`));
  const resolving = resolveHost
    ? {
        resolve: resolveHost,
        knownHostsExplicit: v['known-hosts'].length > 0 || inventory.knownHosts !== undefined,
        connectTimeoutExplicit: Boolean(v.connectTimeoutGiven),
      }
    : undefined;
  return {
    inventory,
    inventoryText,
    scenario,
    checks,
    strict,
    replayed: Boolean(replay),
    allowMutations: v['allow-mutations'],
    ...(resolveHost ? { resolveHost } : {}),
    driverOptions: {
      ...(v.image ? { image: v.image } : {}),
      ...(v.from ? { from: hostName(inventory, v.from, '--from') } : {}),
      ...(v.to ? { to: hostName(inventory, v.to, '--to') } : {}),
      settleMs: parseDuration(v.settle, '--settle'),
    },
    ...(v.record ? { recordDir: v.record } : {}),
    ...(scenario.converge
      ? {
          // A recording never changes: one round, no waiting.
          converge: { waitMs: replay ? 0 : waitMs, intervalMs },
        }
      : {}),
    spec: {
      inventory,
      checks,
      stages: scenario.stages({
        ...(v['no-dhcp-discovery'] ? { dhcpDiscovery: false } : {}),
        ...(v.sample ? { sample: parsePositiveInt(v.sample, '--sample') } : {}),
        ...(durationMs !== undefined
          ? {
              multicast: {
                ...DEFAULT_MULTICAST,
                durationSeconds: durationMs / 1000,
                count: Math.max(20, Math.round(durationMs / 100)),
              },
            }
          : {}),
      }),
      scenario: scenario.name,
      strict,
      concurrency,
      timeoutMs,
      // A replay has no transport at all: nothing in a bundle (a `transport: local` host, a
      // wrapper, a host missing from hosts/) can make lxdcheck run a command or open a connection.
      ...(replay
        ? { replay }
        : {
            transport: (host: Inventory['hosts'][number]) =>
              createTransport(
                host,
                { ...knownHostsFor(host), acceptNew: v['accept-new'], connectTimeoutMs },
                resolving,
              ),
          }),
    },
  };
}

/** Run with reporters and Ctrl-C handling; returns the exit code. */
export async function executeRun(
  prepared: PreparedRun,
  reporters: Reporter[],
  extraListener?: (e: RunEvent) => void,
  /** Stops the run like Ctrl-C does (the TUI reads Ctrl-C as a key in raw mode). */
  signal?: AbortSignal,
): Promise<{ code: number; outcome: RunOutcome }> {
  const controller = new AbortController();
  // Every running command listens for the stop (one per host and channel: dozens at once on a big
  // cluster), which is by design, not the leak Node's default limit of 10 warns about.
  setMaxListeners(0, controller.signal);
  if (signal?.aborted) controller.abort();
  signal?.addEventListener('abort', () => controller.abort(), { once: true });
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('lxdcheck: interrupted; finishing the report (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const release = prepared.replayed ? () => undefined : acquireLock(lockPathFor(prepared.inventory.file));
  const gathers: GatherResult[] = [];
  try {
    // Every host resolved up front, in parallel, so checks and reports name what was really
    // reached; a host that cannot be resolved keeps its spec and fails when its transport connects.
    const resolveHost = prepared.resolveHost;
    const inventory = resolveHost
      ? {
          ...prepared.inventory,
          hosts: await Promise.all(prepared.inventory.hosts.map((h) => resolveHost(h).catch(() => h))),
        }
      : prepared.inventory;
    const spec: RunSpec = {
      ...prepared.spec,
      inventory,
      signal: controller.signal,
      onGathered: (g) => gathers.push(g),
      emit: (e) => {
        for (const r of reporters) r.onEvent(e);
        extraListener?.(e);
      },
    };
    const driver = prepared.scenario.driver;
    if (driver && prepared.replayed && (prepared.scenario.mutating || prepared.allowMutations)) {
      throw new UsageError(
        `scenario ${prepared.scenario.name} acts on a live cluster; it cannot run on a replay`,
      );
    }
    if (driver) {
      if (!spec.transport)
        throw new UsageError(`scenario ${prepared.scenario.name} acts on a live cluster; it cannot replay`);
      const r = await driver({
        spec,
        allowMutations: prepared.allowMutations,
        inventory,
        transport: spec.transport,
        emit: spec.emit,
        signal: controller.signal,
        options: prepared.driverOptions,
      });
      return {
        code: r.aborted ? 130 : exitCodeFor(r.results, prepared.strict),
        outcome: { ...r, facts: new Map() },
      };
    }
    const outcome = prepared.converge
      ? await runUntilConverged(spec, prepared.converge)
      : await runChecks(spec);
    if (prepared.recordDir) {
      writeBundle(
        prepared.recordDir,
        prepared.inventoryText,
        {
          format: BUNDLE_FORMAT,
          createdAt: new Date().toISOString(),
          lxdcheckVersion: VERSION,
          scenario: prepared.scenario.name,
          hosts: prepared.inventory.hosts.map((h) => h.name),
        },
        gathers,
      );
    }
    const code = outcome.aborted ? 130 : exitCodeFor(outcome.results, prepared.strict);
    return { code, outcome };
  } finally {
    await Promise.all(reporters.map((r) => r.finish()));
    release();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/**
 * The recording of every inventory host; a host the bundle has no file for
 * is judged unreachable with the reason (its checks then fail or skip), never
 * gathered live.
 */
export function replayGathers(
  inventory: Inventory,
  recorded: ReadonlyMap<string, GatherResult>,
  dir: string,
): Map<string, GatherResult> {
  const out = new Map<string, GatherResult>();
  for (const h of inventory.hosts) {
    out.set(
      h.name,
      recorded.get(h.name) ?? {
        host: h.name,
        reachable: false,
        connectError: `not in the bundle ${dir} (a replay never contacts a host)`,
        connectErrorKind: 'not-recorded',
        raw: {},
        durationMs: 0,
      },
    );
  }
  return out;
}

function hostName(inv: Inventory, name: string, flag: string): string {
  if (!inv.hosts.some((h) => h.name === name)) {
    throw new UsageError(
      `${flag}: no host ${name} in the inventory (hosts: ${inv.hosts.map((h) => h.name).join(', ')})`,
    );
  }
  return name;
}

export async function runCommand(argv: string[]): Promise<number> {
  const v = parseRunArgs(argv);
  if (v.help) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  const prepared = prepareRun(v);
  const specs = parseReporterSpecs(v.reporter, { isTTY: Boolean(process.stdout.isTTY) && !v.output });
  if (v.output) {
    const toStdout = specs.find((s) => s.path === null);
    if (toStdout) toStdout.path = v.output;
  }
  if (v['tap-version'] !== '13' && v['tap-version'] !== '14')
    throw new UsageError('--tap-version must be 13 or 14');
  const reporters = createReporters(specs, {
    color: wantColor(v['no-color']),
    verbose: v.verbose,
    timings: v.timings || v.verbose,
    tapVersion: v['tap-version'] === '13' ? 13 : 14,
  });
  const { code } = await executeRun(prepared, reporters);
  return code;
}
