/** The lab at scale: the tinc ConnectTo topology, and the machine-wide ARP table it needs. */
import test from 'ava';
import { neighNeeded } from '../../src/lab/neigh.js';
import { TINC_FULL_MESH_LIMIT, tincConnectTo } from '../../src/lab/services.js';

test('up to the limit, every host connects to every other (the labs the e2e tests build)', (t) => {
  t.deepEqual(tincConnectTo(1, 3), [2, 3]);
  t.deepEqual(tincConnectTo(2, 3), [1, 3]);
  t.is(tincConnectTo(4, TINC_FULL_MESH_LIMIT).length, TINC_FULL_MESH_LIMIT - 1);
});

test('30 hosts: ⌈log2 30⌉ connections each instead of 29, and every host still reaches every other', (t) => {
  const n = 30;
  const edges = new Map<number, Set<number>>();
  const link = (a: number, b: number) => {
    if (!edges.has(a)) edges.set(a, new Set());
    edges.get(a)?.add(b);
  };
  for (let i = 1; i <= n; i++) {
    const to = tincConnectTo(i, n);
    t.is(to.length, 5, `lxd${i}`);
    t.false(to.includes(i));
    for (const j of to) {
      t.true(j >= 1 && j <= n);
      link(i, j);
      link(j, i);
    }
  }
  // Meta connections are two-way: a breadth-first walk from lxd1 finds all 30 within a few hops.
  const hops = new Map([[1, 0]]);
  const queue = [1];
  while (queue.length) {
    const a = queue.shift() as number;
    for (const b of edges.get(a) ?? [])
      if (!hops.has(b)) hops.set(b, (hops.get(a) ?? 0) + 1) && queue.push(b);
  }
  t.is(hops.size, n);
  t.true(Math.max(...hops.values()) <= 3);
});

test('the ARP table a lab needs: the default 1024 holds 3 and 10 hosts, not 30 (raised while the lab is up)', (t) => {
  t.true(neighNeeded(3, 3) < 1024);
  t.true(neighNeeded(10, 10) < 1024);
  // 30 bridges + 30 overlay + 30 underlay peers and 30 containers, on each of 30 hosts, with room to spare.
  t.true(neighNeeded(30, 30) >= 30 * (3 * 30 + 30));
});
