/**
 * What one lxdcheck run did on each host, from its --record bundle: how many
 * sections (commands) ran and in how many exec round trips. The doctor's
 * stage plan is replayed, each stage on the facts the hosts had before it
 * (the bundle records which stage ran which section), as the engine does
 * live: one compound command per stage and section group; the plan is
 * checked against the sections the bundle holds.
 */
import { readBundle } from '../src/bundle/index.js';
import { buildHostFacts } from '../src/facts/build.js';
import type { HostFacts } from '../src/facts/host-facts.js';
import { readOnlyStages } from '../src/facts/stages.js';
import { parseInventory } from '../src/inventory/load.js';

export interface BundleStats {
  sectionsPerHost: Record<string, number>;
  roundTripsPerHost: Record<string, number>;
  /** Stages with at least one section on some host. */
  stages: number;
  /** "lxd1: only in bundle: x" lines; empty when the replayed plan matches the bundle. */
  mismatch: string[];
}

export function bundleStats(dir: string): BundleStats {
  const b = readBundle(dir);
  const inv = parseInventory(b.inventoryText, `${dir}/inventory.yaml`, { sshConfigText: '' });
  const stages = readOnlyStages();
  // The facts every host had before stage i ran: its raw sections recorded in stages before i (the
  // bundle says which stage ran which section); without that record, everything (older bundles).
  const factsBefore = (i: number): Map<string, HostFacts> => {
    const facts = new Map<string, HostFacts>();
    for (const h of inv.hosts) {
      const g = b.gathers.get(h.name);
      if (!g) continue;
      const earlier = g.stages?.slice(0, i).flatMap((st) => st.sections);
      const raw = earlier
        ? Object.fromEntries(Object.entries(g.raw).filter(([name]) => earlier.includes(name)))
        : g.raw;
      facts.set(h.name, buildHostFacts(inv, h, { ...g, raw }));
    }
    return facts;
  };
  const before = stages.map((_, i) => factsBefore(i));
  const out: BundleStats = { sectionsPerHost: {}, roundTripsPerHost: {}, stages: 0, mismatch: [] };
  const usedStages = new Set<number>();
  for (const h of inv.hosts) {
    const g = b.gathers.get(h.name);
    if (!g) {
      out.mismatch.push(`${h.name}: not in the bundle`);
      continue;
    }
    const recorded = new Set(Object.keys(g.raw));
    out.sectionsPerHost[h.name] = recorded.size;
    if (!g.reachable) {
      out.roundTripsPerHost[h.name] = 0;
      continue;
    }
    const planned = new Set<string>();
    let trips = 0;
    for (const [i, stage] of stages.entries()) {
      const sections = stage.sections(inv, h, before[i] ?? new Map());
      if (sections.length === 0) continue;
      usedStages.add(i);
      trips += new Set(sections.map((s) => s.group ?? '')).size;
      for (const s of sections) planned.add(s.name);
    }
    out.roundTripsPerHost[h.name] = trips;
    const onlyBundle = [...recorded].filter((n) => !planned.has(n));
    const onlyPlan = [...planned].filter((n) => !recorded.has(n));
    if (onlyBundle.length) out.mismatch.push(`${h.name}: only in the bundle: ${onlyBundle.join(', ')}`);
    if (onlyPlan.length) out.mismatch.push(`${h.name}: planned but not recorded: ${onlyPlan.join(', ')}`);
  }
  out.stages = usedStages.size;
  return out;
}
