/**
 * Property-style tests over every parser: random mutations of the real
 * captures in fixtures/ and pure garbage. Properties: a parser never throws,
 * stays bounded on megabytes of input (the ava timeout below is the bound;
 * no timing is asserted), and returns its typed "unreadable" result for
 * garbage. A small seeded mutator stands in for fast-check (not installed):
 * a failure prints its seed and case so it can be replayed exactly.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { parseFanOut } from '../../../src/facts/fanout.js';
import { parseDnsProbe } from '../../../src/facts/host/dns.js';
import {
  findDnsmasqInstances,
  parseBrctlShow,
  parseBridgeFdb,
  parseBridgeLinkText,
  parseDnsmasqDhcpAcks,
  parseFpingSummary,
  parseGrepH,
  parseIpAddrJson,
  parseIpLinkJson,
  parseIpRouteJson,
  parseLeases,
  parseLxcList,
  parseLxcNetworkShow,
  parseLxdBridgeDefaults,
  parsePeervpnConfig,
  parsePeervpnLog,
  parsePeervpnPeerTable,
  parsePing,
  parseProcesses,
  parseProcUptime,
  parseSs,
  parseSystemctlShow,
  parseSystemctlShowMany,
  parseTincLogEvents,
  parseTincNodes,
  reduceLxcList,
} from '../../../src/facts/parsers/index.js';
import { redactSecrets } from '../../../src/redact.js';
import { parseKnownHosts } from '../../../src/transport/known-hosts.js';
import { peervpnConfAsSent } from '../../helpers/facts.js';

const ROOT = new URL('../../../fixtures/', import.meta.url).pathname;

function files(dir: string, pattern: RegExp = /./): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (pattern.test(p) && !f.endsWith('README.md')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(ROOT, dir));
  if (out.length === 0) throw new Error(`no fixtures in ${dir} matching ${pattern}`);
  return out;
}

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Characters that matter to the parsers' grammars, to make mutations bite. */
const STRUCTURAL = '[]{}":,\n\t -.0123456789%@=#/<>|\\\'ab\u0000\u00ff\u2028';

function mutate(text: string, r: () => number, others: readonly string[]): string {
  const int = (n: number) => Math.floor(r() * n);
  let s = text;
  const steps = 1 + int(4);
  for (let i = 0; i < steps; i++) {
    const at = int(s.length + 1);
    const len = int(Math.min(64, s.length - at + 1));
    switch (int(9)) {
      case 0: // flip one character to a structural one
        s = s.slice(0, at) + STRUCTURAL[int(STRUCTURAL.length)]! + s.slice(at + 1);
        break;
      case 1: // delete a range
        s = s.slice(0, at) + s.slice(at + len);
        break;
      case 2: // duplicate a range
        s = s.slice(0, at + len) + s.slice(at, at + len) + s.slice(at + len);
        break;
      case 3: // truncate (a killed command)
        s = s.slice(0, at);
        break;
      case 4: // splice in part of another capture
        {
          const o = others[int(others.length)] ?? '';
          const from = int(o.length + 1);
          s = s.slice(0, at) + o.slice(from, from + int(400)) + s.slice(at);
        }
        break;
      case 5: // numbers out of range
        s = s.replace(/\d+/, ['99999999999999999999', '-1', 'NaN', '1e308', '0x1f'][int(5)]!);
        break;
      case 6: // CRLF line endings
        s = s.replace(/\n/g, '\r\n');
        break;
      case 7: // a line repeated many times
        {
          const lines = s.split('\n');
          const l = lines[int(lines.length)] ?? '';
          lines.splice(int(lines.length), 0, ...Array(50).fill(l));
          s = lines.join('\n');
        }
        break;
      default: // random structural noise
        s =
          s.slice(0, at) +
          Array.from({ length: int(20) }, () => STRUCTURAL[int(STRUCTURAL.length)]).join('') +
          s.slice(at);
    }
  }
  return s;
}

/** Garbage no output format can read: no letters, digits, `/`, `:`, `=` or `#`. */
function garbage(r: () => number): string {
  const alphabet = '\u0000\u0001\u0007\u001b{}[]<>|~^!?*&$\'"`()€ü\u2028 \t\n';
  const n = Math.floor(r() * 2000);
  return Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
}

interface Case {
  name: string;
  corpus: string[];
  parse: (text: string) => unknown;
  /** The typed unreadable result for garbage. */
  unreadable: (result: unknown, t: { deepEqual: (a: unknown, b: unknown) => void }) => void;
}

const empty = (r: unknown, t: { deepEqual: (a: unknown, b: unknown) => void }) => t.deepEqual(r, []);
const none = (r: unknown, t: { deepEqual: (a: unknown, b: unknown) => void }) => t.deepEqual(r, null);
const emptyObject = (r: unknown, t: { deepEqual: (a: unknown, b: unknown) => void }) => t.deepEqual(r, {});

