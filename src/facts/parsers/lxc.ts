/** Parsers for `lxc list --format json` and `lxc network show NAME` (YAML). */
import { parse as parseYaml } from 'yaml';
import { redactSecrets } from '../../redact.js';
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

/**
 * LXD/Incus instance names: letters, digits and `-`, not starting with `-`
 * (LXD refuses others). Anything else did not come from LXD, and since names
 * end up as `lxc exec NAME` operands, it is dropped.
 */
export function isInstanceName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/.test(name);
}

function toContainer(raw: Record<string, unknown>): ContainerInfo | null {
  const name = asString(raw['name']);
  if (name === undefined || !isInstanceName(name)) return null;
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

/*
 * `lxc list --format json` carries every container's whole config:
 * environment.* (credentials), user.* and cloud-init.* (user-data with
 * passwords), core.trust_password-like keys. lxdcheck reads only the fields
 * below, so only those are kept: on the host (LXC_LIST_FILTER_PY, when the
 * host has python3) and again here, before the output is stored anywhere.
 */
const KEEP_CONTAINER = ['name', 'status', 'status_code', 'location', 'type'] as const;
const KEEP_NIC = ['type', 'name', 'hwaddr', 'network', 'parent', 'nictype'] as const;
const KEEP_STATE_NIC = ['type', 'hwaddr', 'state', 'mtu', 'host_name'] as const;
const KEEP_ADDRESS = ['family', 'address', 'netmask', 'scope'] as const;
const HWADDR_KEY = /^volatile\.[^.]+\.hwaddr$/;

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in o && (typeof o[k] !== 'object' || o[k] === null)) out[k] = o[k];
  return out;
}

function reduceContainer(c: Record<string, unknown>): Record<string, unknown> {
  const out = pick(c, KEEP_CONTAINER);
  for (const k of ['expanded_config', 'config']) {
    const cfg = c[k];
    if (!isRecord(cfg)) continue;
    out[k] = Object.fromEntries(Object.entries(cfg).filter(([key]) => HWADDR_KEY.test(key)));
  }
  for (const k of ['expanded_devices', 'devices']) {
    const devs = c[k];
    if (!isRecord(devs)) continue;
    out[k] = Object.fromEntries(
      Object.entries(devs)
        .filter(([, d]) => isRecord(d) && d['type'] === 'nic')
        .map(([n, d]) => [n, pick(d as Record<string, unknown>, KEEP_NIC)]),
    );
  }
  const state = c['state'];
  if (isRecord(state) && isRecord(state['network'])) {
    const network: Record<string, unknown> = {};
    for (const [n, nic] of Object.entries(state['network'])) {
      if (!isRecord(nic)) continue;
      const kept = pick(nic, KEEP_STATE_NIC);
      if (Array.isArray(nic['addresses']))
        kept['addresses'] = nic['addresses'].filter(isRecord).map((a) => pick(a, KEEP_ADDRESS));
      network[n] = kept;
    }
    out['state'] = { network };
  }
  return out;
}

/**
 * Only the container fields lxdcheck reads, as JSON; text that is not a
 * container list (an error, a truncated answer) is kept but redacted.
 */
export function reduceLxcList(text: string): string {
  const start = text.indexOf('[');
  if (start >= 0) {
    try {
      const list: unknown = JSON.parse(text.slice(start));
      if (Array.isArray(list)) {
        const before = text.slice(0, start);
        return `${redactSecrets(before)}${JSON.stringify(list.filter(isRecord).map(reduceContainer))}\n`;
      }
    } catch {
      // Not (only) JSON: fall through to redaction.
    }
  }
  return redactSecrets(text);
}

/** The same field filter, run on the host by python3 (stdlib only) so secrets never cross the wire. */
export const LXC_LIST_FILTER_PY = `import json,re,sys
H=re.compile(r'^volatile\\.[^.]+\\.hwaddr$')
def P(o,ks):
    return {k:o[k] for k in ks if k in o and not isinstance(o[k],(dict,list))}
def D(x):
    return x if isinstance(x,dict) else {}
def C(c):
    o=P(c,${JSON.stringify(KEEP_CONTAINER)})
    for k in ('expanded_config','config'):
        if isinstance(c.get(k),dict): o[k]={a:v for a,v in c[k].items() if H.match(a)}
    for k in ('expanded_devices','devices'):
        if isinstance(c.get(k),dict): o[k]={n:P(d,${JSON.stringify(KEEP_NIC)}) for n,d in c[k].items() if isinstance(d,dict) and d.get('type')=='nic'}
    s=D(c.get('state'))
    if isinstance(s.get('network'),dict):
        net={}
        for n,x in s['network'].items():
            if not isinstance(x,dict): continue
            y=P(x,${JSON.stringify(KEEP_STATE_NIC)})
            if isinstance(x.get('addresses'),list): y['addresses']=[P(a,${JSON.stringify(KEEP_ADDRESS)}) for a in x['addresses'] if isinstance(a,dict)]
            net[n]=y
        o['state']={'network':net}
    return o
t=sys.stdin.read()
l=json.loads(t[t.index('['):])
sys.stdout.write(json.dumps([C(c) for c in l if isinstance(c,dict)])+'\\n')
`;

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

/** Deepest `[`/`{` nesting in the text (quotes ignored: an upper bound is enough). */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

/** `lxc network show NAME`; null when the text is not such a document. */
export function parseLxcNetworkShow(text: string): LxdNetworkConfig | null {
  // The YAML parser recurses on flow nesting and slows on huge input; a real answer is a few KB.
  if (text.length > 1_000_000 || flowDepth(text) > 64) return null;
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
