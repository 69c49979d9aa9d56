/**
 * The registry, in judging order: a check comes after everything it needs.
 * Display order is derived from scope (engine/plan.ts), not from this list.
 */

import {
  bridgeAddress,
  bridgeExists,
  bridgeMtu,
  bridgeMulticastQuerier,
  bridgeUniqueAddress,
} from './bridge.js';
import { bridgeMulticastRouter } from './bridge-multicast-router.js';
import { type CheckDef, validateRegistry } from './check.js';
import { containersDns, containersPingIp, containersPingName } from './container-probes.js';
import {
  containersAddress,
  containersDuplicateName,
  containersLease,
  containersListed,
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
  overlayPortAddresses,
} from './overlay.js';
import { overlayPeers } from './overlay-peers.js';
import { overlayPsk } from './overlay-psk.js';
import { routesCluster, routesConflict, routesDefault, routesOverlay } from './routes.js';
import { serviceOrder } from './service-order.js';
import { sshReachable } from './ssh.js';

export const hostChecks: CheckDef[] = [
  sshReachable,
  bridgeExists,
  bridgeAddress,
  overlayExists,
  overlayMember,
  overlayAddress,
  overlayDaemon,
  overlayPeers,
  serviceOrder,
  bridgeMtu,
  bridgeMulticastQuerier,
  bridgeMulticastRouter,
  routesCluster,
  routesOverlay,
  routesDefault,
  routesConflict,
  dnsAnswers,
  dhcpConfig,
  bridgeUniqueAddress,
  overlayPortAddresses,
  overlayPsk,
  dhcpSingle,
  meshBridge,
  meshOverlay,
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
