/**
 * The fault registry: every lab fault, one file each, in the order `lab --help` lists them.
 * A new fault is one file here plus one line in FAULT_LIST; FAULT_NAMES, FaultName and the CLI follow.
 */
import { bridgeAddressConflict } from './bridge-address-conflict.js';
import { containerDhcp } from './container-dhcp.js';
import { dnsDown } from './dns-down.js';
import { duplicateName } from './duplicate-name.js';
import { mtu } from './mtu.js';
import { multicastBlocked } from './multicast-blocked.js';
import { overlayNotBridged } from './overlay-not-bridged.js';
import { peerDown } from './peer-down.js';
import { pskMismatch } from './psk-mismatch.js';
import { routeMissing } from './route-missing.js';
import { secondDhcp } from './second-dhcp.js';
import { serviceOrder } from './service-order.js';
import type { FaultDef } from './types.js';

export type { FaultDef, FaultInfo } from './types.js';

export const FAULT_LIST = [
  serviceOrder,
  peerDown,
  secondDhcp,
  dnsDown,
  routeMissing,
  mtu,
  duplicateName,
  bridgeAddressConflict,
  multicastBlocked,
  overlayNotBridged,
  pskMismatch,
  containerDhcp,
] as const;

export type FaultName = (typeof FAULT_LIST)[number]['name'];

export const FAULT_NAMES: readonly FaultName[] = FAULT_LIST.map((f) => f.name);

/** Each fault by name. */
export const FAULTS = Object.fromEntries(FAULT_LIST.map((f) => [f.name, f])) as Record<
  FaultName,
  FaultDef<FaultName>
>;

export function isFaultName(s: string): s is FaultName {
  return (FAULT_NAMES as readonly string[]).includes(s);
}
