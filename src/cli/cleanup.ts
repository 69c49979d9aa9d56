/** `lxdcheck cleanup`: remove probe containers a crashed or killed run left behind, on every host. */
import { mapLimit } from '../engine/limit.js';
import { UsageError } from '../errors.js';
import { clientFor, deleteProbes, listProbes, PROBE_MARK, PROBE_PREFIX } from '../scenarios/probes.js';
import { parseRunArgs, prepareRun } from './run.js';

const HELP = `lxdcheck cleanup -i CLUSTER.yaml [--allow-mutations] [ssh options of lxdcheck run]

List lxdcheck's own probe containers on every host: named ${PROBE_PREFIX}XXXXXX
and marked with the config key ${PROBE_MARK} when they were launched. A
container with the name but without the mark is never touched.

Without --allow-mutations it only lists what it would delete (--dry-run is
the same). Exit 1 when a host cannot be listed or a probe cannot be deleted.
`;

export async function cleanupCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const dry = argv.includes('--dry-run');
  const v = parseRunArgs(argv.filter((a) => a !== '--dry-run'));
  if (v.replay) throw new UsageError('cleanup needs a live cluster, not a replay');
  const prepared = prepareRun(v);
  const transportFor = prepared.spec.transport;
  if (!transportFor) throw new UsageError('cleanup needs a live cluster, not a replay');
  const mutate = prepared.allowMutations && !dry;
  let failures = 0;
  await mapLimit(prepared.inventory.hosts, prepared.spec.concurrency, async (h) => {
    const t = transportFor(h);
    try {
      await t.connect();
      let names: string[];
      const client = await clientFor(t, prepared.inventory, h);
      try {
        names = await listProbes(t, prepared.inventory, client);
      } catch (e) {
        // Unreadable is not "none": say so and fail.
        failures++;
        process.stdout.write(`${h.name}: cannot list containers: ${(e as Error).message}\n`);
        return;
      }
      if (names.length === 0) {
        process.stdout.write(`${h.name}: no probe containers\n`);
        return;
      }
      if (!mutate) {
        process.stdout.write(
          `${h.name}: would delete ${names.join(', ')}${dry ? '' : ' (add --allow-mutations to delete)'}\n`,
        );
        return;
      }
      const r = await deleteProbes(t, prepared.inventory, names, client);
      if (r.removed.length) process.stdout.write(`${h.name}: deleted ${r.removed.join(', ')}\n`);
      for (const f of r.failed) {
        failures++;
        process.stdout.write(`${h.name}: could not delete ${f}\n`);
      }
    } catch (e) {
      failures++;
      process.stdout.write(`${h.name}: unreachable: ${(e as Error).message}\n`);
    } finally {
      await t.close().catch(() => undefined);
    }
  });
  return failures > 0 ? 1 : 0;
}
