/** bridge.stp: STP off on the cluster bridge, so a port that (re)joins forwards at once. */
import { BRCTL } from '../facts/host/bridge.js';
import { type CheckDef, factsOf, pass, skip, warn } from './check.js';
import { sectionEvidence } from './util.js';

export const bridgeStp: CheckDef = {
  id: 'bridge.stp',
  scope: 'host',
  needs: ['bridge.exists'],
  title: (_s, inv) => `STP is off on ${inv.cluster.bridge}`,
  proves: 'A VPN tap or a container that (re)joins the bridge forwards at once, not after STP’s 30 s.',
  whyItFails: 'The bridge was created by hand or by a tool that turns STP on; LXD creates it with STP off.',
  howToFix: 'ip link set BRIDGE type bridge stp_state 0',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const br = ctx.inventory.cluster.bridge;
    const b = f.brctl?.find((x) => x.name === br);
    if (!b) return skip(f.brctlMissing ? 'brctl is not installed here' : `brctl show does not list ${br}`);
    if (!b.stp) return pass(`STP is off on ${br}`);
    return warn(`STP is on on ${br} (${s.host}): a port that joins waits ~30 s before it forwards`, {
      evidence: [sectionEvidence(f, BRCTL, { excerpt: `${b.name} ${b.id} yes ${b.interfaces.join(' ')}` })],
      hint: { fix: [`ip link set ${br} type bridge stp_state 0`] },
    });
  },
};
