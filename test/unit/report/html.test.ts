/**
 * The HTML reporter on pages rendered from recorded lab bundles (replayed
 * through the engine), a hostile variant of one, and a synthetic 30-host run:
 * the right nodes, link states and root causes, and no host text as markup.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { runCommand } from '../../../src/cli/run.js';
import { UsageError } from '../../../src/errors.js';
import { createReporters, parseReporterSpecs } from '../../../src/report/spec.js';
import { createMemorySink } from '../../../src/report/types.js';
import {
  BUNDLES,
  bundleEvents,
  HOSTILE,
  HOSTILE_ATTR,
  hostileEvents,
  renderHtml,
  syntheticEvents,
} from './html-fixtures.js';

const page = async (bundle: string) => renderHtml(await bundleEvents(bundle));

/** The classes of a host's node on the map. */
function nodeClasses(html: string, host: string): string[] {
  const m = new RegExp(`<g class="(node[^"]*)" data-host="${host}"`).exec(html);
  if (!m) throw new Error(`no map node for ${host}`);
  return m[1]!.split(' ');
}

/** A host's node on the map, its markup only (up to the end of its link group). */
function nodeMarkup(html: string, host: string): string {
  const start = html.search(new RegExp(`<g class="node[^"]*" data-host="${host}"`));
  if (start < 0) throw new Error(`no map node for ${host}`);
  return html.slice(start, html.indexOf('</a></g>', start));
}

/** Every map node's host name, in order. */
function mapHosts(html: string): string[] {
  return [...html.matchAll(/<g class="node[^"]*" data-host="([^"]*)"/g)].map((m) => m[1]!);
}

function linkState(html: string, a: string, b: string): string {
  const m =
    new RegExp(`data-a="${a}" data-b="${b}" data-state="([a-z]+)"`).exec(html) ??
    new RegExp(`data-a="${b}" data-b="${a}" data-state="([a-z]+)"`).exec(html);
  if (!m) throw new Error(`no link ${a}-${b}`);
  return m[1]!;
}

function rootKeys(html: string): string[] {
  return [...html.matchAll(/<article class="rootcause" id="root-\d+" data-key="([^"]*)"/g)].map((m) => m[1]!);
}

/** Tag names this page is built from; anything else would be markup that came from a host. */
const OUR_TAGS = new Set(
  'html head meta title style body script header h1 h2 h3 p dl div dt dd nav a section article span details summary pre ul li svg g rect text line circle table caption thead tbody tr th td button footer'.split(
    ' ',
  ),
);

function foreignTags(html: string): string[] {
  const tags = [...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase());
  return [...new Set(tags.filter((t) => !OUR_TAGS.has(t)))];
}

test('--reporter html needs a file: never stdout', (t) => {
  t.deepEqual(parseReporterSpecs(['html:out/report.html'], { isTTY: true }), [
    { kind: 'html', path: 'out/report.html' },
  ]);
  for (const spec of ['html', 'html:-']) {
    const e = t.throws(() => parseReporterSpecs([spec], { isTTY: false }), { instanceOf: UsageError });
    t.regex(e!.message, /writes a file, not stdout; use html:FILE/);
  }
  const files = new Map<string, ReturnType<typeof createMemorySink>>();
  const reporters = createReporters([{ kind: 'html', path: 'r.html' }], {
    color: false,
    verbose: false,
    env: {},
    openFile: (p) => {
      const s = createMemorySink();
      files.set(p, s);
      return s;
    },
  });
  t.is(reporters.length, 1);
  t.true(files.has('r.html'));
});

test('healthy lab: three hosts, every link reachable, no root cause, the DHCP host marked', async (t) => {
  for (const bundle of ['nolxd-healthy', 'lxd-healthy']) {
    const html = await page(bundle);
    t.deepEqual(mapHosts(html), ['lxd1', 'lxd2', 'lxd3'], bundle);
    for (const [a, b] of [
      ['lxd1', 'lxd2'],
      ['lxd1', 'lxd3'],
      ['lxd2', 'lxd3'],
    ])
      t.is(linkState(html, a!, b!), 'ok', `${bundle} ${a}-${b}`);
    t.deepEqual(rootKeys(html), []);
    t.true(nodeClasses(html, 'lxd1').includes('dhcp'));
    t.false(nodeClasses(html, 'lxd2').includes('dhcp'));
    t.false(/class="node[^"]*cut-off/.test(html));
    t.regex(html, /No root causes: nothing failed\./);
  }
  const lxd = await page('lxd-healthy');
  // Node facts come from results: bridge address (topology), peers (overlay.peers metrics), containers (subjects).
  const lxd3 = nodeMarkup(lxd, 'lxd3');
  t.regex(lxd3, /bridge 172\.16\.0\.3</);
  t.regex(lxd3, /tinc runs · peers 2\/2/);
  t.regex(lxd3, /containers: c3</);
  // RTT and path MTU on the link labels.
  t.regex(lxd, /\d+\.\d+ ms · 1500</);
});

