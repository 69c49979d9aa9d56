/**
 * containers.* from the inside: pings between containers by address and by
 * name, and what the names resolve to, as each running container saw them
 * (facts/containers.ts runs the probes). Which containers exist and their
 * leases are judged in containers.ts.
 */
import { CONTAINER_TOOLS, fqdn, placedContainers } from '../facts/containers.js';
import type { ContainerProbe, PingResult } from '../facts/types.js';
import type { Subject } from '../model.js';
import { type CheckDef, factsOf, fail, type JudgeContext, pass, skip, warn } from './check.js';
import { clientOn, containerSubjects, placed } from './containers.js';
import { pingMetrics, sectionEvidence } from './util.js';

/** Container pairs the probes covered (source probe → each target it pinged). */
function pairSubjects(ctx: JudgeContext): Subject[] {
  const all = placedContainers(ctx.inventory, ctx.hosts);
  const out: Subject[] = [];
  for (const src of all.filter((c) => c.info.running)) {
    const probe = probeOf(ctx, src.host, src.name);
    if (!probe) continue;
    for (const t of all) {
      if (t === src || !t.info.running) continue;
      const ip = t.info.ipv4[0];
      if ((ip && probe.byIp.has(ip)) || probe.byName.has(fqdn(ctx.inventory, t.name)) || probe.error) {
        out.push({ host: src.host, container: src.name, peer: t.host, peerContainer: t.name });
      }
    }
  }
  return out;
}

function probeOf(
  ctx: JudgeContext,
  host: string | undefined,
  name: string | undefined,
): ContainerProbe | undefined {
  return ctx.hosts.get(host ?? '')?.containerProbes.find((p) => p.container === name);
}

function pingText(r: PingResult): string {
  return `${r.sent} sent, ${r.received} received${r.rttAvgMs !== undefined ? `, avg ${r.rttAvgMs} ms` : ''}${r.error ? ` (${r.error})` : ''}`;
}

/** A probe that could not run, or lacks the tool: a SKIP with the reason and the package, never a pass. */
function probeUnusable(ctx: JudgeContext, s: Subject, tool: string) {
  const p = probeOf(ctx, s.host, s.container);
  if (!p) return skip(`no probe ran in ${s.container}`);
  if (p.error)
    return {
      status: 'error' as const,
      summary: p.error,
      evidence: [sectionEvidence(factsOf(ctx, s.host), p.section)],
    };
  if (p.tools && !p.tools.includes(tool)) {
    return skip(`${s.container} has no ${tool} (install ${CONTAINER_TOOLS[tool] ?? tool} in the container)`);
  }
  return null;
}

export const containersPingIp: CheckDef = {
  id: 'containers.ping-ip',
  diagnosis: { needs: ['l2'], pattern: { breaks: ['l2'] } },
  scope: 'container-pair',
  needs: ['containers.address'],
  subjects: pairSubjects,
  title: (s) => `${s.container} pings ${s.peerContainer} by address`,
  proves: 'Frames cross from one container to the other, through both bridges and the overlay.',
  whyItFails:
    'The overlay between the two hosts is broken (tap not bridged, peer down, MTU), or a firewall in between.',
  howToFix: 'Look at overlay.member, overlay.peers and mesh.bridge for the two hosts.',
  judge(s, ctx) {
    const bad = probeUnusable(ctx, s, 'ping');
    if (bad) return bad;
    const target = placed(ctx, { host: s.peer, container: s.peerContainer });
    const ip = target?.info.ipv4[0];
    if (!ip) return skip(`${s.peerContainer} has no IPv4 to ping`);
    const r = probeOf(ctx, s.host, s.container)?.byIp.get(ip);
    if (!r) return skip(`${s.peerContainer} was not in ${s.container}'s sample`);
    const ev = [
      sectionEvidence(factsOf(ctx, s.host), probeOf(ctx, s.host, s.container)!.section, {
        excerpt: `ping ${ip}: ${pingText(r)}`,
      }),
    ];
    const metrics = pingMetrics(r);
    if (r.received === 0) {
      const cross = s.host !== s.peer;
      return fail(
        `${s.container}@${s.host} cannot reach ${s.peerContainer}@${s.peer} at ${ip}: ${pingText(r)}`,
        {
          expected: 'replies',
          actual: pingText(r),
          evidence: ev,
          metrics,
          hint: {
            why: cross
              ? 'The two hosts’ bridges are not joined: check the overlay between them.'
              : 'Same-host containers cannot talk: check the bridge and the containers’ firewalls.',
            fix: [`lxdcheck run -i INVENTORY --only 'overlay.*' --only 'mesh.*'`],
          },
        },
      );
    }
    if (r.received < r.sent) return warn(`${ip}: ${pingText(r)}`, { evidence: ev, metrics });
    return pass(`${ip}: ${pingText(r)}`, { metrics });
  },
};

