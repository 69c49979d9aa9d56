/**
 * What the mutating scenarios (migration, multicast) share: the probe's image when none is named, and
 * one connection per host for the whole scenario. `lxc image list --format json` answers are
 * hand-written (no capture exists), reduced to the fields read: fingerprint and aliases.
 */
import test from 'ava';
import type { HostSpec } from '../../src/inventory/types.js';
import { firstImage } from '../../src/scenarios/probes.js';
import { sharedTransports } from '../../src/scenarios/transports.js';
import type { ExecResult, Transport } from '../../src/transport/types.js';
import { inventory } from '../helpers/facts.js';

const inv = inventory();

function answering(r: Partial<ExecResult>, seen: string[][] = []): Transport {
  return {
    host: 'lxd1',
    connectionsOpened: 1,
    connect: async () => undefined,
    close: async () => undefined,
    exec: async (c) => {
      seen.push('argv' in c ? [...c.argv] : [c.script]);
      return { stdout: '', stderr: '', exitCode: 0, timedOut: false, durationMs: 1, ...r };
    },
  };
}

test('firstImage: the first image by its first alias, else its fingerprint; none when absent or unreadable', async (t) => {
  const seen: string[][] = [];
  const list = (images: unknown) => answering({ stdout: JSON.stringify(images) }, seen);
  const opts = { timeoutMs: 30_000 };
  t.is(
    (
      await firstImage(
        list([{ fingerprint: 'f1', aliases: [{ name: 'debian/12' }] }, { fingerprint: 'f2' }]),
        inv,
        opts,
      )
    ).image,
    'debian/12',
  );
  t.deepEqual(seen[0], ['lxc', 'image', 'list', '--format', 'json']);
  t.is((await firstImage(list([{ fingerprint: 'f1', aliases: [] }]), inv, opts)).image, 'f1');
  t.is((await firstImage(list([]), inv, opts)).image, undefined);
  const failed = await firstImage(answering({ exitCode: 1, stderr: 'Error: not found' }), inv, opts);
  t.is(failed.image, undefined);
  t.is(failed.result.stderr, 'Error: not found', 'the answer is kept for evidence');
  t.is((await firstImage(answering({ stdout: 'Error: garbage' }), inv, opts)).image, undefined);
});

test('sharedTransports: one transport per host for the whole scenario, closed only by closeAll', async (t) => {
  const made: string[] = [];
  const closed: string[] = [];
  const shared = sharedTransports((h: HostSpec) => {
    made.push(h.name);
    return { ...answering({}), host: h.name, close: async () => void closed.push(h.name) };
  });
  const [h1, h2] = inv.hosts as [HostSpec, HostSpec];
  const a = shared.get(h1);
  await a.close();
  shared.get(h1);
  shared.get(h2);
  t.deepEqual(made, ['lxd1', 'lxd2']);
  t.deepEqual(closed, [], "a holder's close() does not close the shared connection");
  t.is(a.host, 'lxd1');
  await shared.closeAll();
  t.deepEqual(closed.sort(), ['lxd1', 'lxd2']);
});
