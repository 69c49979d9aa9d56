/**
 * The HTML report in a real browser: Debian's headless Chromium, driven by
 * puppeteer-core, opens pages written to disk (a lab bundle with one host cut
 * off, a hostile variant, a synthetic 30-host run) from file://. Nothing may
 * be fetched, nothing may log an error, the map must show the faulted host
 * cut off, and no host text may run as script. Screenshots are kept under
 * test/artifacts/html/ (gitignored) for a person to look at; they are not
 * compared pixel by pixel.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import {
  bundleEvents,
  HOSTILE,
  hostileEvents,
  renderHtml,
  syntheticEvents,
} from '../unit/report/html-fixtures.js';

const CHROMIUM = process.env.LXDCHECK_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '../artifacts/html');
const available = existsSync(CHROMIUM);
const browserTest = available ? test.serial : test.skip;
const why = available ? '' : ` (skipped: no chromium at ${CHROMIUM}; apt-get install chromium)`;

let browser: Browser | undefined;

test.before(async () => {
  if (!available) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespaces for Chromium's sandbox.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
});

test.after.always(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  url: string;
  requests: string[];
  errors: string[];
  dialogs: string[];
}

/** Write the page to the artefacts directory and open it from file://, recording what it does. */
async function open(name: string, html: string, width = 1400): Promise<Opened> {
  const file = join(ARTIFACTS, `${name}.html`);
  writeFileSync(file, html);
  const page = await browser!.newPage();
  await page.setViewport({ width, height: 900 });
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, url, requests, errors, dialogs };
}

/**
 * Evaluate an expression in the page. The tests compile against Node's types (no DOM lib), so
 * the browser side is written as source text rather than as functions tsc would check.
 */
function inPage<T>(page: Page, expr: string): Promise<T> {
  return page.evaluate(expr) as Promise<T>;
}

const q = (selector: string) => JSON.stringify(selector);

function nodeInfo(page: Page, host: string) {
  return inPage<{ cutOff: boolean; text: string; visible: boolean }>(
    page,
    `(() => {
      const g = document.querySelector(${q(`svg.map g.node[data-host="${host}"]`)});
      const box = g.getBoundingClientRect();
      return { cutOff: g.classList.contains('cut-off'), text: g.textContent, visible: box.width > 0 && box.height > 0 };
    })()`,
  );
}

const count = (page: Page, selector: string) =>
  inPage<number>(page, `document.querySelectorAll(${q(selector)}).length`);

browserTest(
  `a lab run with lxd3's daemon down: no fetch, no error, lxd3 cut off on the map${why}`,
  async (t) => {
    const { page, url, requests, errors } = await open(
      'peer-down',
      await renderHtml(await bundleEvents('lxd-peer-down')),
    );
    try {
      t.deepEqual(requests, [url], 'only the file:// document itself');
      t.deepEqual(errors, []);
      const lxd3 = await nodeInfo(page, 'lxd3');
      t.true(lxd3.cutOff);
      t.true(lxd3.visible);
      t.regex(lxd3.text, /CUT OFF/);
      for (const h of ['lxd1', 'lxd2']) t.false((await nodeInfo(page, h)).cutOff, h);
      // The broken links are drawn red; the healthy one is not.
      const stroke = (a: string, b: string) =>
        inPage<string>(
          page,
          `getComputedStyle(document.querySelector(${q(`svg.map g.link[data-a="${a}"][data-b="${b}"] line`)})).stroke`,
        );
      t.is(await stroke('lxd1', 'lxd3'), 'rgb(220, 38, 38)');
      t.not(await stroke('lxd1', 'lxd2'), 'rgb(220, 38, 38)');
      // The diagnosis leads: the root cause is above the map.
      const [rootY, mapY] = await inPage<number[]>(
        page,
        `['.rootcause', 'svg.map'].map((s) => document.querySelector(s).getBoundingClientRect().top)`,
      );
      t.true(rootY! < mapY!);
      // The status filter hides passing checks (so the script runs under the page's CSP).
      const visiblePass = () =>
        inPage<number>(
          page,
          `[...document.querySelectorAll('.chk.st-pass')].filter((e) => e.offsetParent !== null).length`,
        );
      t.true((await visiblePass()) > 0);
      await page.click('button[data-filter="pass"]');
      t.is(await visiblePass(), 0);
      t.is(
        await inPage(
          page,
          `document.querySelector('button[data-filter="pass"]').getAttribute('aria-pressed')`,
        ),
        'false',
      );
      await page.screenshot({ path: join(ARTIFACTS, 'peer-down.png'), fullPage: true });
      t.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  },
);

browserTest(`a container named ${HOSTILE} is shown as text and runs nothing${why}`, async (t) => {
  const { page, url, requests, errors, dialogs } = await open(
    'hostile',
    await renderHtml(await hostileEvents()),
  );
  try {
    t.deepEqual(dialogs, []);
    t.deepEqual(requests, [url], 'the <img src=x> in the evidence was not an image');
    t.deepEqual(errors, []);
    t.is(await count(page, 'script'), 1);
    t.is(await count(page, 'img'), 0);
    t.true((await nodeInfo(page, 'lxd1')).text.includes(`containers: ${HOSTILE}`));
    t.true((await inPage<string>(page, 'document.body.innerText')).includes(HOSTILE));
  } finally {
    await page.close();
  }
});

browserTest(`30 hosts: the map and the pair matrix side by side, lxd17 cut off${why}`, async (t) => {
  const { page, url, requests, errors } = await open(
    'thirty-hosts',
    await renderHtml(syntheticEvents(30, 'lxd17')),
  );
  try {
    t.deepEqual(requests, [url]);
    t.deepEqual(errors, []);
    t.is(await count(page, 'svg.map g.node'), 30);
    const lxd17 = await nodeInfo(page, 'lxd17');
    t.true(lxd17.cutOff);
    t.regex(lxd17.text, /CUT OFF/);
    t.false((await nodeInfo(page, 'lxd16')).cutOff);
    // Beside, not below: the matrix starts level with the map and to its right.
    const [map, matrix] = await inPage<{ left: number; right: number; top: number }[]>(
      page,
      `['svg.map', 'table.matrix'].map((s) => {
        const r = document.querySelector(s).getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top };
      })`,
    );
    t.true(matrix!.left >= map!.right, JSON.stringify({ map, matrix }));
    t.true(Math.abs(matrix!.top - map!.top) < 60);
    const grid = await page.$('.mapgrid');
    await grid!.screenshot({ path: join(ARTIFACTS, 'thirty-hosts-map.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'thirty-hosts.png') });
  } finally {
    await page.close();
  }
});