export const containersPingName: CheckDef = {
  id: 'containers.ping-name',
  diagnosis: { needs: ['l2', 'dns'], usesDhcpHost: true, pattern: { breaks: ['l2'] } },
  scope: 'container-pair',
  needs: ['containers.address'],
  subjects: pairSubjects,
  title: (s, inv) =>
    `${s.container} pings ${s.peerContainer} by name ${s.peerContainer}.${inv.cluster.domain}`,
  proves: 'The name resolves through the one dnsmasq, to this container, and it answers.',
  whyItFails:
    'dnsmasq is down or unreachable, the name belongs to another container (duplicate names), or the overlay is broken.',
  howToFix: 'Look at dns.answers, containers.duplicate-name and containers.ping-ip.',
  judge(s, ctx) {
    const bad = probeUnusable(ctx, s, 'ping');
    if (bad) return bad;
    const name = fqdn(ctx.inventory, s.peerContainer ?? '');
    const probe = probeOf(ctx, s.host, s.container)!;
    const r = probe.byName.get(name);
    if (!r) return skip(`${name} was not in ${s.container}'s sample`);
    const target = placed(ctx, { host: s.peer, container: s.peerContainer });
    const resolved = probe.dns.get(name)?.addresses ?? [];
    const ev = [
      sectionEvidence(factsOf(ctx, s.host), probe.section, {
        excerpt: `ping ${name}: ${pingText(r)}\ngetent ahostsv4 ${name}: ${resolved.join(' ') || '(no answer)'}`,
      }),
    ];
    const own = target?.info.ipv4 ?? [];
    if (r.received > 0 && resolved.length > 0 && !resolved.some((a) => own.includes(a))) {
      return fail(
        `${name} answers, but at ${resolved.join(', ')}, not at ${s.peerContainer}@${s.peer}'s ${own.join(', ') || '(no address)'}`,
        {
          evidence: ev,
          metrics: pingMetrics(r),
          cause: { check: 'containers.duplicate-name', subject: {} },
          hint: {
            why: 'Another container holds the name (see containers.duplicate-name): traffic by name reaches the wrong one.',
          },
        },
      );
    }
    if (r.received === 0) {
      const why =
        r.error && /resolution|not known/i.test(r.error)
          ? `${name} does not resolve (${r.error})`
          : pingText(r);
      return fail(`${s.container}@${s.host} cannot reach ${name}: ${why}`, {
        metrics: pingMetrics(r),
        expected: `replies from ${own.join(', ')}`,
        actual: why,
        evidence: ev,
        hint: { why: 'Names fail while addresses may still work: look at dns.answers and dhcp.single.' },
      });
    }
    return pass(`${name} → ${resolved.join(', ') || '?'}: ${pingText(r)}`, { metrics: pingMetrics(r) });
  },
};

export const containersDns: CheckDef = {
  id: 'containers.dns',
  diagnosis: { needs: ['l2', 'dns'], usesDhcpHost: true },
  scope: 'container',
  needs: ['containers.listed'],
  subjects: (ctx) => containerSubjects(ctx, true),
  title: (s, inv) =>
    `${s.container}.${inv.cluster.domain} resolves to ${s.container}'s address from every host`,
  proves:
    'What the name resolves to, asked from inside a container on every host, is the address LXD reports.',
  whyItFails: 'A stale lease, a duplicate name (the newest holder wins), or dnsmasq down.',
  howToFix: 'Rename one of a duplicate pair (`lxc move old new`), or renew the stale lease.',
  judge(s, ctx) {
    const c = placed(ctx, s);
    if (!c) return skip('container vanished between list and judge');
    const name = fqdn(ctx.inventory, c.name);
    const own = c.info.ipv4;
    const answers: { from: string; addresses: string[] }[] = [];
    for (const h of ctx.inventory.hosts) {
      const probe = ctx.hosts
        .get(h.name)
        ?.containerProbes.find((p) => !p.error && p.tools?.includes('getent') && p.dns.has(name));
      if (probe)
        answers.push({
          from: `${probe.container}@${h.name}`,
          addresses: probe.dns.get(name)?.addresses ?? [],
        });
    }
    if (answers.length === 0) return skip(`no container with getent asked for ${name}`);
    const shown = answers.map((a) => `${a.from}: ${a.addresses.join(',') || 'no answer'}`).join('; ');
    const wrong = answers.filter((a) => !a.addresses.some((x) => own.includes(x)));
    if (wrong.length === 0) return pass(`${name} → ${own.join(', ')} from ${answers.length} host(s)`);
    const foreign = [...new Set(wrong.flatMap((w) => w.addresses))];
    const holder = placedContainers(ctx.inventory, ctx.hosts).find(
      (x) => x !== c && x.info.ipv4.some((a) => foreign.includes(a)),
    );
    return fail(
      foreign.length
        ? `${name} resolves to ${foreign.join(', ')}${holder ? ` (${holder.name}@${holder.host})` : ''}, but ${c.name}@${c.host} has ${own.join(', ') || 'no address'}`
        : `${name} does not resolve from ${wrong.map((w) => w.from).join(', ')}`,
      {
        expected: own.join(', '),
        involves: [...new Set(wrong.map((w) => w.from.split('@')[1] ?? ''))].filter(Boolean),
        ...(holder ? { cause: { check: 'containers.duplicate-name', subject: {} } } : {}),
        actual: shown,
        evidence: answers.map((a) => ({
          host: a.from.split('@')[1],
          command: `getent ahostsv4 ${name}`,
          excerpt: a.addresses.join(' ') || '(no answer)',
        })),
        hint: {
          why: foreign.length
            ? 'A stale lease or another container with the same name holds the name.'
            : 'The one dnsmasq does not answer for this name.',
          fix: holder
            ? [
                `${clientOn(ctx, holder.host)} move ${holder.name} ${holder.name}-2   # on ${holder.host}: rename one of the two`,
              ]
            : [],
        },
      },
    );
  },
};
