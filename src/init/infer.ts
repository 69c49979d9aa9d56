/**
 * The inference rules of `lxdcheck init`: from what each host shows
 * (observe.ts) to the inventory's values, each with where it came from.
 * Pure, so every rule is tested on recorded host outputs.
 *
 * Principles: a value is set only when the evidence agrees (or a majority
 * agrees, which is said, and asks a human to confirm); conflicting or
 * missing evidence leaves the value unset with the reason, since a wrong
 * inventory produces wrong verdicts.
 *
 * The rules live by what they infer, in this order (later ones build on
 * earlier ones), each adding to the same findings: infer-overlay.ts, then
 * infer-network.ts (bridge, addresses, subnets, sudo), then infer-dhcp.ts
 * (DHCP, domain, range, the LXD client).
 */
import type { Findings, Inference, InferOptions, Sourced } from './infer-common.js';
import { inferClient, inferDhcp } from './infer-dhcp.js';
import { inferAddresses, inferBridge } from './infer-network.js';
import { inferOverlay } from './infer-overlay.js';
import type { Observation } from './observe.js';

export type {
  Inference,
  InferOptions,
  InferredHost,
  InferredOverlay,
  Sourced,
  Undecided,
} from './infer-common.js';
export { networkOf } from './infer-common.js';
export { rangeOf } from './infer-dhcp.js';

const HOST_NAME_RE = /^[a-z0-9][a-z0-9.-]*$/;

/** A host's name: its hostname when valid, else the target's host part. */
function hostNames(obs: Observation[]): Sourced<string>[] {
  const used = new Set<string>();
  return obs.map((o) => {
    const short = (o.hostname ?? '').split('.')[0]!.toLowerCase();
    let name: string;
    let from: string;
    if (HOST_NAME_RE.test(short)) {
      name = short;
      from = `hostname on ${o.target}`;
    } else {
      const host = o.target.replace(/^.*@/, '').replace(/:\d+$/, '').replace(/[[\]]/g, '');
      name =
        host
          .toLowerCase()
          .replace(/[^a-z0-9.-]/g, '-')
          .replace(/^[^a-z0-9]+/, '') || 'host';
      from = `the SSH target (hostname ${o.hostname ? `"${o.hostname}" is not a valid name` : 'unknown'})`;
    }
    let unique = name;
    for (let i = 2; used.has(unique); i++) unique = `${name}-${i}`;
    used.add(unique);
    if (unique !== name) from += `; "${name}" was taken, so numbered`;
    return { value: unique, from };
  });
}

export function infer(observations: Observation[], opts: InferOptions = {}): Inference {
  const names = hostNames(observations);
  const f: Findings = { observations, hostOf: (i) => names[i]!.value, undecided: [], notes: [] };
  const { chosen, overlay, overlayIface } = inferOverlay(f);
  const bridge = inferBridge(f, opts, chosen, overlayIface);
  const { hosts, subnet } = inferAddresses(f, names, bridge, overlay, overlayIface);
  const { dhcp, dhcpRange, domain } = inferDhcp(f, bridge, subnet);
  const lxd = inferClient(f);

  const out: Inference = { hosts, undecided: f.undecided, notes: f.notes };
  if (bridge) out.bridge = bridge;
  if (subnet) out.subnet = subnet;
  if (overlay) out.overlay = overlay;
  if (dhcp) out.dhcp = dhcp;
  if (domain) out.domain = domain;
  if (dhcpRange) out.dhcpRange = dhcpRange;
  if (lxd) out.lxd = lxd;
  return out;
}
