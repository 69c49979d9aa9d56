/** What a lab fault is: one file per fault under src/lab/faults/ exports one FaultDef. */
import type { AppliedFault, LabHost, LabOptions, LabState } from '../state.js';

export interface FaultInfo {
  summary: string;
  /** What a user of lxdcheck (or plain commands) sees while it is applied. */
  whatYouSee: string;
  /** The host it is applied to by default. */
  host: string;
}

export interface FaultDef<N extends string = string> extends FaultInfo {
  name: N;
  /** Needs the lab's real LXD daemons (refused on a `--no-lxd` lab). */
  needsLxd: boolean;
  /** Only on this overlay (refused on the others). */
  overlay?: LabOptions['overlay'];
  /** Make the change on host h; `detail` says what was done, `data` is whatever undo needs. */
  apply(s: LabState, h: LabHost): Promise<{ detail: string; data?: Record<string, unknown> }>;
  /** Undo it (h is the host it was applied to, f what apply recorded); health is proven by the caller. */
  undo(s: LabState, h: LabHost, f: AppliedFault): Promise<void>;
}

/** Keeps the fault's name as a literal type, so the registry can derive FaultName from its list. */
export function defineFault<const N extends string>(def: FaultDef<N>): FaultDef<N> {
  return def;
}
