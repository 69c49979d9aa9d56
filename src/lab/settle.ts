/**
 * After tinc (re)starts, its own path-MTU discovery takes a few seconds; a
 * full-size frame sent meanwhile makes tinc answer with an ICMP
 * "fragmentation needed" carrying its current low estimate, and the kernel
 * caches that for ten minutes. A lab that is declared healthy must not carry
 * such a poisoned cache: wait until every tinc knows the full MTU to every
 * peer, then flush the route and neighbour caches.
 */
import { parseTincNodes } from '../facts/parsers/tinc.js';
import { TINC_LOG, TINC_NET } from './constants.js';
import { execOn } from './host.js';
import type { LabState } from './state.js';

/** tinc's PMTU for a full 1500-byte frame in switch mode (frame plus Ethernet header and tags). */
const FULL_PMTU = 1518;

async function tincConverged(h: LabState['hosts'][number], peers: number): Promise<boolean> {
  const script = `n=$(wc -c < ${TINC_LOG}); tincd -n ${TINC_NET} -kUSR2 || exit 1; sleep 0.2; tail -c +$((n+1)) ${TINC_LOG}`;
  const r = await execOn(h, ['sh', '-c', script], { timeoutMs: 5000 });
  const nodes = parseTincNodes(r.stdout);
  if (!nodes) return false;
  const others = nodes.filter((n) => !n.myself);
  return others.length === peers && others.every((n) => n.reachable && (n.pmtu ?? 0) >= FULL_PMTU);
}

export async function settleOverlay(
  s: LabState,
  log: (line: string) => void,
  timeoutMs = 20_000,
): Promise<void> {
  const hosts = s.hosts;
  if (s.options.overlay === 'tinc' || s.options.overlay === 'peervpn') {
    // No ALRM here: it makes tincd fire every pending timer at once, which both re-opens connections
    // that are fine (each side closes the other's duplicate) and sends a burst of path-MTU probes that
    // counts as "no reply", so tinc fixes a low path MTU for minutes: the lab's flake (issue 15 #16).
    // A restarted daemon connects to its ConnectTo peers by itself at start.
    const started = Date.now();
    const pending = new Set(hosts.map((h) => h.name));
    while (pending.size > 0 && Date.now() - started < timeoutMs) {
      for (const h of hosts.filter((x) => pending.has(x.name))) {
        if (await tincConverged(h, hosts.length - 1)) pending.delete(h.name);
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 300));
    }
    if (pending.size > 0)
      log(`lab: tinc path MTU not settled on ${[...pending].join(', ')} after ${timeoutMs / 1000} s`);
  }
  // Route caches (poisoned path MTUs) and neighbour caches (a bridge address that briefly lived on
  // another host's bridge) would otherwise keep a healed lab broken for minutes.
  await Promise.all(
    hosts.map(async (h) => {
      await execOn(h, ['ip', 'route', 'flush', 'cache'], { timeoutMs: 5000 });
      await execOn(h, ['ip', 'neigh', 'flush', 'all'], { timeoutMs: 5000 });
    }),
  );
}
