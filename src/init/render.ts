/**
 * The inventory `lxdcheck init` writes: the documented shape (README
 * "Inventory", src/inventory/load.ts), every inferred value with a comment
 * saying where it came from, and every value a human must supply as a
 * commented-out line saying why, so the file fails to load until it is
 * decided rather than holding a guess.
 */
import { stringify } from 'yaml';
import type { Inference, Sourced } from './infer.js';

export interface RenderOptions {
  name: string;
  /** Written under ssh: when given on the command line. */
  identityFiles?: string[];
  knownHosts?: string;
  /** For the header: when and how it was made. */
  command: string;
  createdAt: string;
  /** Targets that could not be read: listed as comments, never as hosts. */
  unreachable?: { target: string; error: string }[];
}

/** A YAML scalar as the yaml package would write it (quoted only when it must be). */
function scalar(v: string | boolean): string {
  return stringify(v, { lineWidth: 0 }).trimEnd();
}

/** Comments are one line: no newlines from host output can break out of them. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

export function renderInventory(inf: Inference, opts: RenderOptions): string {
  const lines: string[] = [
    `# lxdcheck inventory written by \`${oneLine(opts.command)}\` on ${opts.createdAt}.`,
    '# Each value says where it came from; check them, then: lxdcheck run -i THIS-FILE',
  ];
  const why = (field: string) =>
    inf.undecided.filter((u) => u.field === field || u.field.startsWith(`${field}.`));
  const todo = (indent: string, key: string, field: string) => {
    for (const u of why(field)) lines.push(`${indent}# TODO ${key}: ${oneLine(u.why)}`);
  };
  const put = (indent: string, key: string, v: Sourced<string | boolean> | undefined, field: string) => {
    if (v === undefined) {
      lines.push(`${indent}# ${key}:`);
      todo(indent, key, field);
      return;
    }
    for (const u of why(field)) lines.push(`${indent}# CHECK ${key}: ${oneLine(u.why)}`);
    lines.push(`${indent}${key}: ${scalar(v.value)}   # ${oneLine(v.from)}`);
  };
  lines.push('cluster:');
  lines.push(`  name: ${scalar(opts.name)}`);
  put('  ', 'domain', inf.domain, 'cluster.domain');
  put('  ', 'bridge', inf.bridge, 'cluster.bridge');
  put('  ', 'subnet', inf.subnet, 'cluster.subnet');
  if (inf.dhcpRange) put('  ', 'dhcpRange', inf.dhcpRange, 'cluster.dhcpRange');
  if (inf.lxd) put('  ', 'lxd', inf.lxd, 'cluster.lxd');
  const o = inf.overlay;
  if (o) {
    for (const u of inf.undecided.filter((x) => x.field === 'cluster.overlay'))
      lines.push(`  # CHECK overlay: ${oneLine(u.why)}`);
    lines.push('  overlay:');
    put('    ', 'type', o.type, 'cluster.overlay.type');
    put('    ', 'interface', o.interface, 'cluster.overlay.interface');
    for (const key of ['subnet', 'network', 'configFile', 'logFile', 'unit'] as const) {
      const v = o[key];
      if (v) put('    ', key, v, `cluster.overlay.${key}`);
    }
  } else {
    lines.push('  # overlay:');
    for (const u of inf.undecided.filter((x) => x.field.startsWith('cluster.overlay')))
      lines.push(`  # TODO overlay: ${oneLine(u.why)}`);
    lines.push('  #   type: peervpn | tinc | vxlan', '  #   interface: peervpn0');
  }
  put('  ', 'dhcp', inf.dhcp, 'cluster.dhcp');
  if (opts.identityFiles?.length || opts.knownHosts) {
    lines.push('ssh:');
    if (opts.identityFiles?.length === 1) lines.push(`  identityFile: ${scalar(opts.identityFiles[0]!)}`);
    else if (opts.identityFiles?.length) {
      lines.push('  identityFile:');
      for (const f of opts.identityFiles) lines.push(`    - ${scalar(f)}`);
    }
    if (opts.knownHosts) lines.push(`  knownHosts: ${scalar(opts.knownHosts)}`);
  }
  lines.push('hosts:');
  for (const h of inf.hosts) {
    const field = `hosts.${h.name.value}`;
    lines.push(`  - name: ${scalar(h.name.value)}   # ${oneLine(h.name.from)}`);
    lines.push(`    ssh: ${scalar(h.target)}`);
    put('    ', 'bridgeAddress', h.bridgeAddress, `${field}.bridgeAddress`);
    if (h.overlayAddress) put('    ', 'overlayAddress', h.overlayAddress, `${field}.overlayAddress`);
    if (h.sudo.value) put('    ', 'sudo', h.sudo, `${field}.sudo`);
    else for (const u of why(`${field}.sudo`)) lines.push(`    # TODO sudo: ${oneLine(u.why)}`);
  }
  for (const u of opts.unreachable ?? []) {
    lines.push(`  # - ssh: ${scalar(u.target)}`, `  #   TODO: not reached: ${oneLine(u.error)}`);
  }
  return `${lines.join('\n')}\n`;
}
