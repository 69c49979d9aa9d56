/**
 * Build HostFacts from real captured outputs, the same way a live run does:
 * raw sections → buildHostFacts. Only the framing is assembled here.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readBundle } from '../../src/bundle/index.js';
import type { CheckDef, JudgeContext } from '../../src/checks/check.js';
import { buildHostFacts } from '../../src/facts/build.js';
import { REDACT_PSK } from '../../src/facts/host/overlay/peervpn.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import type { GatherResult, RawOutput } from '../../src/facts/types.js';
import { parseInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/types.js';
import type { Subject } from '../../src/model.js';
import { fixture } from './fixtures.js';

/**
 * A captured peervpn.conf as a host sends it: through the real section's sed, so the psk value
 * (kept in the capture) never reaches facts, verdicts or a failing test's output.
 */
export function peervpnConfAsSent(text: string): string {
  return execFileSync('sh', ['-c', REDACT_PSK], { input: text, encoding: 'utf8' });
}

// Re-exported: the check tests take it from here with the facts builders.
export { fixture };

/** A section that ran: stdout from a fixture file (or literal text with `text:`), exit code as captured. */
export function section(source: string, exitCode = 0, stderr = ''): RawOutput {
  const stdout = source.startsWith('text:') ? source.slice(5) : fixture(source);
  return { command: `(fixture ${source.startsWith('text:') ? 'text' : source})`, stdout, stderr, exitCode };
}

/** Frame real ping outputs the way sections.ts's parallel fan-out prints them. */
export function fanOut(blocks: { key: string; rc: number; source: string }[]): RawOutput {
  const stdout = blocks
    .map(
      (b) =>
        `##PING ${b.key} rc=${b.rc}\n${b.source.startsWith('text:') ? b.source.slice(5) : fixture(b.source)}`,
    )
    .join('\n');
  return { command: '(ping fan-out)', stdout, stderr: '', exitCode: 0 };
}

export function inventory(overlay: 'tinc' | 'peervpn' | 'vxlan' = 'tinc', hosts = 3): Inventory {
  const hostYaml = Array.from({ length: hosts }, (_, i) => {
    const n = i + 1;
    return `  - name: lxd${n}\n    ssh: root@192.168.99.${n}\n    bridgeAddress: 172.16.0.${n}\n    overlayAddress: 10.99.0.${n}\n`;
  }).join('');
  const network = overlay === 'tinc' ? '    network: lxd\n' : '';
  const text = `cluster:\n  name: test\n  domain: lxd\n  bridge: lxdbr0\n  subnet: 172.16.0.0/16\n  dhcpRange: 172.16.100.1,172.16.199.254\n  overlay:\n    type: ${overlay}\n    interface: peervpn0\n    subnet: 10.99.0.0/24\n${network}  dhcp: lxd1\nhosts:\n${hostYaml}`;
  return parseInventory(text, 'test.yaml', { sshConfigText: '' });
}

export function hostFacts(
  inv: Inventory,
  host: string,
  raw: Record<string, RawOutput>,
  extra: Partial<GatherResult> = {},
): HostFacts {
  const spec = inv.hosts.find((h) => h.name === host);
  if (!spec) throw new Error(`no host ${host}`);
  return buildHostFacts(inv, spec, { host, reachable: true, raw, durationMs: 1, ...extra });
}

export function context(inv: Inventory, facts: HostFacts[]): JudgeContext {
  return { inventory: inv, hosts: new Map(facts.map((f) => [f.host, f])), options: { strict: false } };
}

export function judge(check: CheckDef, ctx: JudgeContext, subject: Subject) {
  return check.judge(subject, ctx);
}

/**
 * Every host's facts of a recorded lab bundle (fixtures/bundles/NAME, real
 * captures), built as a replay builds them; `editInventory` changes the
 * bundle's inventory text first (the hosts' outputs stay as recorded).
 */
export function bundleContext(
  name: string,
  editInventory: (text: string) => string = (t) => t,
): JudgeContext {
  const dir = join(import.meta.dirname, '../../fixtures/bundles', name);
  const b = readBundle(dir);
  const inv = parseInventory(editInventory(b.inventoryText), join(dir, 'inventory.yaml'), {
    sshConfigText: '',
  });
  const facts = inv.hosts.flatMap((h) => {
    const g = b.gathers.get(h.name);
    return g ? [buildHostFacts(inv, h, g)] : [];
  });
  return context(inv, facts);
}