test('peer down: lxd3 is cut off with root cause #1 on it, its links broken, the fix in the diagnosis', async (t) => {
  const html = await page('nolxd-peer-down');
  t.deepEqual(rootKeys(html), ['overlay.daemon lxd3']);
  const lxd3 = nodeClasses(html, 'lxd3');
  t.true(lxd3.includes('cut-off'));
  t.true(lxd3.includes('root'));
  for (const h of ['lxd1', 'lxd2']) t.false(nodeClasses(html, h).includes('cut-off'), h);
  t.is(linkState(html, 'lxd1', 'lxd3'), 'fail');
  t.is(linkState(html, 'lxd2', 'lxd3'), 'fail');
  t.is(linkState(html, 'lxd1', 'lxd2'), 'ok');
  t.regex(html, /100% loss<\/text>/);
  t.regex(nodeMarkup(html, 'lxd1'), /tinc runs · peers 1\/2/);
  t.regex(nodeMarkup(html, 'lxd3'), /tinc DOWN/);
  t.regex(nodeMarkup(html, 'lxd3'), />CUT OFF</);
  // The fix commands, in order, inside the root cause; consequences folded in <details>.
  t.regex(html, /<pre>systemctl restart tinc@lxd\ntincd -n lxd\n<\/pre>/);
  t.regex(html, /<details class="explains"><summary>explains \d+ other failures<\/summary>/);
  // The diagnosis comes before the map, the map before the checks.
  const order = ['id="diagnosis"', 'id="map"', 'id="checks"'].map((s) => html.indexOf(s));
  t.deepEqual(
    [...order].sort((a, b) => a - b),
    order,
  );
});

const faults: [bundle: string, key: string, host: string | null, cutOff: string[]][] = [
  ['nolxd-service-order', 'service-order.vpn-after-bridge lxd2', 'lxd2', ['lxd2']],
  ['lxd-peer-down', 'overlay.daemon lxd3', 'lxd3', ['lxd3']],
  ['nolxd-overlay-not-bridged', 'overlay.member lxd2', 'lxd2', ['lxd2']],
  ['nolxd-dns-down', 'dhcp.single', 'lxd1', []],
  ['nolxd-second-dhcp', 'dhcp.single', 'lxd2', []],
  ['nolxd-mtu', 'bridge.mtu lxd2', 'lxd2', []],
  ['nolxd-route-missing', 'routes.overlay lxd3', 'lxd3', []],
  ['nolxd-bridge-address-conflict', 'bridge.address lxd3', 'lxd3', []],
  ['lxd-duplicate-name', 'containers.duplicate-name', null, []],
  ['lxd-multicast-blocked', 'multicast.containers lxd2 (every pair)', 'lxd2', []],
  ['nolxd-two-faults', 'overlay.daemon lxd3', 'lxd3', ['lxd2', 'lxd3']],
];

for (const [bundle, key, host, cutOff] of faults) {
  test(`${bundle}: root cause ${key} drawn on ${host ?? 'the cluster'}; cut off: ${cutOff.join(', ') || 'none'}`, async (t) => {
    const html = await page(bundle);
    t.true(rootKeys(html).includes(key), rootKeys(html).join(', '));
    const n = rootKeys(html).indexOf(key) + 1;
    if (host) {
      t.true(nodeClasses(html, host).includes('root'));
      t.regex(nodeMarkup(html, host), new RegExp(`<g class="badge">.*>#${n}</text>`));
    } else {
      t.regex(html, new RegExp(`<ul class="cluster-roots"><li><a href="#root-${n}">`));
    }
    const cut = mapHosts(html).filter((h) => nodeClasses(html, h).includes('cut-off'));
    t.deepEqual(cut, cutOff);
  });
}

test('an unreachable host is marked so on the map, with its SSH failure as root cause', async (t) => {
  const html = await renderHtml(
    await bundleEvents('nolxd-healthy', (g) => {
      g.set('lxd3', {
        host: 'lxd3',
        reachable: false,
        connectError: 'connect ETIMEDOUT 192.168.99.3:22',
        connectErrorKind: 'timeout',
        raw: {},
        durationMs: 10000,
      });
    }),
  );
  t.deepEqual(rootKeys(html), ['ssh.reachable lxd3']);
  const lxd3 = nodeClasses(html, 'lxd3');
  t.true(lxd3.includes('unreachable'));
  t.true(lxd3.includes('root'));
  t.regex(nodeMarkup(html, 'lxd3'), />UNREACHABLE</);
  t.false(nodeClasses(html, 'lxd1').includes('unreachable'));
});

