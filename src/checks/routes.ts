/** routes.*: the kernel sends cluster and overlay traffic where it belongs. */
import { Netmask } from 'netmask';
import { ROUTES } from '../facts/host/routes.js';
import type { RouteInfo } from '../facts/types.js';
import { type CheckDef, factsOf, fail, pass, skip, warn } from './check.js';
import { sectionEvidence, unreadable } from './util.js';

function overlaps(a: string, b: string): boolean {
  try {
    const x = new Netmask(a === 'default' ? '0.0.0.0/0' : a);
    const y = new Netmask(b);
    return x.contains(y.base) || y.contains(x.base);
  } catch {
    return false;
  }
}

function show(r: RouteInfo): string {
  return [
    r.type !== 'unicast' ? r.type : '',
    r.dst,
    r.gateway ? `via ${r.gateway}` : '',
    r.dev ? `dev ${r.dev}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function subnetRoute(id: string, which: 'cluster' | 'overlay'): CheckDef {
  return {
    id,
    scope: 'host',
    // The cluster route carries the bridge address; the overlay subnet's only the (optional) overlay addresses.
    diagnosis: which === 'cluster' ? { breaks: ['address'], rank: 60 } : { rank: 90 },
    needs: [which === 'cluster' ? 'bridge.exists' : 'overlay.exists'],
    title: (_s, inv) =>
      which === 'cluster'
        ? `a route to ${inv.cluster.subnet} via ${inv.cluster.bridge}`
        : `a route to ${inv.cluster.overlay.subnet ?? 'the overlay subnet'} via ${inv.cluster.overlay.interface}`,
    proves: `The ${which} subnet is routed on-link through the right device.`,
    whyItFails:
      'The address was added with the wrong prefix, the route was deleted, or a more specific route points elsewhere.',
    howToFix:
      'ip route replace <subnet> dev <device> (it comes back with the address: re-add the address with the right prefix).',
    judge(s, ctx) {
      const f = factsOf(ctx, s.host);
      const inv = ctx.inventory;
      const subnet = which === 'cluster' ? inv.cluster.subnet : inv.cluster.overlay.subnet;
      const dev = which === 'cluster' ? inv.cluster.bridge : inv.cluster.overlay.interface;
      if (!subnet) return skip('the inventory gives no overlay subnet');
      if (!f.routes) return unreadable(f, ROUTES, 'the routing table');
      const net = new Netmask(subnet);
      const exact = f.routes.find((r) => r.dst === `${net.base}/${net.bitmask}`);
      const all = f.routes.map(show).join('\n');
      if (!exact) {
        return fail(`${s.host} has no route to ${subnet}`, {
          expected: `${subnet} dev ${dev}`,
          actual: 'no such route',
          evidence: [sectionEvidence(f, ROUTES, { excerpt: all })],
          hint: {
            why: `Traffic to ${subnet} follows the default route instead of staying on the L2.`,
            fix: [`ip route replace ${subnet} dev ${dev}`],
          },
        });
      }
      if (exact.type !== 'unicast' || exact.dev !== dev || exact.gateway) {
        return fail(`${s.host} routes ${subnet} as \`${show(exact)}\`, not on-link via ${dev}`, {
          expected: `${subnet} dev ${dev}`,
          actual: show(exact),
          evidence: [sectionEvidence(f, ROUTES, { excerpt: all })],
          hint: { fix: [`ip route replace ${subnet} dev ${dev}`] },
        });
      }
      return pass(`${show(exact)}`);
    },
  };
}

export const routesCluster = subnetRoute('routes.cluster', 'cluster');
export const routesOverlay: CheckDef = {
  ...subnetRoute('routes.overlay', 'overlay'),
  // Not on a Fan cluster: no L2 overlay there (check.ts judgeCheck).
  l2Overlay: true,
};

export const routesDefault: CheckDef = {
  id: 'routes.default',
  scope: 'host',
  needs: ['ssh.reachable'],
  title: () => 'a default route exists',
  proves: 'The host can reach networks outside the cluster (image servers, package mirrors).',
  whyItFails: 'No gateway configured, or DHCP on the uplink failed.',
  howToFix: 'ip route add default via <gateway>',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    if (!f.routes) return unreadable(f, ROUTES, 'the routing table');
    const d = f.routes.find((r) => r.dst === 'default');
    if (!d) {
      return warn(`${s.host} has no default route`, {
        evidence: [sectionEvidence(f, ROUTES, { excerpt: f.routes.map(show).join('\n') })],
        hint: {
          why: 'The cluster works without it, but image downloads and updates do not.',
          fix: ['ip route add default via <gateway>'],
        },
      });
    }
    return pass(show(d));
  },
};

export const routesConflict: CheckDef = {
  id: 'routes.conflict',
  diagnosis: { breaks: ['address'], rank: 60 },
  scope: 'host',
  needs: ['ssh.reachable'],
  title: () => 'no route sends cluster or overlay addresses out another device',
  proves:
    'No more specific or competing route (e.g. a VPN client, docker, a stale static route) hijacks cluster traffic.',
  whyItFails: 'Another network (docker0, a corporate VPN, an old static route) uses an overlapping range.',
  howToFix: 'Delete the competing route, or renumber the other network.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const inv = ctx.inventory;
    if (!f.routes) return unreadable(f, ROUTES, 'the routing table');
    const mine: [string, string][] = [[inv.cluster.subnet, inv.cluster.bridge]];
    if (inv.cluster.overlay.subnet) mine.push([inv.cluster.overlay.subnet, inv.cluster.overlay.interface]);
    const bad = f.routes.filter(
      (r) => r.dst !== 'default' && mine.some(([net, dev]) => overlaps(r.dst, net) && r.dev !== dev),
    );
    if (bad.length === 0) return pass('no competing routes');
    return fail(`${s.host} routes part of the cluster ranges elsewhere: ${bad.map(show).join('; ')}`, {
      expected: mine.map(([n, d]) => `${n} only via ${d}`).join(', '),
      actual: bad.map(show).join('; '),
      evidence: [sectionEvidence(f, ROUTES, { excerpt: f.routes.map(show).join('\n') })],
      hint: {
        why: 'The most specific route wins: these addresses never reach the bridge.',
        fix: bad.map(
          (r) =>
            `ip route del ${r.type !== 'unicast' ? `${r.type} ` : ''}${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`,
        ),
      },
    });
  },
};
