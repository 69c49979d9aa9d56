/** duplicate-name: a second container with an existing container's name, on another host. */
import { containerNetns } from '../constants.js';
import { createNetnsContainer, deleteNetnsContainer, releaseDhclient, startDhclient } from '../containers.js';
import { lxdDeleteInstance, lxdLaunch } from '../lxd.js';
import type { LabContainer } from '../state.js';
import { currentContainers } from '../verify.js';
import { renewContainer } from './common.js';
import { defineFault } from './types.js';

const DUP_MAC = '02:00:00:00:0d:01';

export const duplicateName = defineFault({
  name: 'duplicate-name',
  summary:
    'a second container with the name of an existing one, on another host, with its own MAC, takes a lease under the same hostname',
  whatYouSee:
    "two leases claiming the name (the older shows `*`), NAME.lxd resolves to the newcomer's address; dnsmasq logs no warning",
  host: 'lxd2',
  // A netns container stands in for the LXD one on a --no-lxd lab.
  needsLxd: false,
  async apply(s, h) {
    const live = await currentContainers(s);
    const original = live.find((c) => c.host !== h.name);
    if (!original) throw new Error(`duplicate-name needs a container on a host other than ${h.name}`);
    if (s.options.lxd) {
      await lxdLaunch(s, h, original.name);
      return {
        detail: `launched a second ${h.daemon === 'incus' ? 'Incus' : 'LXD'} container named ${original.name} on ${h.name} (the first is on ${original.host})`,
        data: { name: original.name, originalHost: original.host },
      };
    }
    const dupId = `${original.name}-dup`;
    const dup = await startDhclient(await createNetnsContainer(dupId, h, DUP_MAC, original.name));
    return {
      detail: `started a second container named ${original.name} on ${h.name} (netns ${containerNetns(dupId)}, MAC ${DUP_MAC}) that took lease ${dup.address} as "${original.name}"; the first is on ${original.host}`,
      data: { name: original.name, originalHost: original.host, dup },
    };
  },
  async undo(s, h, f) {
    const name = String(f.data?.name);
    if (s.options.lxd) await lxdDeleteInstance(h, name);
    else {
      const dup = f.data?.dup as LabContainer | undefined;
      if (dup) {
        await releaseDhclient(dup);
        await deleteNetnsContainer(dup);
      }
    }
    // The original renews so that the name points at it again.
    const original = s.containers.find((c) => c.name === name && c.host === f.data?.originalHost);
    if (original) await renewContainer(s, original);
  },
});