test('mtu: the links from lxd2 drop full-size frames, labelled with the largest MTU that passes', async (t) => {
  const html = await page('nolxd-mtu');
  t.is(linkState(html, 'lxd1', 'lxd2'), 'mtu');
  t.is(linkState(html, 'lxd2', 'lxd3'), 'mtu');
  t.is(linkState(html, 'lxd1', 'lxd3'), 'ok');
  t.regex(html, /MTU 1400<\/text>/);
});

test('metadata: when, how long, version, inventory, scenario', async (t) => {
  const html = await page('nolxd-peer-down');
  t.regex(html, /<dt>when<\/dt><dd>2026-11-27T08:00:00\.000Z<\/dd>/);
  t.regex(html, /<dt>took<\/dt><dd>\d+\.\ds<\/dd>/);
  t.regex(html, /<dt>lxdcheck<\/dt><dd>0\.1\.0-test<\/dd>/);
  t.regex(html, /<dt>inventory<\/dt><dd>inventory\.yaml \(cluster lxlab\)<\/dd>/);
  t.regex(html, /<dt>scenario<\/dt><dd>doctor<\/dd>/);
});

test('every check is on the page, grouped like the human report, with a status filter', async (t) => {
  const events = await bundleEvents('nolxd-peer-down');
  const end = events.find((e) => e.type === 'run-end');
  if (end?.type !== 'run-end') throw new Error('no run-end');
  const html = await renderHtml(events);
  t.is([...html.matchAll(/<details class="chk /g)].length, end.results.length);
  const groups = [...html.matchAll(/<section class="group" id="[^"]*"><h3>([^<]*)<\/h3>/g)].map((m) => m[1]);
  t.deepEqual(groups, ['Cluster', 'lxd1', 'lxd2', 'lxd3']);
  for (const s of ['fail', 'error', 'warn', 'pass', 'skip']) t.regex(html, new RegExp(`data-filter="${s}"`));
  // A consequence points at its root; an unexplained warning is open with its fix.
  t.regex(html, /→ caused by #1/);
  t.regex(html, /<details class="chk st-warn" id="chk-\d+" data-status="warn" open>/);
});

test('a hostile container name and evidence stay text: no foreign tag, no attribute break-out', async (t) => {
  const html = await renderHtml(await hostileEvents());
  t.false(html.includes(HOSTILE));
  t.false(html.includes(HOSTILE_ATTR));
  t.true(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  t.true(html.includes('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'));
  t.deepEqual(foreignTags(html), []);
  t.is([...html.matchAll(/<script/g)].length, 1, 'only our own script');
  // The name reached the map (containers on the card) and the check rows, escaped.
  t.regex(html, /containers: &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  // Defence in depth: the CSP allows only the page's own script, by hash.
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
  const hash = createHash('sha256').update(script, 'utf8').digest('base64');
  t.regex(html, new RegExp(`script-src 'sha256-${hash.replace(/[+/]/g, '\\$&')}'`));
  t.regex(html, /default-src 'none'/);
});

test('30 hosts: dots with a dense pair matrix, the cut-off host marked, the page stays small', async (t) => {
  const html = await renderHtml(syntheticEvents(30, 'lxd17'));
  t.is(mapHosts(html).length, 30);
  t.regex(html, /<svg class="map compact"/);
  t.regex(html, /<table class="matrix dense">/);
  t.is([...html.matchAll(/<td class="c-/g)].length, 30 * 29);
  t.is([...html.matchAll(/<td class="c-fail"/g)].length, 2 * 29);
  t.deepEqual(
    mapHosts(html).filter((h) => nodeClasses(html, h).includes('cut-off')),
    ['lxd17'],
  );
  t.is([...html.matchAll(/data-state="fail"><title>/g)].length, 29);
  t.true(html.length < 2_000_000, `${html.length} bytes`);
});

test('lxdcheck run --replay BUNDLE --reporter html:FILE writes the page', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-html-'));
  const file = join(dir, 'sub', 'report.html');
  const code = await runCommand([
    '--replay',
    join(BUNDLES, 'nolxd-service-order'),
    '--reporter',
    `html:${file}`,
    '--reporter',
    `json:${join(dir, 'r.json')}`,
  ]);
  t.is(code, 1);
  const html = readFileSync(file, 'utf8');
  t.true(html.startsWith('<!DOCTYPE html>'));
  t.true(nodeClasses(html, 'lxd2').includes('cut-off'));
  t.deepEqual(rootKeys(html), ['service-order.vpn-after-bridge lxd2']);
});
