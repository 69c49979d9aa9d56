/** `--duration` longer than `--timeout`: the multicast stage's bound covers its window. */
import test from 'ava';
import { runChecks } from '../../src/engine/run.js';
import { DEFAULT_MULTICAST } from '../../src/facts/multicast.js';
import type { Stage } from '../../src/facts/stages.js';
import { multicastStage } from '../../src/facts/stages.js';
import type { Command, ExecOptions, ExecResult, Transport } from '../../src/transport/types.js';
import { inventory } from '../helpers/facts.js';

test('a stage with a floor gets max(--timeout, floor); the multicast floor covers --duration', async (t) => {
  const ten = multicastStage({ ...DEFAULT_MULTICAST, durationSeconds: 600 });
  t.true((ten.minTimeoutMs ?? 0) >= 615_000, 'the window plus the section margin');
  const seen: number[] = [];
  const transport = (name: string): Transport => ({
    host: name,
    connectionsOpened: 0,
    async connect() {},
    async exec(_c: Command, o: ExecOptions): Promise<ExecResult> {
      seen.push(o.timeoutMs);
      return { stdout: '', stderr: '', exitCode: 0, timedOut: false, durationMs: 1 };
    },
    async close() {},
  });
  const one = (name: string, minTimeoutMs?: number): Stage => ({
    name,
    ...(minTimeoutMs ? { minTimeoutMs } : {}),
    sections: () => [{ name: 'x', shell: 'true', timeoutSeconds: 5 }],
  });
  const inv = inventory('tinc');
  await runChecks({
    inventory: { ...inv, hosts: inv.hosts.slice(0, 1) },
    checks: [],
    stages: [one('host'), one('multicast', ten.minTimeoutMs)],
    scenario: 'multicast',
    strict: false,
    concurrency: 1,
    timeoutMs: 30_000,
    transport: (h) => transport(h.name),
    emit: () => undefined,
  });
  t.deepEqual(seen, [30_000, ten.minTimeoutMs]);
});