const CASES: Case[] = [
  { name: 'brctl show', corpus: files('brctl'), parse: parseBrctlShow, unreadable: empty },
  { name: 'dnsmasq leases', corpus: files('dnsmasq', /leases/), parse: parseLeases, unreadable: empty },
  { name: 'dnsmasq log', corpus: files('dnsmasq', /log/), parse: parseDnsmasqDhcpAcks, unreadable: empty },
  { name: 'ip link', corpus: files('ip', /link\.json$/), parse: parseIpLinkJson, unreadable: empty },
  { name: 'ip addr', corpus: files('ip', /addr\.json$/), parse: parseIpAddrJson, unreadable: empty },
  { name: 'ip route', corpus: files('ip', /route\.json$/), parse: parseIpRouteJson, unreadable: empty },
  { name: 'bridge link', corpus: files('ip', /bridge-link/), parse: parseBridgeLinkText, unreadable: empty },
  { name: 'lxc list', corpus: files('lxc', /list.*\.json$/), parse: parseLxcList, unreadable: empty },
  {
    name: 'lxc list reduced',
    corpus: files('lxc', /list.*\.json$/),
    parse: (s) => parseLxcList(reduceLxcList(s)),
    unreadable: empty,
  },
  {
    name: 'lxc network show',
    corpus: files('lxc', /network-show/),
    parse: parseLxcNetworkShow,
    unreadable: none,
  },
  {
    name: 'lxd-bridge defaults',
    corpus: files('lxd-bridge'),
    parse: parseLxdBridgeDefaults,
    unreadable: (r, t) => t.deepEqual((r as { startsDnsmasq: boolean }).startsDnsmasq, false),
  },
  {
    name: 'peervpn log',
    corpus: files('peervpn', /log/),
    parse: parsePeervpnLog,
    unreadable: (r, t) => t.deepEqual((r as { peerCount: unknown }).peerCount, null),
  },
  {
    name: 'peervpn config',
    // As hosts send it: the psk value replaced on the host, so no counterexample can print it.
    corpus: files('peervpn/conf').map(peervpnConfAsSent),
    parse: parsePeervpnConfig,
    unreadable: (r, t) => t.deepEqual((r as { initpeers: unknown }).initpeers, []),
  },
  {
    name: 'peervpn peers',
    corpus: files('peervpn', /console/),
    parse: parsePeervpnPeerTable,
    unreadable: empty,
  },
  { name: 'fping', corpus: files('fping'), parse: parseFpingSummary, unreadable: empty },
  {
    name: 'ping',
    corpus: files('ping'),
    parse: (s) => parsePing(s),
    unreadable: (r, t) => t.deepEqual((r as { sent: number }).sent, 0),
  },
  {
    name: 'ps + dnsmasq',
    corpus: files('ps'),
    parse: (s) => findDnsmasqInstances(parseProcesses(s)),
    unreadable: empty,
  },
  { name: 'ps', corpus: files('ps'), parse: parseProcesses, unreadable: empty },
  { name: 'ss', corpus: files('ss'), parse: (s) => parseSs(s, 'udp'), unreadable: empty },
  { name: 'grep -H sysfs', corpus: files('sysfs'), parse: parseGrepH, unreadable: emptyObject },
  { name: 'uptime', corpus: files('misc', /uptime/), parse: parseProcUptime, unreadable: none },
  { name: 'systemctl show', corpus: files('systemd'), parse: parseSystemctlShow, unreadable: emptyObject },
  { name: 'systemctl show many', corpus: files('systemd'), parse: parseSystemctlShowMany, unreadable: empty },
  { name: 'tinc nodes', corpus: files('tinc'), parse: parseTincNodes, unreadable: none },
  { name: 'tinc log', corpus: files('tinc'), parse: parseTincLogEvents, unreadable: empty },
  { name: 'bridge fdb', corpus: files('vxlan', /\.txt$/), parse: parseBridgeFdb, unreadable: empty },
  { name: 'fan-out blocks', corpus: files('ping'), parse: parseFanOut, unreadable: empty },
  { name: 'dns probe', corpus: files('misc', /getent/), parse: parseDnsProbe, unreadable: empty },
  {
    name: 'known_hosts',
    corpus: files('ip', /route/),
    parse: (s) => parseKnownHosts(s, 'f'),
    unreadable: empty,
  },
  {
    name: 'redactor',
    corpus: files('.'),
    parse: redactSecrets,
    // Garbage holds no secret: the redactor leaves it as it is.
    unreadable: () => undefined,
  },
];

const MUTATIONS = 150;
const SEED = Number(process.env.LXDCHECK_FUZZ_SEED ?? 20261127);

for (const c of CASES) {
  test(`${c.name}: never throws on mutated real captures`, (t) => {
    const r = rng(SEED ^ c.name.length);
    for (let i = 0; i < MUTATIONS; i++) {
      const base = c.corpus[i % c.corpus.length]!;
      const input = mutate(base, r, c.corpus);
      try {
        c.parse(input);
      } catch (e) {
        t.fail(
          `seed ${SEED}, case ${i}: ${(e as Error).message}\ninput: ${JSON.stringify(input.slice(0, 400))}`,
        );
        return;
      }
    }
    t.pass();
  });

  test(`${c.name}: garbage gives the unreadable result`, (t) => {
    const r = rng(SEED + c.name.length);
    for (let i = 0; i < 40; i++) c.unreadable(c.parse(garbage(r)), t);
    c.unreadable(c.parse(''), t);
    t.pass();
  });

  test(`${c.name}: megabytes of input stay bounded`, (t) => {
    t.timeout(60_000, 'a parser took over a minute on 2 MB');
    const big = c.corpus.join('\n').repeat(Math.ceil(2_000_000 / Math.max(1, c.corpus.join('\n').length)));
    const pathological = [
      big,
      '['.repeat(2_000_000),
      '{"a":'.repeat(300_000),
      ' '.repeat(2_000_000),
      '9'.repeat(2_000_000),
      `${'a.'.repeat(1_000_000)}\n`,
      'x\n'.repeat(1_000_000),
    ];
    for (const input of pathological) t.notThrows(() => c.parse(input));
  });
}
