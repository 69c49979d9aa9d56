/**
 * The registry, in judging order: a check comes after everything it needs.
 * Display order is derived from scope (engine/plan.ts), not from this list.
 */
import { type CheckDef, skip } from '../engine/check.js';
import { validateRegistry } from '../engine/plan.js';
import { fanReason } from '../facts/fan.js';
import {
  bridgeAddress,
  bridgeExists,
  bridgeMtu,
  bridgeMulticastQuerier,
  bridgeUniqueAddress,
} from './bridge.js';
import {
  containersAddress,
  containersDns,
  containersDuplicateName,
  containersLease,
  containersListed,
  containersPingIp,
  containersPingName,
  containersStaleLeases,
} from './containers.js';
import { containersDaemon } from './daemon.js';
import { dhcpConfig, dhcpSingle, dnsAnswers } from './dhcp.js';
import { fanBridgeAddress } from './fan-bridge-address.js';
import { fanReach } from './fan-reach.js';
import { fanSlices } from './fan-slices.js';
import { fanUnderlay } from './fan-underlay.js';
import { meshBridge, meshOverlay, meshPmtu } from './mesh.js';
import { multicastContainers } from './multicast.js';
import {
  overlayAddress,
  overlayDaemon,
  overlayExists,
  overlayMember,
  overlayPeers,
  overlayPortAddresses,
} from './overlay.js';
import { overlayPsk } from './overlay-psk.js';
import { routesCluster, routesConflict, routesDefault, routesOverlay } from './routes.js';
import { serviceOrder } from './service-order.js';
import { sshReachable } from './ssh.js';

/**
 * On a cluster joined by the Ubuntu Fan (a managed bridge with bridge.mode=fan) there is
 * no L2 overlay: the checks of one skip and say so, and the fan.* checks judge the Fan.
 */
function unlessFan(check: CheckDef): CheckDef {
  return {
    ...check,
    judge(s, ctx) {
      const why = fanReason(ctx.hosts);
      return why ? skip(why) : check.judge(s, ctx);
    },
  };
}

export const hostChecks: CheckDef[] = [
  sshReachable,
  bridgeExists,
  bridgeAddress,
  ...[overlayExists, overlayMember, overlayAddress, overlayDaemon, overlayPeers, serviceOrder, bridgeMtu].map(
    unlessFan,
  ),
  bridgeMulticastQuerier,
  routesCluster,
  unlessFan(routesOverlay),
  routesDefault,
  routesConflict,
  dnsAnswers,
  dhcpConfig,
  bridgeUniqueAddress,
  unlessFan(overlayPortAddresses),
  unlessFan(overlayPsk),
  dhcpSingle,
  meshBridge,
  unlessFan(meshOverlay),
  meshPmtu,
];

/** The Ubuntu Fan: instances only on a cluster whose bridge is a Fan bridge. */
export const fanChecks: CheckDef[] = [fanUnderlay, fanBridgeAddress, fanSlices, fanReach];

export const containerChecks: CheckDef[] = [
  containersListed,
  containersDaemon,
  containersAddress,
  containersLease,
  containersDns,
  containersDuplicateName,
  containersStaleLeases,
  containersPingIp,
  containersPingName,
  multicastContainers,
];

export const allChecks: CheckDef[] = [...hostChecks, ...containerChecks, ...fanChecks];

validateRegistry(allChecks);

export function findCheck(id: string): CheckDef | undefined {
  return allChecks.find((c) => c.id === id);
}
