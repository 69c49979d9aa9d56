/**
 * The whole HTML document: metadata and verdict, the diagnosis (root causes
 * with fixes, consequences folded), the map, then every check grouped by host
 * as the human report groups them, filterable by status. Self-contained: one
 * inline style, one inline script allowed by its hash, nothing fetched.
 */
import { createHash } from 'node:crypto';
import { resultKey } from '../../diagnosis/diagnose.js';
import {
  type CauseSighting,
  type CheckResult,
  countResults,
  type RootCause,
  type Status,
  subjectLabel,
  type Topology,
} from '../../model.js';
import { plural } from '../../util/plural.js';
import type { RunRecord } from '../record.js';
import { redactDiagnosis, redactResult } from '../redact.js';
import { cleanText, evidenceWhere, formatSeconds, oneLine } from '../text.js';
import { SCRIPT, STYLE } from './assets.js';
import { type Html, h } from './escape.js';
import { CARD_LIMIT, renderHostTable, renderMap, renderMatrix } from './map.js';
import { buildMapView } from './view.js';

export interface PageMeta {
  version: string;
  topology?: Topology;
}

const SYMBOL: Record<Status, string> = { pass: '✓', warn: '!', fail: '✗', error: '✗', skip: '-' };
const STATUSES: Status[] = ['fail', 'error', 'warn', 'pass', 'skip'];

/** Evidence excerpts are capped so a 30-host page with long journals still opens at once. */
const MAX_EXCERPT_LINES = 60;
const MAX_EXCERPT_CHARS = 12_000;

function excerpt(text: string): string {
  let t = cleanText(text).replace(/\n+$/, '');
  let cut = 0;
  const lines = t.split('\n');
  if (lines.length > MAX_EXCERPT_LINES) {
    cut = lines.length - MAX_EXCERPT_LINES;
    t = lines.slice(0, MAX_EXCERPT_LINES).join('\n');
  }
  if (t.length > MAX_EXCERPT_CHARS) t = `${t.slice(0, MAX_EXCERPT_CHARS)}…`;
  return cut > 0 ? `${t}\n… ${cut} more lines` : t;
}

function fixList(fix: readonly string[]): Html {
  if (fix.length === 0) return h``;
  return h`<div class="fix"><div class="k">fix, in order:</div><pre>${fix.map((f) => `${oneLine(f)}\n`)}</pre></div>`;
}

function resultBody(r: CheckResult, opts: { hideFix?: boolean } = {}): Html {
  return h`<p class="summary">${r.status === 'error' ? 'check error: ' : ''}${oneLine(r.summary)}</p>${
    r.expected !== undefined
      ? h`<p class="kv"><span class="k">expected</span> ${oneLine(r.expected)}</p>`
      : ''
  }${r.actual !== undefined ? h`<p class="kv"><span class="k">actual</span> ${oneLine(r.actual)}</p>` : ''}${r.evidence.map(
    (ev) =>
      h`<div class="ev">${
        ev.command !== undefined
          ? h`<pre class="cmd">$ ${oneLine(ev.command)}${evidenceWhere(ev) ? `   (${evidenceWhere(ev)})` : ''}</pre>`
          : ''
      }${ev.excerpt ? h`<pre class="out">${excerpt(ev.excerpt)}</pre>` : ''}${ev.note ? h`<p class="note">note: ${oneLine(ev.note)}</p>` : ''}</div>`,
  )}${r.hint?.why ? h`<p class="why">why: ${oneLine(r.hint.why)}</p>` : ''}${opts.hideFix ? '' : fixList(r.hint?.fix ?? [])}${
    r.metrics && Object.keys(r.metrics).length
      ? h`<p class="metrics">${Object.entries(r.metrics).map(([k, v]) => h`<span>${k}=${String(v)}</span> `)}</p>`
      : ''
  }`;
}

function rootCard(
  c: RootCause,
  n: number,
  byKey: ReadonlyMap<string, CheckResult>,
  rowId: ReadonlyMap<string, string>,
): Html {
  const root = byKey.get(c.key);
  const where = c.host ?? 'cluster';
  const row = rowId.get(c.key);
  return h`<article class="rootcause" id="root-${n}" data-key="${c.key}"><h3><span class="num">#${n}</span> <span class="where">${where}</span>: ${oneLine(c.summary)}</h3><p class="tag">${c.key}${c.inferred ? ' — inferred from a pattern of failures' : ''}${
    row ? h` · <a href="#${row}">the check</a>` : ''
  }</p>${root?.expected !== undefined ? h`<p class="kv"><span class="k">expected</span> ${oneLine(root.expected)}</p>` : ''}${
    root?.actual !== undefined
      ? h`<p class="kv"><span class="k">actual</span> ${oneLine(root.actual)}</p>`
      : ''
  }${root?.hint?.why ? h`<p class="why">why: ${oneLine(root.hint.why)}</p>` : ''}${fixList(c.fix)}${
    root?.evidence.length
      ? h`<details class="evidence"><summary>evidence</summary>${resultBody(root, { hideFix: true })}</details>`
      : ''
  }${
    c.explains.length
      ? h`<details class="explains"><summary>explains ${plural(c.explains.length, 'other failure')}</summary><ul>${c.explains.map(
          (k) => {
            const r = byKey.get(k);
            const id = rowId.get(k);
            const text = r ? `${subjectLabel(r.subject) || 'cluster'}: ${oneLine(r.title)}` : k;
            return h`<li class="st-${r?.status ?? 'fail'}"><span class="sym">${SYMBOL[r?.status ?? 'fail']}</span> ${
              id ? h`<a href="#${id}">${text}</a>` : text
            } <span class="id">[${r?.id ?? ''}]</span></li>`;
          },
        )}</ul></details>`
      : ''
  }</article>`;
}

