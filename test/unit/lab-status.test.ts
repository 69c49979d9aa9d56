/** `lxdcheck lab status` names the container daemon the lab runs (LXD or Incus), not always "lxd". */
import test from 'ava';
import { formatLabStatus, type LabStatus } from '../../src/lab/status.js';

function status(daemon: 'lxd' | 'incus' | undefined, lxd = true): LabStatus {
  return {
    up: true,
    phase: 'ready',
    options: { hosts: 1, overlay: 'tinc', lxd, containers: 1, ...(daemon ? { daemon } : {}) },
    hosts: [
      {
        name: 'lxd1',
        underlayAddress: '192.168.99.1',
        bridgeAddress: '172.16.0.1',
        initPid: 100,
        initAlive: true,
        overlayBridged: true,
        daemons: [{ name: daemon === 'incus' ? 'incusd' : 'lxd', pid: 101, alive: true, listening: true }],
      },
    ],
    containers: [],
    faults: [],
    leftovers: [],
  };
}

test('an Incus lab says Incus containers and incusd', (t) => {
  const out = formatLabStatus(status('incus'));
  t.regex(out, /Incus containers/);
  t.regex(out, /incusd/);
  t.notRegex(out, /LXD containers/);
});

test('an LXD lab (named, or an older state file without daemon) says LXD', (t) => {
  for (const d of ['lxd', undefined] as const) {
    const out = formatLabStatus(status(d));
    t.regex(out, /LXD containers/);
    t.notRegex(out, /Incus|incusd/);
  }
});

test('a --no-lxd lab says netns containers', (t) => {
  t.regex(formatLabStatus(status(undefined, false)), /netns containers/);
});
