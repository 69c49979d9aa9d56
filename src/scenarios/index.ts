/**
 * Scenarios are small declarative plans over checks and gather stages:
 * adding one never touches the engine.
 */

import type { CheckDef } from '../checks/check.js';
import { allChecks } from '../checks/index.js';
import { selectChecks } from '../engine/plan.js';
import type { RunSpec } from '../engine/run.js';
import type { Stage } from '../facts/stages.js';
import { hostStage, probeStage, readOnlyStages, type StageOptions } from '../facts/stages.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import type { CheckResult, RunEvent } from '../model.js';
import type { Transport } from '../transport/types.js';
import { globToRegExp } from '../util/glob.js';
import { runMigration } from './migration.js';
import { runMulticast } from './multicast.js';

export interface Scenario {
  name: string;
  summary: string;
  /** Check id globs; empty = every check. */
  include: string[];
  stages(o: StageOptions): Stage[];
  /** Warnings fail the run (as --strict). */
  strict?: boolean;
  /** Changes the cluster: refused without --allow-mutations. */
  mutating?: boolean;
  /** Re-run until everything passes or the deadline (--wait) passes. */
  converge?: boolean;
  /** An action plan of its own (mutating scenarios) instead of gather-and-judge. */
  driver?: (ctx: DriverContext) => Promise<{ results: CheckResult[]; aborted?: string }>;
}

export interface DriverContext {
  /** The run as the engine would do it (checks, stages, transports, emit, signal). */
  spec: RunSpec;
  allowMutations: boolean;
  inventory: Inventory;
  transport: (h: HostSpec) => Transport;
  emit: (e: RunEvent) => void;
  signal?: AbortSignal;
  options: { image?: string; from?: string; to?: string; settleMs: number };
}

export const scenarios: Scenario[] = [
  {
    name: 'doctor',
    summary: 'everything read-only, in the stable order (the default)',
    include: [],
    stages: readOnlyStages,
  },
  {
    name: 'ci',
    summary: 'doctor with --strict semantics (warnings fail), for gating a cluster change',
    include: [],
    stages: readOnlyStages,
    strict: true,
  },
  {
    name: 'post-reboot',
    summary:
      'after hosts restart: re-run host and overlay checks until they pass or --wait runs out, then explain service order',
    include: ['ssh.*', 'bridge.*', 'overlay.*', 'routes.*', 'service-order.*', 'dhcp.*', 'dns.*', 'mesh.*'],
    stages: (o) => [hostStage(o), probeStage(o)],
    converge: true,
  },
  {
    name: 'duplicate-names',
    summary: 'only the duplicate-name and DNS-truth checks, for a quick answer',
    include: ['containers.duplicate-name', 'containers.dns'],
    stages: (o) => [hostStage(o), probeStage(o)],
  },
  {
    name: 'migration',
    summary:
      'launch a probe container on one host, move it to another, verify MAC, IPv4, DNS and reachability are kept, then delete it',
    include: [],
    stages: () => [],
    mutating: true,
    driver: (ctx) =>
      runMigration({
        inventory: ctx.inventory,
        transport: ctx.transport,
        emit: ctx.emit,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(ctx.options.image ? { image: ctx.options.image } : {}),
        ...(ctx.options.from ? { from: ctx.options.from } : {}),
        ...(ctx.options.to ? { to: ctx.options.to } : {}),
        settleMs: ctx.options.settleMs,
      }),
  },
  {
    name: 'multicast',
    summary:
      'the multicast mesh between containers on every host; --allow-mutations launches a probe container where none has python3; --duration for a long, omping-style test',
    include: ['multicast.*'],
    stages: readOnlyStages,
    driver: (ctx) =>
      runMulticast({
        spec: ctx.spec,
        allowMutations: ctx.allowMutations,
        ...(ctx.options.image ? { image: ctx.options.image } : {}),
      }),
  },
];

export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((s) => s.name === name);
}

export function scenarioChecks(s: Scenario, checks: readonly CheckDef[] = allChecks): CheckDef[] {
  if (s.include.length === 0) return [...checks];
  const wanted = checks.filter((c) => s.include.some((g) => globToRegExp(g).test(c.id)));
  return selectChecks(
    checks,
    wanted.map((c) => c.id),
    [],
  );
}
