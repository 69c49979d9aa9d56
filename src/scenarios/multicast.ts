/**
 * The multicast scenario. The mesh runs in containers that have python3;
 * where a host has none and --allow-mutations is given, a small probe
 * container is launched there for the run (listed up front) and always
 * deleted afterwards, also on failure and Ctrl-C.
 */
import { type RunOutcome, type RunSpec, runChecks } from '../engine/run.js';
import type { LxdClient } from '../facts/daemon.js';
import { multicastContainer } from '../facts/multicast.js';
import { parseLxcList } from '../facts/parsers/lxc.js';
import { hostStage, probeStage } from '../facts/stages.js';
import type { HostSpec } from '../inventory/types.js';
import type { Transport } from '../transport/types.js';
import { deleteProbes, firstImage, launchArgv, lxcOf, on, probeName } from './probes.js';
import { sharedTransports } from './transports.js';

export interface MulticastDriverOptions {
  spec: RunSpec;
  allowMutations: boolean;
  image?: string;
}

async function launchProbe(t: Transport, lxc: string, image: string, name: string): Promise<string | null> {
  const r = await on(t, launchArgv(lxc, image, name), 180_000);
  if (r.exitCode !== 0)
    return `${lxc} launch failed: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`;
  // Wait (bounded) for its lease, so the mesh finds it on the L2.
  for (let i = 0; i < 60; i++) {
    const l = await on(t, [lxc, 'list', name, '--format', 'json'], 20_000);
    if (parseLxcList(l.stdout).find((c) => c.name === name)?.ipv4[0]) return null;
    await new Promise((res) => setTimeout(res, 500));
  }
  return 'no IPv4 address within 30 s';
}

export async function runMulticast(o: MulticastDriverOptions): Promise<RunOutcome> {
  const shared = o.spec.transport ? sharedTransports(o.spec.transport) : null;
  const spec: RunSpec = shared ? { ...o.spec, transport: shared.get } : o.spec;
  const inv = spec.inventory;
  // A silent look first: which hosts already have a container with python3?
  const look = await runChecks({
    ...spec,
    checks: [],
    stages: [hostStage(), probeStage()],
    emit: () => undefined,
  });
  const lacking = inv.hosts.filter(
    (h) => look.facts.get(h.name)?.reachable && !multicastContainer(look.facts.get(h.name)),
  );
  const launched: { host: HostSpec; name: string; t: Transport; lxc: LxdClient }[] = [];
  const notes: string[] = [];
  try {
    if (lacking.length > 0 && o.allowMutations && spec.transport) {
      for (const h of lacking) {
        const name = probeName();
        const t = spec.transport(h);
        await t.connect();
        // The daemon the look judged on this host (named by the inventory, or detected there).
        const lxc = look.facts.get(h.name)?.daemon?.client ?? lxcOf(inv, h);
        const image = o.image ?? (await firstImage(t, inv, { timeoutMs: 30_000, client: lxc })).image;
        if (!image) {
          notes.push(`${h.name}: no local image to launch a probe container from (name one with --image)`);
          continue;
        }
        notes.push(
          `multicast will create container ${name} on ${h.name} from image ${image} (no container there has python3), and delete it`,
        );
        launched.push({ host: h, name, t, lxc });
        const err = await launchProbe(t, lxc, image, name);
        if (err) notes.push(`${h.name}: ${name}: ${err}`);
        if (spec.signal?.aborted) break;
      }
    } else if (lacking.length > 0) {
      notes.push(
        `no container with python3 on ${lacking.map((h) => h.name).join(', ')}: those pairs are skipped; --allow-mutations lets lxdcheck launch a probe container there for the run`,
      );
    }
    let started = false;
    return await runChecks({
      ...spec,
      emit: (e) => {
        spec.emit(e);
        // The plan of mutations goes right after the stream's start.
        if (e.type === 'run-start' && !started) {
          started = true;
          for (const message of notes) spec.emit({ type: 'progress', message });
        }
      },
    });
  } finally {
    // Always clean up, with bounded commands an interrupt does not cancel.
    for (const p of launched) {
      const d = await deleteProbes(p.t, inv, [p.name], p.lxc);
      for (const f of d.failed)
        process.stderr.write(`lxdcheck: could not delete ${f} on ${p.host.name}; run lxdcheck cleanup\n`);
    }
    await shared?.closeAll();
  }
}
