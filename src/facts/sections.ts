/**
 * What lxdcheck reads on a host in stage one, assembled from one file per
 * feature (host/*.ts, host/overlay/*.ts), each holding its sections and the
 * parser of their output. Everything here is read-only except the tinc node
 * dump (SIGUSR2 only makes tincd write its node list to its own log). Every
 * variable part goes through quoteArg.
 */
import type { HostSpec, Inventory } from '../inventory/types.js';
import { bridgeSections } from './host/bridge.js';
import { dhcpSections } from './host/dhcp.js';
import { linkSections } from './host/links.js';
import { lxdSections } from './host/lxd.js';
import { meshSections } from './host/mesh.js';
import { overlaySections } from './host/overlay/index.js';
import { processSections } from './host/processes.js';
import { routeSections } from './host/routes.js';
import { serviceSections } from './host/services.js';
import { loadSection, systemSections } from './host/system.js';
import type { Section, SectionOptions } from './script.js';

/** All read-only sections for one host: one SSH round trip gathers them all. */
export function hostSections(inv: Inventory, host: HostSpec, opts: SectionOptions = {}): Section[] {
  return [
    ...systemSections(),
    ...linkSections(),
    ...routeSections(),
    ...bridgeSections(inv),
    ...processSections(),
    ...overlaySections(inv, opts),
    ...serviceSections(inv),
    ...dhcpSections(inv),
    ...lxdSections(inv, host),
    // After the rest of stage one, so it tells how busy the host was while it answered (and pinged).
    loadSection(),
    ...meshSections(inv, host),
  ];
}
