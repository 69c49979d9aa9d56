/** The diagnosis of a run, with the context taken from the checks' declared roles. */
import type { CheckDef } from '../checks/check.js';
import type { Inventory } from '../inventory/types.js';
import type { CheckResult } from '../model.js';
import { type DiagnoseOutcome, diagnose } from './diagnose.js';

export { type DiagnoseOutcome, diagnose, resultKey } from './diagnose.js';

export function diagnoseRun(
  results: readonly CheckResult[],
  inventory: Inventory,
  checks: readonly CheckDef[],
): DiagnoseOutcome {
  const byId = new Map(checks.map((c) => [c.id, c]));
  return diagnose(results, {
    dhcpHost: inventory.cluster.dhcp,
    roleOf: (id) => byId.get(id)?.diagnosis,
    patternFix: (id, host) => byId.get(id)?.diagnosis?.pattern?.fix?.(host, inventory) ?? [],
  });
}