function timeline(run: RunRecord): Html {
  const d = run.diagnosis;
  if (!d?.timeline) return h``;
  const at = (s: CauseSighting) =>
    `round ${s.round} (${s.seconds} s${s.hostUptimeSeconds !== undefined ? `, host up ${s.hostUptimeSeconds} s` : ''})`;
  return h`<div class="timeline">${
    d.converged
      ? h`<p>Converged in round ${d.converged.round}, after ${d.converged.seconds} s.</p>`
      : d.converged === null
        ? h`<p class="bad">Never converged in ${plural(d.rounds ?? 0, 'round')}.</p>`
        : ''
  }${
    d.timeline.length
      ? h`<ul>${d.timeline.map(
          (t) =>
            h`<li class="st-${t.healed ? 'warn' : 'fail'}">${oneLine(t.summary)} <span class="id">[${t.key}]</span>: first seen ${at(t.firstSeen)}, last seen ${at(t.lastSeen)}; ${
              t.healed
                ? 'healed by itself — a race in start order that happened to win this time: it can lose after the next reboot'
                : 'still there at the end'
            }</li>`,
        )}</ul>`
      : ''
  }</div>`;
}

function verdict(run: RunRecord): { cls: string; text: string } {
  const c = countResults(run.results);
  const roots = run.diagnosis?.rootCauses ?? [];
  const extras: string[] = [];
  if (c.warn > 0) extras.push(plural(c.warn, 'warning'));
  if (c.skip > 0) extras.push(`${c.skip} skipped`);
  const tail = extras.length ? ` (${extras.join(', ')})` : '';
  if (run.aborted !== undefined) return { cls: 'fail', text: `Run aborted: ${oneLine(run.aborted)}` };
  if (roots.length > 0) {
    const explained = roots.reduce((a, r) => a + r.explains.length, 0);
    return {
      cls: 'fail',
      text: `Found ${plural(roots.length, 'problem')}${explained ? `, explaining ${plural(explained, 'other failure')}` : ''}${tail}.`,
    };
  }
  if (c.fail + c.error > 0)
    return { cls: 'fail', text: `Found ${plural(c.fail + c.error, 'problem')}${tail}.` };
  if (c.warn > 0) return { cls: 'warn', text: `No problems found${tail}.` };
  return { cls: 'pass', text: `No issues found!${c.skip > 0 ? tail : ''}` };
}

/** The script's CSP hash: only this exact inline script may run, so injected markup could not run even if escaping failed. */
function scriptHash(script: string): string {
  return `sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}`;
}

