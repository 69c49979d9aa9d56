/** A connect or gather failure quoting a secret (a ProxyCommand's stderr) is redacted before any reporter. */
import test from 'ava';
import { allChecks } from '../../src/checks/index.js';
import { runChecks } from '../../src/engine/run.js';
import { readOnlyStages } from '../../src/facts/stages.js';
import { createHumanReporter } from '../../src/report/human.js';
import { createJsonReporter } from '../../src/report/json.js';
import { createTapReporter } from '../../src/report/tap.js';
import { createMemorySink } from '../../src/report/types.js';
import { type Transport, TransportError } from '../../src/transport/types.js';
import { inventory } from '../helpers/facts.js';

test('gather failure text is redacted in TAP comments, the human report and JSON', async (t) => {
  const inv = inventory('tinc');
  const sinks = [createMemorySink(), createMemorySink(), createMemorySink()] as const;
  const reporters = [
    createTapReporter(sinks[0]),
    createHumanReporter(sinks[1], { color: false, verbose: true }),
    createJsonReporter(sinks[2]),
  ];
  const transport = (host: string, fails: 'connect' | 'exec'): Transport => ({
    host,
    connectionsOpened: 0,
    async connect() {
      if (fails === 'connect')
        throw new TransportError(
          'proxy',
          'ProxyCommand "gw-login" exited 1: login as ops password=Hunt3rProxy rejected',
          host,
        );
    },
    async exec() {
      throw new Error('channel closed: sshpass -p Hunt3rExec ssh gw');
    },
    async close() {},
  });
  await runChecks({
    inventory: inv,
    checks: allChecks,
    stages: readOnlyStages(),
    scenario: 'doctor',
    strict: false,
    concurrency: 4,
    timeoutMs: 1000,
    transport: (h) => transport(h.name, h.name === inv.hosts[0]!.name ? 'connect' : 'exec'),
    emit: (e) => {
      for (const r of reporters) r.onEvent(e);
    },
  });
  await Promise.all(reporters.map((r) => r.finish()));
  for (const s of sinks) {
    t.true(s.text.length > 0);
    t.false(s.text.includes('Hunt3rProxy'), s.text);
    t.false(s.text.includes('Hunt3rExec'), s.text);
  }
  t.regex(sinks[0].text, /password=<redacted>/);
});
