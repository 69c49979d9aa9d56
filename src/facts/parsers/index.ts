/** Every pure parser of raw command output, by source. */
export * from './brctl.js';
export * from './dnsmasq.js';
export * from './ip.js';
export * from './lxc.js';
export * from './lxdbridge.js';
export * from './peervpn.js';
export * from './ping.js';
export * from './ps.js';
export * from './ss.js';
export * from './sysfs.js';
export * from './system.js';
export * from './tinc.js';
export * from './vxlan.js';
