/**
 * The diagnosis: from judged results, the root causes and, for every other
 * failure, the root cause that explains it. Pure: results and the checks'
 * declared roles in, a Diagnosis and annotated results out.
 *
 * The knowledge is the L2 topology, declared per check (DiagnosisRole):
 * a failure breaks layers (l2, address, mtu, dns, multicast, or the whole
 * host) for the hosts it is about, and a check needs layers from every host
 * it involves. A failure is explained by a root that broke a layer it needs
 * on a host it involves, by a root on its own host that declares it explains
 * this check, or by the result the check itself named as its cause. Failing
 * pairs that all touch one host, with nothing on that host to explain them,
 * point at that host (an inferred root). Whatever nothing explains is a root
 * of its own: no failure is ever hidden.
 */

import { type DiagnosisRole, instanceKey } from '../checks/check.js';
import type { CheckResult, Diagnosis, Layer, RootCause, Subject } from '../model.js';
import { globToRegExp } from '../util/glob.js';

export interface DiagnoseContext {
  /** The one DHCP/DNS host. */
  dhcpHost: string;
  roleOf(checkId: string): DiagnosisRole | undefined;
  /** Fix lines for a root inferred from a pattern of pair failures around one host. */
  patternFix?(checkId: string, host: string | null): string[];
}

export interface DiagnoseOutcome {
  diagnosis: Diagnosis;
  /** The results, in the same order, with root / causedBy set (and a consequence's own fix removed). */
  results: CheckResult[];
}

const ALL_LAYERS: readonly Layer[] = ['host', 'l2', 'address', 'mtu', 'dns', 'multicast'];

/** What breaking a layer also breaks: a host cut off from the L2 loses every cross-host service. */
const IMPLIES: Record<Layer, readonly Layer[]> = {
  host: ALL_LAYERS,
  l2: ['l2', 'address', 'mtu', 'multicast'],
  address: ['address'],
  mtu: ['mtu'],
  dns: ['dns'],
  multicast: ['multicast'],
};

const DEFAULT_RANK = 100;
/** A host-level failure needs this many failing pairs around a host before the host is blamed. */
const MIN_PATTERN_PAIRS = 2;

const isFailure = (r: CheckResult) => r.status === 'fail' || r.status === 'error';
export const resultKey = (r: { id: string; subject: Subject }) => instanceKey(r.id, r.subject);

interface Root {
  key: string;
  result: CheckResult | null;
  check: string;
  subject: Subject;
  summary: string;
  fix: string[];
  status: CheckResult['status'];
  inferred: boolean;
  /** host ('' = every host) → broken layers, grown by what its consequences break. */
  broken: Map<string, Set<Layer>>;
  /** The host whose own checks the role's `explains` covers. */
  hosts: Set<string>;
  explainsChecks: readonly string[];
  explains: string[];
}

function hostsOf(r: CheckResult): string[] {
  const hs = [r.subject.host, r.subject.peer, ...(r.involves ?? [])].filter(
    (h): h is string => h !== undefined,
  );
  return [...new Set(hs)];
}

function matches(id: string, globs: readonly string[]): boolean {
  return globs.some((g) => (g.includes('*') ? globToRegExp(g).test(id) : g === id));
}

