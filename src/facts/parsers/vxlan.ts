/** Parsers for a VXLAN overlay: `bridge fdb show dev DEV` and the peer view it implies. */
import type { OverlayPeerState } from '../types.js';
import { splitLines } from './text.js';

export interface FdbEntry {
  mac: string;
  /** Remote VTEP (underlay address) for VXLAN entries. */
  dst?: string;
  dev?: string;
  master?: string;
  vlan?: number;
  /** Bare words: self, permanent, static, extern_learn, offload, ... */
  flags: string[];
}

/** Words that take a value in `bridge fdb` output. */
const KEYED = new Set(['dst', 'dev', 'master', 'vlan', 'port', 'vni', 'via', 'src_vni', 'nhid']);
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
const FLOOD_MAC = '00:00:00:00:00:00';

function parseFdbLine(line: string): FdbEntry | null {
  const words = line.trim().split(/\s+/);
  const mac = words[0];
  if (mac === undefined || !MAC.test(mac)) return null;
  const entry: FdbEntry = { mac: mac.toLowerCase(), flags: [] };
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    const value = words[i + 1];
    if (!KEYED.has(word) || value === undefined) {
      entry.flags.push(word);
      continue;
    }
    i++;
    if (word === 'dst') entry.dst = value;
    else if (word === 'dev') entry.dev = value;
    else if (word === 'master') entry.master = value;
    else if (word === 'vlan' && /^\d+$/.test(value)) entry.vlan = Number(value);
  }
  return entry;
}

/** `bridge fdb show dev peervpn0`: `00:00:00:00:00:00 dst 192.168.99.2 self permanent` ... */
export function parseBridgeFdb(text: string): FdbEntry[] {
  return splitLines(text)
    .map(parseFdbLine)
    .filter((e): e is FdbEntry => e !== null);
}

/** A VXLAN device floods BUM traffic to every remote with an all-zero-MAC entry: those are its peers. */
export function vxlanPeerState(fdb: FdbEntry[], expectedRemotes: string[]): OverlayPeerState {
  const flood = fdb.filter((e) => e.mac === FLOOD_MAC && e.dst !== undefined);
  const connected = [...new Set(flood.map((e) => e.dst!))];
  return {
    source: 'vxlan-fdb',
    connectedCount: connected.length,
    connected,
    disconnected: expectedRemotes.filter((r) => !connected.includes(r)),
    excerpt: flood.map((e) => [e.mac, 'dst', e.dst, ...e.flags].join(' ')).join('\n'),
  };
}
