/**
 * The cluster map as inline SVG, the pair matrix beside it and the host
 * table under it. Up to CARD_LIMIT hosts are cards on a circle with links
 * labelled; above that hosts are dots on a larger circle, healthy links fade
 * and the matrix carries the per-pair detail.
 */
import type { CheckResult } from '../../model.js';
import { oneLine } from '../text.js';
import { textWidth, truncate } from '../width.js';
import { type Html, h } from './escape.js';
import {
  type DirectionView,
  type LinkState,
  type LinkView,
  type MapView,
  type NodeView,
  num,
} from './view.js';

export const CARD_LIMIT = 8;

const CARD_W = 216;
const CARD_H = 112;

const STATE_WORD: Record<LinkState, string> = {
  ok: 'reachable',
  fail: 'broken',
  mtu: 'full-size frames dropped',
  degraded: 'degraded',
  unknown: 'not measured',
};

function fmt(n: number): string {
  return n >= 10 ? n.toFixed(0) : n >= 1 ? n.toFixed(1) : n.toFixed(2);
}

/** A short label for a link or a matrix cell: loss when broken, path MTU when that fails, else RTT. */
export function directionLabel(d: DirectionView): string {
  if (d.state === 'fail') {
    const loss = num(d.bridge, 'lossPercent') ?? num(d.overlay, 'lossPercent');
    return loss !== undefined ? `${fmt(loss)}% loss` : 'no answer';
  }
  if (d.state === 'mtu') {
    const largest = num(d.pmtu, 'largestMtu');
    return largest !== undefined ? `MTU ${largest}` : 'MTU ✗';
  }
  const rtt = num(d.bridge, 'rttAvgMs');
  const loss = num(d.bridge, 'lossPercent');
  if (d.state === 'degraded' && loss !== undefined && loss > 0) return `${fmt(loss)}% loss`;
  if (rtt !== undefined) return `${fmt(rtt)} ms`;
  return d.state === 'unknown' ? '?' : '✓';
}

const LINK_RANK: Record<LinkState, number> = { unknown: 0, ok: 1, degraded: 2, mtu: 3, fail: 4 };

function linkLabel(l: LinkView): string {
  const [x, y] = l.dirs;
  // The worse direction speaks for the pair; path MTU is added when both directions measured it fine.
  const d = LINK_RANK[x.state] >= LINK_RANK[y.state] ? x : y;
  const base = directionLabel(d);
  const mtu = num(x.pmtu, 'mtu');
  return l.state === 'ok' && mtu !== undefined ? `${base} · ${mtu}` : base;
}

function resultLine(what: string, r: CheckResult | undefined): string {
  return r ? `  ${what}: ${r.status} — ${oneLine(r.summary)}` : `  ${what}: not run`;
}

export function directionTooltip(v: MapView, d: DirectionView): string {
  const from = v.nodes[d.from]!.name;
  const to = v.nodes[d.to]!.name;
  return [
    `${from} → ${to}: ${STATE_WORD[d.state]}`,
    resultLine('bridge ping', d.bridge),
    ...(d.overlay ? [resultLine('overlay ping', d.overlay)] : []),
    resultLine('path MTU', d.pmtu),
  ].join('\n');
}

function linkTooltip(v: MapView, l: LinkView): string {
  const roots = l.roots.length ? `\nexplained by root cause ${l.roots.map((n) => `#${n}`).join(', ')}` : '';
  return `${l.dirs.map((d) => directionTooltip(v, d)).join('\n')}${roots}`;
}

function daemonText(n: NodeView, overlayType: string): string {
  const d = n.daemon;
  const name = overlayType || 'overlay';
  if (!d) return `${name}: not checked`;
  return `${name} ${d.status === 'pass' ? 'runs' : d.status === 'skip' ? 'not checked' : 'DOWN'}`;
}

function peersText(n: NodeView): string {
  return n.peers ? `peers ${n.peers.connected}/${n.peers.expected}` : 'peers ?';
}

