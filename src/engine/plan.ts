/**
 * Instances, stable order and prerequisites. Pure: the runner feeds it
 * checks, the inventory and (for container scopes) gathered facts.
 */

import { type CheckDef, instanceKey, type JudgeContext, parseNeed, type Scope } from '../checks/check.js';
import { meshPeers } from '../facts/host/mesh.js';
import type { Inventory } from '../inventory/types.js';
import { type CheckResult, type PlannedCheck, type Subject, subjectLabel } from '../model.js';
import { globToRegExp } from '../util/glob.js';

export interface Instance {
  key: string;
  check: CheckDef;
  subject: Subject;
  /** Sort key: [phase, group, check index, subject index]. */
  order: [number, number, number, number];
}

/** Display phases: cluster inputs, per host, cluster-wide, host pairs, containers. */
function phaseOf(check: CheckDef): number {
  if (check.scope === 'cluster' && check.id.startsWith('inventory.')) return 0;
  if (check.late && check.scope === 'host') return 2;
  const phases: Record<Scope, number> = { host: 1, cluster: 2, pair: 3, container: 4, 'container-pair': 5 };
  return phases[check.scope];
}

export function defaultSubjects(scope: Scope, inv: Inventory): Subject[] | null {
  switch (scope) {
    case 'cluster':
      return [{}];
    case 'host':
      return inv.hosts.map((h) => ({ host: h.name }));
    case 'pair':
      // Every ordered pair up to MESH_FULL_LIMIT hosts, the sampled mesh above it (what the hosts probe).
      return inv.hosts.flatMap((a) => meshPeers(inv, a.name).map((b) => ({ host: a.name, peer: b.name })));
    default:
      // Container instances are only known once facts are in.
      return null;
  }
}

/**
 * Instances of the given checks. Without facts (ctx null), checks whose
 * instances depend on facts are left out; they are planned after gathering.
 */
export function planInstances(
  checks: readonly CheckDef[],
  inv: Inventory,
  ctx: JudgeContext | null,
): Instance[] {
  const hostIndex = new Map(inv.hosts.map((h, i) => [h.name, i]));
  const out: Instance[] = [];
  checks.forEach((check, checkIndex) => {
    let subjects: Subject[] | null;
    if (check.subjects) subjects = ctx ? check.subjects(ctx) : null;
    else subjects = defaultSubjects(check.scope, inv);
    if (!subjects) return;
    const phase = phaseOf(check);
    subjects.forEach((subject, subjectIndex) => {
      // Per-host checks are grouped by host, so a host's story reads top to bottom.
      const group = phase === 1 || phase === 2 ? (hostIndex.get(subject.host ?? '') ?? -1) : 0;
      out.push({
        key: instanceKey(check.id, subject),
        check,
        subject,
        order: [phase, group, checkIndex, subjectIndex],
      });
    });
  });
  return out.sort(compareInstances);
}

export function compareInstances(a: Instance, b: Instance): number {
  for (let i = 0; i < 4; i++) {
    const d = (a.order[i] ?? 0) - (b.order[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function toPlanned(instances: readonly Instance[], inv: Inventory): PlannedCheck[] {
  return instances.map((i) => ({
    key: i.key,
    id: i.check.id,
    title: i.check.title(i.subject, inv),
    subject: i.subject,
  }));
}

/** A result `r` is a prerequisite of subject `s` when it is about nothing `s` is not about. */
function coversSubject(r: Subject, s: Subject): boolean {
  // A pair result is directional: A->B says nothing about B->A.
  if (r.peer !== undefined) return r.host === s.host && r.peer === s.peer;
  // Field by field, without building lists: this runs for every instance and result in a big cluster.
  const inHosts = (h: string) => h === s.host || h === s.peer;
  const inContainers = (c: string) => c === s.container || c === s.peerContainer;
  return (
    (r.host === undefined || inHosts(r.host)) &&
    (r.container === undefined || inContainers(r.container)) &&
    (r.peerContainer === undefined || inContainers(r.peerContainer))
  );
}

/**
 * The first unmet prerequisite of an instance, as a skip reason, or null.
 * Prerequisites that produced no result for this subject do not block it.
 */
/**
 * The results grouped by check id and subject host, each with its insertion
 * number: a prerequisite look-up reads the few results that can cover the
 * subject instead of every result (quadratic in a 300-host cluster).
 */
export class ResultIndex {
  private readonly buckets = new Map<string, { seq: number; r: CheckResult }[]>();
  private seq = 0;
  add(r: CheckResult): void {
    const key = `${r.id}\u0000${r.subject.host ?? ''}`;
    const list = this.buckets.get(key);
    const entry = { seq: this.seq++, r };
    if (list) list.push(entry);
    else this.buckets.set(key, [entry]);
  }
  /** Results of check `id` whose host is none, or one of `about`'s hosts, in insertion order. */
  candidates(id: string, about: Subject): CheckResult[] {
    const hosts = new Set(['', about.host ?? '', about.peer ?? '']);
    const found = [...hosts].flatMap((h) => this.buckets.get(`${id}\u0000${h}`) ?? []);
    return found.sort((a, b) => a.seq - b.seq).map((e) => e.r);
  }
}

export function unmetPrerequisite(
  instance: Instance,
  results: ReadonlyMap<string, CheckResult>,
  /** The same results, indexed (see ResultIndex): the same answer, without scanning them all. */
  index?: ResultIndex,
): string | null {
  for (const raw of instance.check.needs ?? []) {
    const { id: need, hostOnly } = parseNeed(raw);
    const about: Subject = hostOnly ? { host: instance.subject.host } : instance.subject;
    for (const r of index ? index.candidates(need, about) : results.values()) {
      if (r.id !== need || !coversSubject(r.subject, about)) continue;
      if (r.status === 'pass' || r.status === 'warn') continue;
      const label = subjectLabel(r.subject);
      const where = label ? ` on ${label}` : '';
      const title = r.status === 'skip' ? 'skipped' : r.status === 'error' ? 'errored' : 'failed';
      return `${need}${where} ${title}: ${r.summary}`;
    }
  }
  return null;
}

/** Keep the checks that match --only/--skip globs, plus everything they need. */
export function selectChecks(
  checks: readonly CheckDef[],
  only: readonly string[],
  skipGlobs: readonly string[],
): CheckDef[] {
  const matches = (id: string, globs: readonly string[]) => globs.some((g) => globToRegExp(g).test(id));
  const wanted = new Set(
    checks
      .filter((c) => (only.length === 0 || matches(c.id, only)) && !matches(c.id, skipGlobs))
      .map((c) => c.id),
  );
  // Pull in prerequisites so a selected check is never judged on missing ground.
  const byId = new Map(checks.map((c) => [c.id, c]));
  const stack = [...wanted];
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const n of (byId.get(id)?.needs ?? []).map((x) => parseNeed(x).id)) {
      if (!wanted.has(n)) {
        wanted.add(n);
        stack.push(n);
      }
    }
  }
  return checks.filter((c) => wanted.has(c.id));
}
