/**
 * The runner: gather facts from every host in parallel (one connection and
 * one compound command per host and stage), judge checks in registry order,
 * and emit results in the stable display order as soon as they are final.
 */

import { basename } from 'node:path';
import { type CheckDef, type JudgeContext, judgeCheck } from '../checks/check.js';
import { diagnoseRun } from '../diagnosis/index.js';
import { buildHostFacts } from '../facts/build.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { Stage } from '../facts/stages.js';
import type { GatherResult } from '../facts/types.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import type { CheckResult, Diagnosis, RunEvent } from '../model.js';
import type { Transport } from '../transport/types.js';
import { connectHost, hostTimings, runSections } from './gather.js';
import { mapLimit } from './limit.js';
import {
  compareInstances,
  type Instance,
  planInstances,
  ResultIndex,
  toPlanned,
  unmetPrerequisite,
} from './plan.js';

export interface RunSpec {
  inventory: Inventory;
  /** Selected checks in registry order (prerequisites before dependents). */
  checks: readonly CheckDef[];
  stages: readonly Stage[];
  scenario: string;
  strict: boolean;
  concurrency: number;
  /** Bound for each host's compound command per stage. */
  timeoutMs: number;
  /** Live transports, one per host; ignored for hosts found in `replay`. */
  transport?: (host: HostSpec) => Transport;
  /** Recorded gathers (per host, all stages merged) to judge offline. */
  replay?: ReadonlyMap<string, GatherResult>;
  /** Called with each host's complete gather (for --record). */
  onGathered?: (g: GatherResult) => void;
  emit: (e: RunEvent) => void;
  signal?: AbortSignal;
}

export interface RunOutcome {
  results: CheckResult[];
  diagnosis?: Diagnosis;
  facts: Map<string, HostFacts>;
  aborted?: string;
}

/** Emits results in display order as soon as every earlier instance is final. */
class OrderedEmitter {
  private emitted = 0;
  constructor(
    private order: Instance[],
    private readonly results: Map<string, CheckResult>,
    private readonly emit: (e: RunEvent) => void,
  ) {}
  /** Replace the order (after container instances become known); already emitted ones stay first. */
  extend(order: Instance[]): void {
    const done = new Set(this.order.slice(0, this.emitted).map((i) => i.key));
    this.order = [...this.order.slice(0, this.emitted), ...order.filter((i) => !done.has(i.key))];
  }
  flush(): void {
    while (this.emitted < this.order.length) {
      const inst = this.order[this.emitted]!;
      const r = this.results.get(inst.key);
      if (!r) return;
      this.emit({ type: 'result', key: inst.key, result: r });
      this.emitted++;
    }
  }
}

function judgeInstance(
  inst: Instance,
  ctx: JudgeContext,
  results: ReadonlyMap<string, CheckResult>,
  index: ResultIndex,
): CheckResult {
  const started = performance.now();
  const base = {
    id: inst.check.id,
    title: inst.check.title(inst.subject, ctx.inventory),
    subject: inst.subject,
  };
  const unmet = unmetPrerequisite(inst, results, index);
  if (unmet) {
    return { ...base, status: 'skip', summary: `needs ${unmet}`, evidence: [], durationMs: 0 };
  }
  try {
    const v = judgeCheck(inst.check, inst.subject, ctx);
    return {
      ...base,
      status: v.status,
      summary: v.summary,
      ...(v.expected !== undefined ? { expected: v.expected } : {}),
      ...(v.actual !== undefined ? { actual: v.actual } : {}),
      evidence: v.evidence ?? [],
      ...(v.hint ? { hint: v.hint } : {}),
      ...(v.metrics ? { metrics: v.metrics } : {}),
      ...(v.involves && v.involves.length > 0 ? { involves: v.involves } : {}),
      ...(v.cause ? { cause: v.cause } : {}),
      ...(v.breaks ? { breaks: v.breaks } : {}),
      durationMs: Math.round(performance.now() - started),
    };
  } catch (e) {
    // A judge that throws is our bug, not the cluster's: say so, do not crash the run.
    const msg = e instanceof Error ? e.message : String(e);
    return {
      ...base,
      status: 'error',
      summary: `internal error in ${inst.check.id}: ${msg}`,
      evidence: [],
      durationMs: Math.round(performance.now() - started),
    };
  }
}

function unreachable(host: string, error: string, kind: string, durationMs: number): GatherResult {
  return { host, reachable: false, connectError: error, connectErrorKind: kind, raw: {}, durationMs };
}