export function renderPage(raw: RunRecord, meta: PageMeta): string {
  const run: RunRecord = {
    ...raw,
    results: raw.results.map(redactResult),
    ...(raw.diagnosis ? { diagnosis: redactDiagnosis(raw.diagnosis) } : {}),
  };
  const topology = meta.topology;
  const overlayType = topology?.overlay.type ?? '';
  const view = buildMapView(run, topology);
  const roots = run.diagnosis?.rootCauses ?? [];
  const byKey = new Map(run.results.map((r) => [resultKey(r), r]));
  const rowId = new Map(run.results.map((r, i) => [resultKey(r), `chk-${i}`]));
  const counts = countResults(run.results);
  const v = verdict(run);

  // Group as the human report does: cluster-wide first, then each host in inventory order.
  const groups = new Map<string | null, { r: CheckResult; i: number }[]>();
  if (run.results.some((r) => r.subject.host === undefined)) groups.set(null, []);
  for (const n of view.nodes) groups.set(n.name, []);
  run.results.forEach((r, i) => {
    const k = r.subject.host ?? null;
    let list = groups.get(k);
    if (!list) {
      list = [];
      groups.set(k, list);
    }
    list.push({ r, i });
  });
  const hostIndex = new Map(view.nodes.map((n) => [n.name, n.index]));

  const checkRow = (r: CheckResult, i: number, group: string | null): Html => {
    const label = subjectLabel(r.subject);
    const about = label && label !== group ? ` (${label})` : '';
    const key = resultKey(r);
    const own = r.root ? view.rootNumber.get(key) : undefined;
    const by = r.causedBy !== undefined ? view.rootNumber.get(r.causedBy) : undefined;
    const pointer =
      own !== undefined
        ? h` <a class="ptr root" href="#root-${own}">root cause #${own}</a>`
        : r.causedBy !== undefined
          ? h` <a class="ptr" href="${by !== undefined ? `#root-${by}` : '#diagnosis'}">→ caused by #${by ?? '?'}</a>`
          : '';
    const open =
      (r.status === 'fail' || r.status === 'error' || r.status === 'warn') && !r.root && !r.causedBy;
    return h`<details class="chk st-${r.status}" id="chk-${i}" data-status="${r.status}"${open ? h` open` : ''}><summary><span class="sym">${SYMBOL[r.status]}</span> ${oneLine(r.title)}${about}${
      r.status === 'skip' ? ` — skipped: ${oneLine(r.summary)}` : ''
    }${pointer} <span class="id">[${r.id}]</span></summary><div class="body">${resultBody(r, { hideFix: r.causedBy !== undefined })}</div></details>`;
  };

  const startedAt = run.startedAt ? run.startedAt.toISOString() : 'unknown';
  const title = `lxdcheck ${run.scenario || 'run'}: cluster ${run.cluster || '?'}`;

  const body = h`<header><h1>${title}</h1><p class="verdict v-${v.cls}">${v.text}</p><dl class="meta"><div><dt>when</dt><dd>${startedAt}</dd></div><div><dt>took</dt><dd>${formatSeconds(run.durationMs ?? 0)}</dd></div><div><dt>lxdcheck</dt><dd>${meta.version}</dd></div><div><dt>inventory</dt><dd>${
    topology?.inventory || '?'
  } (cluster ${run.cluster || '?'})</dd></div><div><dt>scenario</dt><dd>${run.scenario || '?'}</dd></div><div><dt>hosts</dt><dd>${view.nodes.length}</dd></div><div><dt>checks</dt><dd>${counts.total}: ${STATUSES.filter(
    (s) => counts[s] > 0,
  )
    .map((s) => `${counts[s]} ${s}`)
    .join(', ')}</dd></div></dl></header>
<nav><a href="#diagnosis">Diagnosis</a> · <a href="#map">Map</a> · <a href="#checks">Checks</a></nav>
<section id="diagnosis"><h2>Diagnosis</h2>${
    roots.length
      ? h`<p>${plural(roots.length, 'root cause')}; what each explains is folded under it.</p>${roots.map((c, i) => rootCard(c, i + 1, byKey, rowId))}`
      : run.diagnosis
        ? h`<p class="ok-line">No root causes: ${counts.fail + counts.error === 0 ? 'nothing failed.' : 'see the failures below.'}</p>`
        : h`<p class="muted">No diagnosis in this run${counts.fail + counts.error ? '; the failures are listed below' : ''}.</p>`
  }${timeline(run)}</section>
<section id="map"><h2>Cluster map</h2>${
    view.clusterRoots.length
      ? h`<ul class="cluster-roots">${view.clusterRoots.map((n) => {
          const c = roots[n - 1]!;
          return h`<li><a href="#root-${n}"><span class="num">#${n}</span></a> cluster-wide: ${oneLine(c.summary)}</li>`;
        })}</ul>`
      : ''
  }<div class="mapgrid"><div class="mapbox${view.nodes.length > CARD_LIMIT ? ' wide' : ''}">${renderMap(view, overlayType)}</div><div class="matrixbox">${renderMatrix(view)}</div></div>
<p class="legend"><span class="chip l-ok"></span> reachable <span class="chip l-degraded"></span> degraded <span class="chip l-mtu"></span> full-size frames dropped (path MTU) <span class="chip l-fail"></span> broken <span class="chip l-unknown"></span> not measured · <span class="badge-ex">#N</span> root cause · <span class="cut-ex">CUT OFF</span> no probe to or from the host got through · hover a host or link for details</p>
${renderHostTable(view, overlayType)}</section>
<section id="checks"><h2>Checks</h2><div class="filters" role="group" aria-label="show checks by status">${STATUSES.map(
    (s) =>
      h`<button type="button" class="f st-${s}" data-filter="${s}" aria-pressed="true"${counts[s] === 0 ? h` disabled` : ''}><span class="sym">${SYMBOL[s]}</span> ${s} ${counts[s]}</button>`,
  )}<button type="button" data-expand="1">expand all</button><button type="button" data-expand="0">collapse all</button></div>${[
    ...groups,
  ].map(([host, list]) => {
    const id = host === null ? 'host-cluster' : `host-${hostIndex.get(host) ?? 'x'}`;
    return h`<section class="group" id="${id}"><h3>${host ?? 'Cluster'}</h3>${
      list.length ? list.map(({ r, i }) => checkRow(r, i, host)) : h`<p class="muted">no checks ran</p>`
    }</section>`;
  })}</section>
<footer>Written by lxdcheck ${meta.version}. A self-contained page: nothing is fetched; open it from disk or a CI artefact.</footer>`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '${scriptHash(SCRIPT)}'; img-src data:; base-uri 'none'; form-action 'none'">
<title>${h`${title}`}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
