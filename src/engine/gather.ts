/**
 * Gathering: one compound command per host and stage over the host's one
 * transport. Never throws: an unreachable host or a hung command becomes
 * facts that say so.
 */
import { buildScript, newMarker, type Section, scriptInput, splitSections } from '../facts/script.js';
import type { GatherResult, RawOutput } from '../facts/types.js';
import type { HostTimings } from '../model.js';
import { redactSecrets } from '../redact.js';
import { type Transport, TransportError } from '../transport/types.js';

/** Where a host's gather time went, slowest sections first (from the host-side section times). */
export function hostTimings(g: GatherResult): HostTimings {
  const stageOf = new Map<string, string>();
  for (const st of g.stages ?? []) for (const s of st.sections) stageOf.set(s, st.name);
  const sections: HostTimings['sections'] = [];
  for (const [name, r] of Object.entries(g.raw)) {
    if (r.durationMs === undefined) continue;
    const stage = stageOf.get(name);
    sections.push({
      name,
      ...(stage ? { stage } : {}),
      durationMs: r.durationMs,
      ...(r.timedOut ? { timedOut: true } : {}),
    });
  }
  sections.sort((a, b) => b.durationMs - a.durationMs || a.name.localeCompare(b.name));
  return {
    host: g.host,
    totalMs: g.durationMs,
    stages: (g.stages ?? []).map((s) => ({ name: s.name, durationMs: s.durationMs })),
    sections,
  };
}

export interface GatherOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function connectHost(
  transport: Transport,
): Promise<{ ok: true } | { ok: false; error: string; kind: string }> {
  try {
    await transport.connect();
    return { ok: true };
  } catch (e) {
    // The message may quote a ProxyCommand's stderr (`password=…`): redacted before any reporter sees it.
    if (e instanceof TransportError) return { ok: false, error: redactSecrets(e.message), kind: e.kind };
    return { ok: false, error: redactSecrets(e instanceof Error ? e.message : String(e)), kind: 'unknown' };
  }
}

/**
 * Run one stage's sections on an already connected transport: one compound
 * command per section group, the groups in parallel (separate channels of
 * the same connection).
 */
export async function runSections(
  transport: Transport,
  sections: readonly Section[],
  opts: GatherOptions,
): Promise<{ raw: Record<string, RawOutput>; execError?: string }> {
  const groups = new Map<string, Section[]>();
  for (const s of sections) groups.set(s.group ?? '', [...(groups.get(s.group ?? '') ?? []), s]);
  const parts = await Promise.all([...groups.values()].map((g) => runGroup(transport, g, opts)));
  const raw = Object.assign({}, ...parts.map((p) => p.raw)) as Record<string, RawOutput>;
  const execError = parts.find((p) => p.execError)?.execError;
  return execError ? { raw, execError } : { raw };
}

async function runGroup(
  transport: Transport,
  sections: readonly Section[],
  opts: GatherOptions,
): Promise<{ raw: Record<string, RawOutput>; execError?: string }> {
  if (sections.length === 0) return { raw: {} };
  const marker = newMarker();
  const script = buildScript(sections, marker);
  const stdin = scriptInput(sections);
  try {
    const r = await transport.exec(
      { script },
      {
        timeoutMs: opts.timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(stdin !== undefined ? { stdin } : {}),
      },
    );
    const raw = splitSections(sections, r.stdout, r.stderr, marker, r.timedOut);
    let execError: string | undefined;
    if (r.timedOut) execError = `the gather command was killed after ${opts.timeoutMs} ms`;
    else if (r.aborted) execError = 'interrupted';
    else if (r.exitCode === null)
      execError = `the gather command died: ${r.stderr.trim().split('\n').pop() ?? ''}`;
    return execError ? { raw, execError: redactSecrets(execError) } : { raw };
  } catch (e) {
    return { raw: {}, execError: redactSecrets(e instanceof Error ? e.message : String(e)) };
  }
}