export async function runChecks(spec: RunSpec): Promise<RunOutcome> {
  const inv = spec.inventory;
  const started = performance.now();
  const results = new Map<string, CheckResult>();
  // Prerequisite look-ups by check and host: scanning every result per instance is quadratic at 300 hosts.
  const resultIndex = new ResultIndex();
  const facts = new Map<string, HostFacts>();
  const ctx: JudgeContext = { inventory: inv, hosts: facts, options: { strict: spec.strict } };
  const transports = new Map<string, Transport>();
  const gathers = new Map<string, GatherResult>();

  const early = planInstances(spec.checks, inv, null);
  const emitter = new OrderedEmitter(early, results, spec.emit);
  spec.emit({
    type: 'run-start',
    cluster: inv.cluster.name,
    scenario: spec.scenario,
    hosts: inv.hosts.map((h) => h.name),
    planned: toPlanned(early, inv),
    topology: {
      inventory: basename(inv.file),
      bridge: inv.cluster.bridge,
      overlay: { type: inv.cluster.overlay.type, interface: inv.cluster.overlay.interface },
      dhcpHost: inv.cluster.dhcp,
      hosts: inv.hosts.map((h) => ({
        name: h.name,
        bridgeAddress: h.bridgeAddress,
        ...(h.overlayAddress ? { overlayAddress: h.overlayAddress } : {}),
      })),
    },
  });

  const judgeAll = (instances: readonly Instance[]) => {
    for (const inst of instances) {
      if (results.has(inst.key)) continue;
      spec.emit({ type: 'check-start', key: inst.key, id: inst.check.id, subject: inst.subject });
      const r = judgeInstance(inst, ctx, results, resultIndex);
      results.set(inst.key, r);
      resultIndex.add(r);
    }
    emitter.flush();
  };
  const aborted = () => (spec.signal?.aborted ? 'interrupted' : undefined);

  // Cluster inputs need no facts.
  judgeAll(early.filter((i) => i.order[0] === 0));

  const hostInstances = (name: string) =>
    early.filter((i) => i.order[0] === 1 && i.subject.host === name && !i.check.readsOtherHosts);
  const crossHostInstances = () => early.filter((i) => i.order[0] === 1 && i.check.readsOtherHosts);

  try {
    // Stage by stage; within a stage hosts run in parallel (bounded).
    for (const [stageIndex, stage] of spec.stages.entries()) {
      if (aborted()) break;
      await mapLimit(inv.hosts, spec.concurrency, async (host) => {
        if (aborted()) return;
        const recorded = spec.replay?.get(host.name);
        if (stageIndex === 0) spec.emit({ type: 'host-gather-start', host: host.name });
        const t0 = performance.now();
        let g: GatherResult | undefined = gathers.get(host.name);
        if (recorded) {
          g = recorded;
        } else if (spec.replay || !spec.transport) {
          // Offline: a host without a recording is unreachable, never gathered live.
          g ??= unreachable(
            host.name,
            'no recording of this host (replay never connects)',
            'not-recorded',
            0,
          );
        } else if (stageIndex === 0 || g?.reachable) {
          if (!transports.has(host.name)) {
            transports.set(host.name, spec.transport(host));
          }
          const t = transports.get(host.name)!;
          const c = stageIndex === 0 ? await connectHost(t) : ({ ok: true } as const);
          if (!c.ok) {
            g = unreachable(host.name, c.error, c.kind, Math.round(performance.now() - t0));
          } else {
            const sections = stage.sections(inv, host, facts);
            const r = await runSections(t, sections, {
              timeoutMs: Math.max(spec.timeoutMs, stage.minTimeoutMs ?? 0),
              ...(spec.signal ? { signal: spec.signal } : {}),
            });
            const prev = g ?? { host: host.name, reachable: true, raw: {}, durationMs: 0 };
            const stageMs = Math.round(performance.now() - t0);
            g = {
              ...prev,
              raw: { ...prev.raw, ...r.raw },
              ...(r.execError ? { execError: r.execError } : {}),
              durationMs: prev.durationMs + stageMs,
              stages: [
                ...(prev.stages ?? []),
                { name: stage.name, durationMs: stageMs, sections: sections.map((s) => s.name) },
              ],
            };
          }
        }
        if (!g) return;
        gathers.set(host.name, g);
        facts.set(host.name, buildHostFacts(inv, host, g));
        if (stageIndex === 0) {
          spec.emit({
            type: 'host-gather-end',
            host: host.name,
            ok: g.reachable && !g.execError,
            ...(g.connectError || g.execError ? { error: g.connectError ?? g.execError } : {}),
            durationMs: g.durationMs,
          });
          // Per-host checks judge on stage-one facts, so a host's results stream as soon as it answers.
          if (!aborted()) judgeAll(hostInstances(host.name));
        }
      });
      if (stageIndex === 0 && !aborted()) judgeAll(crossHostInstances());
    }
  } finally {
    await Promise.all([...transports.values()].map((t) => t.close().catch(() => undefined)));
  }
  for (const g of gathers.values()) spec.onGathered?.(g);

  const reason = aborted();
  const full = planInstances(spec.checks, inv, ctx).sort(compareInstances);
  emitter.extend(full);
  if (reason) {
    for (const inst of full) {
      if (results.has(inst.key)) continue;
      results.set(inst.key, {
        id: inst.check.id,
        title: inst.check.title(inst.subject, inv),
        subject: inst.subject,
        status: 'skip',
        summary: `not run: ${reason}`,
        evidence: [],
        durationMs: 0,
      });
    }
    emitter.flush();
  } else {
    judgeAll(full);
  }
  const judged = full.map((i) => results.get(i.key)!).filter(Boolean);
  // Causes, not symptoms: every failure is tied to the root cause that explains it.
  const { diagnosis, results: ordered } = diagnoseRun(judged, inv, spec.checks);
  spec.emit({
    type: 'run-end',
    results: ordered,
    durationMs: Math.round(performance.now() - started),
    timings: inv.hosts.flatMap((h) => {
      const g = gathers.get(h.name);
      return g ? [hostTimings(g)] : [];
    }),
    ...(reason ? { aborted: reason } : {}),
    diagnosis,
  });
  return { results: ordered, facts, diagnosis, ...(reason ? { aborted: reason } : {}) };
}