export function diagnose(input: readonly CheckResult[], ctx: DiagnoseContext): DiagnoseOutcome {
  const roleOf = (id: string): DiagnosisRole => ctx.roleOf(id) ?? {};
  const breaksOf = (r: CheckResult): readonly Layer[] => r.breaks ?? roleOf(r.id).breaks ?? [];
  const rankOf = (r: CheckResult) => roleOf(r.id).rank ?? DEFAULT_RANK;
  const depsOf = (r: CheckResult): string[] => {
    const hs = hostsOf(r);
    if (roleOf(r.id).usesDhcpHost && !hs.includes(ctx.dhcpHost)) hs.push(ctx.dhcpHost);
    return hs;
  };

  const roots: Root[] = [];
  const rootOfKey = new Map<string, Root>();
  const byKey = new Map(input.map((r) => [resultKey(r), r]));

  const addBroken = (root: Root, r: CheckResult) => {
    const layers = breaksOf(r).flatMap((l) => IMPLIES[l]);
    if (layers.length === 0) return;
    const hs = hostsOf(r);
    for (const h of hs.length > 0 ? hs : ['']) {
      const set = root.broken.get(h) ?? new Set<Layer>();
      for (const l of layers) set.add(l);
      root.broken.set(h, set);
    }
  };

  const makeRoot = (r: CheckResult): Root => {
    const root: Root = {
      key: resultKey(r),
      result: r,
      check: r.id,
      subject: r.subject,
      summary: r.summary,
      fix: [...(r.hint?.fix ?? [])],
      status: r.status,
      inferred: false,
      broken: new Map(),
      hosts: new Set(hostsOf(r)),
      explainsChecks: roleOf(r.id).explains ?? [],
      explains: [],
    };
    addBroken(root, r);
    roots.push(root);
    rootOfKey.set(root.key, root);
    return root;
  };

  /** The root that explains r, or null. */
  const explainer = (r: CheckResult): Root | null => {
    // 1. The check named its cause; follow it to its root (only if that result failed).
    if (r.cause) {
      const k = instanceKey(r.cause.check, r.cause.subject);
      const target = rootOfKey.get(k);
      const causeResult = byKey.get(k);
      if (target && causeResult && isFailure(causeResult)) return target;
    }
    const own = hostsOf(r);
    // 2. A root on the same host that declares it explains this check.
    for (const root of roots) {
      if (root.explainsChecks.length === 0 || !matches(r.id, root.explainsChecks)) continue;
      if (own.some((h) => root.hosts.has(h))) return root;
    }
    // 3. A broken layer this check needs, on a host it depends on.
    const needs = roleOf(r.id).needs ?? [];
    if (needs.length === 0) return null;
    const deps = depsOf(r);
    for (const root of roots) {
      for (const [h, layers] of root.broken) {
        if (h !== '' && !deps.includes(h)) continue;
        if (needs.some((l) => layers.has(l))) return root;
      }
    }
    return null;
  };

  const assigned = new Map<string, Root>();
  const attach = (r: CheckResult, root: Root) => {
    const k = resultKey(r);
    if (k === root.key) return;
    assigned.set(k, root);
    rootOfKey.set(k, root);
    root.explains.push(k);
    addBroken(root, r);
  };
  const settle = (r: CheckResult, mayBecomeRoot: boolean) => {
    const k = resultKey(r);
    if (assigned.has(k) || rootOfKey.get(k)?.key === k) return;
    const root = explainer(r);
    if (root) attach(r, root);
    else if (mayBecomeRoot && isFailure(r)) assigned.set(k, makeRoot(r));
  };

  // A result naming another failing result as its cause is settled after it.
  const order = (list: CheckResult[]) => {
    const effective = (r: CheckResult): number => {
      const c = r.cause ? byKey.get(instanceKey(r.cause.check, r.cause.subject)) : undefined;
      return c && c !== r ? Math.max(rankOf(r), rankOf(c) + 0.5) : rankOf(r);
    };
    return list
      .map((r, i) => ({ r, i, rank: effective(r) }))
      .sort((a, b) => a.rank - b.rank || a.i - b.i)
      .map((x) => x.r);
  };

  const failures = input.filter(isFailure);
  // A. Failures that break a layer: the candidate root causes, deepest first.
  for (const r of order(failures.filter((r) => breaksOf(r).length > 0))) settle(r, true);
  // B. Pair failures nothing above explains, grouped around the host they share. A pair whose
  // check named a failing result as its cause waits for that result (step C), never a pattern.
  const namedCause = (r: CheckResult) => {
    const c = r.cause ? byKey.get(instanceKey(r.cause.check, r.cause.subject)) : undefined;
    return c !== undefined && isFailure(c);
  };
  const pairs = failures.filter((r) => r.subject.peer !== undefined && !assigned.has(resultKey(r)));
  for (const r of pairs) settle(r, false);
  const reserved = new Set(pairs.filter(namedCause).map(resultKey));
  inferPatterns(
    input,
    (k) => assigned.has(k) || reserved.has(k),
    ctx,
    roleOf,
    (root, members) => {
      roots.push(root);
      rootOfKey.set(root.key, root);
      for (const m of members) attach(m, root);
    },
  );
  // C. Everything else, failures and warnings: explained, or (failures only) a root of its own.
  for (const r of order(input.filter((r) => isFailure(r) || r.status === 'warn'))) settle(r, true);

  const results = input.map((r) => annotate(r, assigned, rootOfKey));
  const rootCauses: RootCause[] = roots.map((root) => {
    const host = root.subject.host ?? (root.hosts.size === 1 ? [...root.hosts][0] : undefined);
    return {
      key: root.key,
      check: root.check,
      ...(host !== undefined ? { host } : {}),
      subject: root.subject,
      status: root.status,
      summary: root.summary,
      fix: root.fix,
      explains: root.explains,
      ...(root.inferred ? { inferred: true } : {}),
    };
  });
  return { diagnosis: { rootCauses }, results };
}