function containersText(n: NodeView): string {
  if (n.containers.length === 0) {
    const listed = n.containersListed;
    return listed && listed.status !== 'pass' ? 'containers: not listed' : 'no containers';
  }
  return `containers: ${n.containers.join(', ')}`;
}

function nodeStateWord(n: NodeView): string {
  if (n.unreachable) return 'unreachable';
  if (n.cutOff) return 'cut off';
  return '';
}

function nodeTooltip(n: NodeView, overlayType: string): string {
  const lines = [
    n.name,
    `bridge ${n.bridgeAddress ?? '?'}${n.overlayAddress ? `, overlay ${n.overlayAddress}` : ''}`,
    ...(n.dhcp ? ['the DHCP + DNS server (dnsmasq)'] : []),
    `${daemonText(n, overlayType)}${n.daemon ? ` — ${oneLine(n.daemon.summary)}` : ''}`,
    peersText(n),
    containersText(n),
  ];
  const state = nodeStateWord(n);
  if (state) lines.push(state.toUpperCase());
  if (n.roots.length) lines.push(`root cause ${n.roots.map((r) => `#${r}`).join(', ')} is on this host`);
  if (n.involvedIn.length) lines.push(`named by root cause ${n.involvedIn.map((r) => `#${r}`).join(', ')}`);
  return lines.join('\n');
}

function nodeClasses(n: NodeView): string {
  return [
    'node',
    `w-${n.worst}`,
    n.cutOff ? 'cut-off' : '',
    n.unreachable ? 'unreachable' : '',
    n.roots.length ? 'root' : '',
    n.involvedIn.length ? 'involved' : '',
    n.dhcp ? 'dhcp' : '',
  ]
    .filter(Boolean)
    .join(' ');
}

interface Point {
  x: number;
  y: number;
}

function circle(n: number, r: number, cx: number, cy: number): Point[] {
  if (n === 1) return [{ x: cx, y: cy }];
  if (n === 2)
    return [
      { x: cx - r, y: cy },
      { x: cx + r, y: cy },
    ];
  return Array.from({ length: n }, (_, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return { x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) };
  });
}

const r1 = (n: number) => Math.round(n * 10) / 10;

function rootBadge(x: number, y: number, roots: number[]): Html {
  const text = roots.map((n) => `#${n}`).join(' ');
  const w = 14 + 9 * text.length;
  return h`<g class="badge"><rect x="${r1(x - w / 2)}" y="${r1(y - 11)}" width="${w}" height="22" rx="11"/><text x="${r1(x)}" y="${r1(y + 5)}" text-anchor="middle">${text}</text></g>`;
}

function renderLinks(v: MapView, pos: Point[], labelled: boolean): Html {
  // Healthy links first so broken ones are drawn on top.
  const order = [...v.links].sort((p, q) => LINK_RANK[p.state] - LINK_RANK[q.state]);
  return h`${order.map((l) => {
    const a = pos[l.a]!;
    const b = pos[l.b]!;
    const mx = (a.x + b.x) / 2;
    const my = (a.y + b.y) / 2;
    const label = linkLabel(l);
    const lw = 12 + 7 * textWidth(label);
    const showLabel = labelled || l.state !== 'ok';
    const rootText = l.roots.length ? ` ${l.roots.map((n) => `#${n}`).join(' ')}` : '';
    return h`<g class="link l-${l.state}${l.roots.length ? ' root' : ''}" data-a="${v.nodes[l.a]!.name}" data-b="${v.nodes[l.b]!.name}" data-state="${l.state}"><title>${linkTooltip(v, l)}</title><line x1="${r1(a.x)}" y1="${r1(a.y)}" x2="${r1(b.x)}" y2="${r1(b.y)}"/>${
      showLabel && labelled
        ? h`<rect class="lbl" x="${r1(mx - lw / 2)}" y="${r1(my - 10)}" width="${lw}" height="20" rx="4"/><text x="${r1(mx)}" y="${r1(my + 4)}" text-anchor="middle">${label}</text>${
            rootText ? rootBadge(mx, my + 22, l.roots) : ''
          }`
        : ''
    }</g>`;
  })}`;
}

function renderCards(v: MapView, overlayType: string): { svg: Html; width: number; height: number } {
  const n = v.nodes.length;
  const R = n <= 2 ? 170 : Math.max(200, (CARD_W / 2 + 50) / Math.sin(Math.PI / n));
  // Fit the canvas to the cards (a triangle needs less height than its circle).
  const raw = circle(n, R, 0, 0);
  const pad = 24;
  const minX = Math.min(...raw.map((p) => p.x)) - CARD_W / 2 - pad;
  const minY = Math.min(...raw.map((p) => p.y)) - CARD_H / 2 - pad;
  const pos = raw.map((p) => ({ x: p.x - minX, y: p.y - minY }));
  const width = Math.round(Math.max(...pos.map((p) => p.x)) + CARD_W / 2 + pad);
  const height = Math.round(Math.max(...pos.map((p) => p.y)) + CARD_H / 2 + pad + 14);
  const nodes = v.nodes.map((node, i) => {
    const p = pos[i]!;
    const x = p.x - CARD_W / 2;
    const y = p.y - CARD_H / 2;
    const state = nodeStateWord(node);
    const line = (k: number, text: string, cls = '') =>
      h`<text x="${r1(x + 10)}" y="${r1(y + 22 + 17 * k)}"${cls ? h` class="${cls}"` : ''}>${truncate(text, 30)}</text>`;
    return h`<g class="${nodeClasses(node)}" data-host="${node.name}" data-state="${state || 'ok'}"><a href="#host-${node.index}"><title>${nodeTooltip(node, overlayType)}</title><rect class="card" x="${r1(x)}" y="${r1(y)}" width="${CARD_W}" height="${CARD_H}" rx="8"/>${line(0, node.name, 'name')}${
      node.dhcp
        ? h`<text class="role" x="${r1(x + CARD_W - 10)}" y="${r1(y + 22)}" text-anchor="end">DHCP+DNS</text>`
        : ''
    }${line(1, `bridge ${node.bridgeAddress ?? '?'}`)}${line(2, `${daemonText(node, overlayType)} · ${peersText(node)}`, node.daemon && node.daemon.status !== 'pass' && node.daemon.status !== 'skip' ? 'bad' : node.peers && node.peers.connected < node.peers.expected ? 'bad' : '')}${line(3, containersText(node))}${
      state ? line(4, state.toUpperCase(), 'state') : ''
    }${node.roots.length ? rootBadge(x + CARD_W - 4, y - 2, node.roots) : ''}</a></g>`;
  });
  return { svg: h`${renderLinks(v, pos, true)}${nodes}`, width, height };
}

function renderDots(v: MapView, overlayType: string): { svg: Html; width: number; height: number } {
  const n = v.nodes.length;
  const R = Math.max(260, n * 15);
  const margin = 150;
  const width = 2 * (R + margin);
  const pos = circle(n, R, R + margin, R + margin);
  const nodes = v.nodes.map((node, i) => {
    const p = pos[i]!;
    const a = Math.atan2(p.y - (R + margin), p.x - (R + margin));
    const lx = p.x + Math.cos(a) * 20;
    const ly = p.y + Math.sin(a) * 20 + 5;
    const anchor = Math.cos(a) > 0.3 ? 'start' : Math.cos(a) < -0.3 ? 'end' : 'middle';
    const state = nodeStateWord(node);
    // The root number leads the label: a badge by the dot would sit among the converging links.
    const roots = node.roots.length ? `${node.roots.map((r) => `#${r}`).join(' ')} ` : '';
    const label = `${roots}${truncate(node.name, 16)}${node.dhcp ? ' · DHCP' : ''}`;
    // The state goes on a line of its own, away from the dot, so neighbours' labels stay clear.
    const up = Math.sin(a) < -0.3;
    const stateY = up ? ly - 17 : ly + 17;
    return h`<g class="${nodeClasses(node)}" data-host="${node.name}" data-state="${state || 'ok'}"><a href="#host-${node.index}"><title>${nodeTooltip(node, overlayType)}</title>${
      state ? h`<circle class="ring" cx="${r1(p.x)}" cy="${r1(p.y)}" r="19"/>` : ''
    }<circle class="dot" cx="${r1(p.x)}" cy="${r1(p.y)}" r="11"/><text x="${r1(lx)}" y="${r1(ly)}" text-anchor="${anchor}">${label}</text>${
      state
        ? h`<text class="state" x="${r1(lx)}" y="${r1(stateY)}" text-anchor="${anchor}">${state.toUpperCase()}</text>`
        : ''
    }</a></g>`;
  });
  return { svg: h`${renderLinks(v, pos, false)}${nodes}`, width, height: width };
}

export function renderMap(v: MapView, overlayType: string): Html {
  if (v.nodes.length === 0) return h`<p class="muted">No hosts in this run.</p>`;
  const compact = v.nodes.length > CARD_LIMIT;
  const { svg, width, height } = compact ? renderDots(v, overlayType) : renderCards(v, overlayType);
  // Cards are drawn at their natural size (never blown up); the dot layout fills the box.
  const size = compact ? '' : h` width="${Math.round(width)}"`;
  return h`<svg class="map${compact ? ' compact' : ''}"${size} viewBox="0 0 ${Math.round(width)} ${Math.round(height)}" role="img" aria-label="cluster map">${svg}</svg>`;
}

const CELL_SYMBOL: Record<LinkState, string> = { ok: '✓', fail: '✗', mtu: 'M', degraded: '!', unknown: '·' };

/** Prober rows × target columns, one cell per direction. */
export function renderMatrix(v: MapView): Html {
  const n = v.nodes.length;
  if (n < 2) return h``;
  const wide = n <= CARD_LIMIT;
  return h`<table class="matrix${wide ? '' : ' dense'}"><caption>Host pairs: row pings column (bridge, path MTU)</caption><thead><tr><th></th>${v.nodes.map(
    (c) => h`<th scope="col" class="col"><span>${truncate(c.name, 14)}</span></th>`,
  )}</tr></thead><tbody>${v.nodes.map(
    (r) =>
      h`<tr><th scope="row">${truncate(r.name, 14)}</th>${v.nodes.map((c) => {
        if (c.index === r.index) return h`<td class="self"></td>`;
        const d = v.direction(r.index, c.index);
        return h`<td class="c-${d.state}" title="${directionTooltip(v, d)}">${wide ? directionLabel(d) : CELL_SYMBOL[d.state]}</td>`;
      })}</tr>`,
  )}</tbody></table>`;
}

export function renderHostTable(v: MapView, overlayType: string): Html {
  return h`<table class="hosts"><thead><tr><th>Host</th><th>Bridge</th><th>Role</th><th>Overlay daemon</th><th>Peers</th><th>Containers</th><th>State</th></tr></thead><tbody>${v.nodes.map(
    (n) =>
      h`<tr class="${nodeClasses(n)}" data-host="${n.name}"><td><a href="#host-${n.index}">${n.name}</a></td><td>${n.bridgeAddress ?? '?'}</td><td>${n.dhcp ? 'DHCP + DNS' : ''}</td><td title="${n.daemon ? oneLine(n.daemon.summary) : ''}">${daemonText(n, overlayType)}</td><td>${n.peers ? `${n.peers.connected}/${n.peers.expected}` : '?'}</td><td title="${n.containersListed ? oneLine(n.containersListed.summary) : ''}">${n.containers.length ? n.containers.join(', ') : containersText(n).replace(/^containers: /, '')}</td><td>${[
        nodeStateWord(n),
        n.roots.length ? `root cause ${n.roots.map((r) => `#${r}`).join(' ')}` : '',
        n.involvedIn.length ? `named by ${n.involvedIn.map((r) => `#${r}`).join(' ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}</td></tr>`,
  )}</tbody></table>`;
}
