/** `lxdcheck cleanup`: remove probe containers a crashed or killed run left behind, on every host. */
import { parseArgs } from 'node:util';
import { mapLimit } from '../engine/limit.js';
import { deleteProbes, listProbes, PROBE_PREFIX } from '../scenarios/probes.js';
import { UsageError } from './args.js';
import { parseRunArgs, prepareRun } from './run.js';

const HELP = `lxdcheck cleanup -i CLUSTER.yaml [--dry-run] [ssh options of lxdcheck run]

List and delete every container whose name starts with ${PROBE_PREFIX} on
every host (only lxdcheck's own probes; nothing else is touched).
`;

export async function cleanupCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const dry = argv.includes('--dry-run');
  const rest = argv.filter((a) => a !== '--dry-run');
  try {
    parseArgs({ args: rest, options: {}, strict: false });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const prepared = prepareRun(parseRunArgs(rest));
  const transportFor = prepared.spec.transport;
  if (!transportFor) throw new UsageError('cleanup needs a live cluster, not a replay');
  let failures = 0;
  await mapLimit(prepared.inventory.hosts, prepared.spec.concurrency, async (h) => {
    const t = transportFor(h);
    try {
      await t.connect();
      const names = await listProbes(t, prepared.inventory);
      if (names.length === 0) {
        process.stdout.write(`${h.name}: no probe containers\n`);
        return;
      }
      if (dry) {
        process.stdout.write(`${h.name}: would delete ${names.join(', ')}\n`);
        return;
      }
      const r = await deleteProbes(t, prepared.inventory, names);
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
