/** Bundles keep each section's and stage's time; bundles written before that still read, without timings. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BUNDLE_FORMAT, type BundleMeta, readBundle, writeBundle } from '../../src/bundle/index.js';
import { hostTimings } from '../../src/engine/gather.js';
import type { GatherResult } from '../../src/facts/types.js';

const meta: BundleMeta = {
  format: BUNDLE_FORMAT,
  createdAt: '2026-11-27T08:00:00.000Z',
  lxdcheckVersion: 'test',
  scenario: 'doctor',
  hosts: ['lxd1'],
};

test('section and stage times survive the bundle and come back as timings, slowest first', (t) => {
  const dir = mkdtempSync(join(os.tmpdir(), 'lxdcheck-bundle-'));
  const g: GatherResult = {
    host: 'lxd1',
    reachable: true,
    durationMs: 1700,
    raw: {
      hostname: { command: 'hostname', stdout: 'lxd1\n', stderr: '', exitCode: 0, durationMs: 10 },
      'mesh-ping': { command: 'fping', stdout: '', stderr: '', exitCode: 1, durationMs: 1230 },
      'dns-probe': {
        command: 'python3',
        stdout: '',
        stderr: '',
        exitCode: 0,
        durationMs: 480,
        timedOut: true,
      },
    },
    stages: [
      { name: 'host', durationMs: 1400, sections: ['hostname', 'mesh-ping'] },
      { name: 'probe', durationMs: 300, sections: ['dns-probe'] },
    ],
  };
  writeBundle(dir, 'cluster: {}\n', { ...meta }, [g]);
  const back = readBundle(dir).gathers.get('lxd1');
  t.deepEqual(back, g);
  t.deepEqual(hostTimings(back as GatherResult), {
    host: 'lxd1',
    totalMs: 1700,
    stages: [
      { name: 'host', durationMs: 1400 },
      { name: 'probe', durationMs: 300 },
    ],
    sections: [
      { name: 'mesh-ping', stage: 'host', durationMs: 1230 },
      { name: 'dns-probe', stage: 'probe', durationMs: 480, timedOut: true },
      { name: 'hostname', stage: 'host', durationMs: 10 },
    ],
  });
});

test('an old bundle (no stages, no section times) reads and has empty timings', (t) => {
  const dir = mkdtempSync(join(os.tmpdir(), 'lxdcheck-bundle-'));
  writeBundle(dir, 'cluster: {}\n', { ...meta }, []);
  const old = {
    host: 'lxd1',
    reachable: true,
    durationMs: 900,
    raw: { hostname: { command: 'hostname', stdout: 'lxd1\n', stderr: '', exitCode: 0 } },
  };
  writeFileSync(join(dir, 'hosts', 'lxd1.json'), JSON.stringify(old));
  const g = readBundle(dir).gathers.get('lxd1') as GatherResult;
  t.deepEqual(hostTimings(g), { host: 'lxd1', totalMs: 900, stages: [], sections: [] });
});