function annotate(
  r: CheckResult,
  assigned: ReadonlyMap<string, Root>,
  rootOfKey: ReadonlyMap<string, Root>,
): CheckResult {
  const k = resultKey(r);
  const own = rootOfKey.get(k);
  if (own && own.key === k) return { ...r, root: true };
  const root = assigned.get(k);
  if (!root) return r;
  // Fixes follow causes: a consequence points to its root instead of offering a fix of its own.
  const { hint, ...rest } = r;
  const why = hint?.why;
  return { ...rest, ...(why ? { hint: { why } } : {}), causedBy: root.key };
}

/**
 * Pair failures of one check that all touch one host, while pairs elsewhere
 * pass, point at that host even when none of its own checks failed (a filter
 * that drops multicast, an underlay that drops the VPN's port, ...).
 */
function inferPatterns(
  input: readonly CheckResult[],
  taken: (key: string) => boolean,
  ctx: DiagnoseContext,
  roleOf: (id: string) => DiagnosisRole,
  add: (root: Root, members: CheckResult[]) => void,
): void {
  const ids = [...new Set(input.filter((r) => r.subject.peer !== undefined).map((r) => r.id))];
  for (const id of ids) {
    const judged = input.filter((r) => r.id === id && r.status !== 'skip');
    let open = judged.filter((r) => isFailure(r) && !taken(resultKey(r)));
    if (open.length === 0) continue;
    const pattern = roleOf(id).pattern;
    const everyPairFails = judged.length >= 2 && judged.every(isFailure);
    if (everyPairFails && open.length === judged.length) {
      add(patternRoot(id, null, open, judged.length, ctx, pattern?.breaks ?? []), open);
      continue;
    }
    for (;;) {
      const touching = (h: string, list: CheckResult[]) =>
        list.filter((r) => r.subject.host === h || r.subject.peer === h);
      const hosts = [...new Set(open.flatMap((r) => [r.subject.host!, r.subject.peer!]))];
      const scored = hosts
        .map((h) => ({ h, f: touching(h, open).length, t: touching(h, judged).length }))
        .filter((x) => x.f >= MIN_PATTERN_PAIRS && x.f * 2 >= x.t)
        // Someone else must be fine: pairs that do not touch the host pass.
        .filter((x) => judged.some((r) => r.subject.host !== x.h && r.subject.peer !== x.h && !isFailure(r)))
        .sort((a, b) => b.f - a.f || b.f / b.t - a.f / a.t);
      const best = scored[0];
      if (!best) break;
      const members = touching(best.h, open);
      add(patternRoot(id, best.h, members, best.t, ctx, pattern?.breaks ?? []), members);
      open = open.filter((r) => !members.includes(r));
    }
  }
}

function patternRoot(
  id: string,
  host: string | null,
  members: CheckResult[],
  total: number,
  ctx: DiagnoseContext,
  breaks: readonly Layer[],
): Root {
  const summary =
    host === null
      ? `every ${id} result fails (${members.length} of ${total}): the fault is cluster-wide, not on one host`
      : `${members.length} of the ${total} ${id} results that touch ${host} fail, while results elsewhere pass: the fault is on ${host}, and none of its own checks shows it`;
  const broken = new Map<string, Set<Layer>>();
  if (breaks.length > 0) broken.set(host ?? '', new Set(breaks.flatMap((l) => IMPLIES[l])));
  const subject: Subject = host === null ? {} : { host };
  return {
    key: host === null ? `${id} (every pair)` : `${id} ${host} (every pair)`,
    result: null,
    check: id,
    subject,
    summary,
    fix: ctx.patternFix?.(id, host) ?? [`lxdcheck explain ${id}`],
    status: 'fail',
    inferred: true,
    broken,
    hosts: new Set(host === null ? [] : [host]),
    explainsChecks: [],
    explains: [],
  };
}
