/**
 * What every inference rule of `lxdcheck init` shares: the sourced value, the
 * inferred shapes, the findings (what a human must decide, notes) the rules
 * add to in order, and small helpers over addresses and votes.
 */
import { ipv4ToLong, isIPv4 } from '../inventory/ip.js';
import type { OverlayType } from '../inventory/types.js';
import type { Observation } from './observe.js';

/** A value and the evidence it was taken from (written as a YAML comment). */
export interface Sourced<T> {
  value: T;
  from: string;
}

export interface InferredHost {
  target: string;
  name: Sourced<string>;
  bridgeAddress?: Sourced<string>;
  overlayAddress?: Sourced<string>;
  sudo: Sourced<boolean>;
}

export interface InferredOverlay {
  type: Sourced<OverlayType>;
  interface: Sourced<string>;
  subnet?: Sourced<string>;
  network?: Sourced<string>;
  logFile?: Sourced<string>;
  configFile?: Sourced<string>;
  unit?: Sourced<string>;
}

/** Something a human has to decide or confirm, by inventory field. */
export interface Undecided {
  field: string;
  why: string;
}

export interface Inference {
  hosts: InferredHost[];
  bridge?: Sourced<string>;
  subnet?: Sourced<string>;
  overlay?: InferredOverlay;
  dhcp?: Sourced<string>;
  domain?: Sourced<string>;
  dhcpRange?: Sourced<string>;
  lxd?: Sourced<'lxc' | 'incus'>;
  undecided: Undecided[];
  /** Worth knowing, nothing to decide (e.g. what `lxdcheck run` will report). */
  notes: string[];
}

export interface InferOptions {
  /** --bridge: the cluster bridge when several could be. */
  bridge?: string;
}

/** The hosts' observations, their names, and what the rules found so far (in the order they found it). */
export interface Findings {
  observations: Observation[];
  hostOf: (i: number) => string;
  undecided: Undecided[];
  notes: string[];
}

export function networkOf(ip: string, prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const n = (ipv4ToLong(ip) & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')}/${prefix}`;
}

export function inNetwork(ip: string, cidr: string): boolean {
  const [net, p] = cidr.split('/');
  return isIPv4(ip) && networkOf(ip, Number(p)) === `${net}/${p}`;
}

/** Values by how many hosts have them, most first (ties keep first-seen order). */
export function tally<T extends string>(values: T[]): { value: T; count: number }[] {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count);
}

export function list(items: string[]): string {
  return items.join(', ');
}

export function ipv4On(o: Observation, ifname: string): { local: string; prefixlen: number }[] {
  return o.addrs.filter((a) => a.ifname === ifname && a.family === 'inet' && a.scope !== 'host');
}
