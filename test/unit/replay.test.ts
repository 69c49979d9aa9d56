import test from 'ava';
import { commandText } from '../../src/transport/output.js';
import { createRecordingTransport, createReplayTransport } from '../../src/transport/replay.js';
import type { ExecResult, Transport } from '../../src/transport/types.js';

const ok = (stdout: string): ExecResult => ({
  stdout,
  stderr: '',
  exitCode: 0,
  timedOut: false,
  durationMs: 3,
});

test('commandText: argv is quoted, a script is itself', (t) => {
  t.is(commandText({ argv: ['ip', '-j', 'addr'] }), 'ip -j addr');
  t.is(commandText({ argv: ['echo', 'a b', "it's"] }), `echo 'a b' 'it'\\''s'`);
  t.is(commandText({ script: 'brctl show; ip link' }), 'brctl show; ip link');
});

test('replay answers from the recording by host and quoted command', async (t) => {
  const seen: [string, string][] = [];
  const tr = createReplayTransport('lxd1', (host, command) => {
    seen.push([host, command]);
    return command === 'ip -j addr' ? ok('[]') : undefined;
  });
  t.deepEqual(await tr.exec({ argv: ['ip', '-j', 'addr'] }, { timeoutMs: 1 }), ok('[]'));
  const missing = await tr.exec({ argv: ['brctl', 'show', 'lxd br0'] }, { timeoutMs: 1 });
  t.is(missing.exitCode, null);
  t.is(missing.stderr, "not in the recording: brctl show 'lxd br0'");
  t.deepEqual(seen, [
    ['lxd1', 'ip -j addr'],
    ['lxd1', "brctl show 'lxd br0'"],
  ]);
  await tr.connect();
  await tr.close();
  t.is(tr.connectionsOpened, 0);
});

test('what the recording transport records, the replay transport plays back', async (t) => {
  const store = new Map<string, ExecResult>();
  const live: Transport = {
    host: 'lxd2',
    connectionsOpened: 1,
    connect: async () => {},
    close: async () => {},
    exec: async (c) => ok(`ran ${commandText(c)}`),
  };
  const rec = createRecordingTransport(live, (host, command, result) =>
    store.set(`${host}\n${command}`, result),
  );
  const live1 = await rec.exec({ script: 'cat /proc/net/dev' }, { timeoutMs: 1 });
  t.is(rec.host, 'lxd2');
  t.is(rec.connectionsOpened, 1);
  const replay = createReplayTransport('lxd2', (host, command) => store.get(`${host}\n${command}`));
  t.deepEqual(await replay.exec({ script: 'cat /proc/net/dev' }, { timeoutMs: 1 }), live1);
});
