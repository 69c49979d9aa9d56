/** Parsers for `lxc list --format json` and `lxc network show NAME` (YAML). */
import { parse as parseYaml } from 'yaml';
import type { ContainerInfo, LxdNetworkConfig } from '../types.js';
import { asString, extractJsonArray, isRecord } from './text.js';

type Nic = ContainerInfo['nics'][string];

/** Global-scope addresses of one family from a state.network entry. */
function addressesOf(entry: Record<string, unknown>, family: 'inet' | 'inet6'): string[] {
  const list = Array.isArray(entry['addresses']) ? entry['addresses'].filter(isRecord) : [];
  return list
    .filter((a) => a['family'] === family && a['scope'] === 'global')
    .map((a) => asString(a['address']))
    .filter((a): a is string => a !== undefined);
}

/** NICs from the devices (known even when stopped) merged with the live state. */
function nicsOf(raw: Record<string, unknown>): Record<string, Nic> {
  const nics: Record<string, Nic> = {};
  const config = isRecord(raw['expanded_config'])
    ? raw['expanded_config']
    : isRecord(raw['config'])
      ? raw['config']
      : {};
  const devices = isRecord(raw['expanded_devices']) ? raw['expanded_devices'] : {};
  for (const [key, dev] of Object.entries(devices)) {
    if (!isRecord(dev) || dev['type'] !== 'nic') continue;
    // The device key names volatile.KEY.hwaddr; `name` is the interface inside the container.
    const nic: Nic = { ipv4: [], ipv6: [] };
    const hwaddr = asString(dev['hwaddr']) ?? asString(config[`volatile.${key}.hwaddr`]);
    if (hwaddr !== undefined) nic.hwaddr = hwaddr;
    nics[asString(dev['name']) ?? key] = nic;
  }
  const state = isRecord(raw['state']) ? raw['state'] : {};
  const network = isRecord(state['network']) ? state['network'] : {};
  for (const [name, entry] of Object.entries(network)) {
    if (!isRecord(entry) || entry['type'] === 'loopback') continue;
    const nic: Nic = { ipv4: addressesOf(entry, 'inet'), ipv6: addressesOf(entry, 'inet6') };
    const hwaddr = asString(entry['hwaddr']) ?? nics[name]?.hwaddr;
    if (hwaddr !== undefined && hwaddr !== '') nic.hwaddr = hwaddr;
    nics[name] = nic;
  }
  return nics;
}

function toContainer(raw: Record<string, unknown>): ContainerInfo | null {
  const name = asString(raw['name']);
  if (name === undefined) return null;
  const status = asString(raw['status']) ?? 'Unknown';
  const nics = nicsOf(raw);
  const container: ContainerInfo = {
    name,
    status,
    running: status.toLowerCase() === 'running',
    ipv4: nics['eth0']?.ipv4 ?? [],
    ipv6: nics['eth0']?.ipv6 ?? [],
    nics,
  };
  // A standalone (non-clustered) server reports location "none": not a member name.
  const location = asString(raw['location']);
  if (location !== undefined && location !== '' && location !== 'none') container.location = location;
  const hwaddr = nics['eth0']?.hwaddr;
  if (hwaddr !== undefined) container.hwaddr = hwaddr;
  return container;
}

/** `lxc list --format json`. */
export function parseLxcList(text: string): ContainerInfo[] {
  return extractJsonArray(text)
    .filter(isRecord)
    .map(toContainer)
    .filter((c): c is ContainerInfo => c !== null);
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `lxc network show NAME`; null when the text is not such a document. */
export function parseLxcNetworkShow(text: string): LxdNetworkConfig | null {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return null;
  }
  if (!isRecord(doc)) return null;
  const name = asString(doc['name']);
  if (name === undefined) return null;
  const config: Record<string, string> = {};
  if (isRecord(doc['config'])) {
    // YAML turns unquoted true/1500 into booleans/numbers; LXD's values are strings.
    for (const [k, v] of Object.entries(doc['config'])) if (v !== null) config[k] = stringify(v);
  }
  const network: LxdNetworkConfig = {
    name,
    managed: doc['managed'] === true,
    config,
    usedBy: Array.isArray(doc['used_by'])
      ? doc['used_by'].filter((u): u is string => typeof u === 'string')
      : [],
  };
  const type = asString(doc['type']);
  if (type !== undefined) network.type = type;
  return network;
}
