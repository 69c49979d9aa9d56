/**
 * Scenarios are small declarative plans over checks and gather stages:
 * adding one never touches the engine.
 */
import { allChecks } from '../checks/index.js';
import type { CheckDef } from '../engine/check.js';
import { globToRegExp, selectChecks } from '../engine/plan.js';
import type { Stage } from '../engine/run.js';
import { readOnlyStages } from '../facts/stages.js';

export interface Scenario {
  name: string;
  summary: string;
  /** Check id globs; empty = every check. */
  include: string[];
  stages: Stage[];
  /** Warnings fail the run (as --strict). */
  strict?: boolean;
  /** Changes the cluster: refused without --allow-mutations. */
  mutating?: boolean;
}

export const scenarios: Scenario[] = [
  {
    name: 'doctor',
    summary: 'Everything read-only, in the stable order (the default).',
    include: [],
    stages: readOnlyStages,
  },
  {
    name: 'ci',
    summary: 'doctor with --strict semantics: warnings fail too; meant for gating a cluster change.',
    include: [],
    stages: readOnlyStages,
    strict: true,
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
