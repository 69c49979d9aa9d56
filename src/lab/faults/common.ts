/** Repairs shared by several faults' undo and by heal itself. */
import { BRIDGE, OVERLAY_IF } from '../constants.js';
import { startDhclient } from '../containers.js';
import { run } from '../exec.js';
import { lxdRenewDhcp } from '../lxd.js';
import { startPeervpn } from '../peervpn.js';
import { pidAlive } from '../proc.js';
import { stopDaemon } from '../services.js';
import { findHost, type LabContainer, type LabHost, type LabState } from '../state.js';

export async function restartPeervpn(h: LabHost): Promise<void> {
  await stopDaemon(h, h.daemons.peervpn);
  h.daemons.peervpn = await startPeervpn(h);
}

/** Put the overlay device back into the host's bridge. */
export const addIf = (h: LabHost) =>
  run(['ip', '-n', h.netns, 'link', 'set', OVERLAY_IF, 'master', BRIDGE]).then(() => undefined);

/** Get a fresh lease for a container (its DHCP client restarted). */
export async function renewContainer(s: LabState, c: LabContainer): Promise<void> {
  if (c.kind === 'lxd') {
    const h = findHost(s, c.host);
    await lxdRenewDhcp(h, c.name);
    return;
  }
  if (c.dhclientPid && (await pidAlive(c.dhclientPid))) await run(['kill', '-9', String(c.dhclientPid)]);
  const fresh = await startDhclient(c);
  const i = s.containers.findIndex((x) => x.name === c.name);
  if (i >= 0) s.containers[i] = fresh;
}
