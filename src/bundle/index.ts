/**
 * Record and replay bundles: every raw output a run used, per host and
 * section, with exit codes, plus the inventory; secrets are redacted on the
 * way in, so a bundle can be attached to a bug report. Each section's
 * host-side time (`raw.NAME.durationMs`) and each stage's (`stages`) are kept
 * as recorded; bundles from before they existed read the same, without them.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatherResult, RawOutput } from '../facts/types.js';
import { redactSecrets } from '../redact.js';

export const BUNDLE_FORMAT = 'lxdcheck.bundle/v1';

export interface BundleMeta {
  format: typeof BUNDLE_FORMAT;
  createdAt: string;
  lxdcheckVersion: string;
  scenario: string;
  hosts: string[];
}

function redactRaw(raw: Record<string, RawOutput>): Record<string, RawOutput> {
  const out: Record<string, RawOutput> = {};
  for (const [name, r] of Object.entries(raw)) {
    out[name] = { ...r, stdout: redactSecrets(r.stdout), stderr: redactSecrets(r.stderr) };
  }
  return out;
}

export function writeBundle(
  dir: string,
  inventoryText: string,
  meta: BundleMeta,
  gathers: readonly GatherResult[],
): void {
  // Raw outputs describe production hosts: owner-only, even though secrets are redacted.
  mkdirSync(join(dir, 'hosts'), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  chmodSync(join(dir, 'hosts'), 0o700);
  const write = (path: string, text: string) => {
    writeFileSync(path, text, { mode: 0o600 });
    chmodSync(path, 0o600);
  };
  write(join(dir, 'inventory.yaml'), redactSecrets(inventoryText));
  write(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  for (const g of gathers) {
    const doc = {
      ...g,
      ...(g.connectError ? { connectError: redactSecrets(g.connectError) } : {}),
      ...(g.execError ? { execError: redactSecrets(g.execError) } : {}),
      raw: redactRaw(g.raw),
    };
    write(join(dir, 'hosts', `${g.host}.json`), `${JSON.stringify(doc, null, 2)}\n`);
  }
}

export interface Bundle {
  meta: BundleMeta;
  inventoryText: string;
  gathers: Map<string, GatherResult>;
}

export class BundleError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A recorded section output, checked field by field (a bundle comes from someone else). */
function checkRaw(where: string, name: string, v: unknown): RawOutput {
  if (!isObj(v)) throw new BundleError(`${where}: raw.${name} is not an object`);
  const { command, stdout, stderr, exitCode, timedOut, durationMs } = v;
  if (typeof command !== 'string' || typeof stdout !== 'string' || typeof stderr !== 'string')
    throw new BundleError(`${where}: raw.${name} needs string command, stdout and stderr`);
  if (exitCode !== null && !Number.isInteger(exitCode))
    throw new BundleError(`${where}: raw.${name}.exitCode must be an integer or null`);
  const out: RawOutput = { command, stdout, stderr, exitCode: exitCode as number | null };
  if (timedOut === true) out.timedOut = true;
  if (typeof durationMs === 'number' && Number.isFinite(durationMs) && durationMs >= 0)
    out.durationMs = durationMs;
  return out;
}

/** One `hosts/NAME.json`, validated into a GatherResult; anything malformed is a BundleError. */
function checkGather(where: string, v: unknown): GatherResult {
  if (!isObj(v)) throw new BundleError(`${where}: not a JSON object`);
  if (typeof v['host'] !== 'string' || v['host'] === '')
    throw new BundleError(`${where}: "host" must be a non-empty string`);
  if (typeof v['reachable'] !== 'boolean')
    throw new BundleError(`${where}: "reachable" must be true or false`);
  if (!isObj(v['raw'])) throw new BundleError(`${where}: "raw" must be an object of section outputs`);
  const raw: Record<string, RawOutput> = {};
  for (const [name, r] of Object.entries(v['raw'])) raw[name] = checkRaw(where, name, r);
  const g: GatherResult = {
    host: v['host'],
    reachable: v['reachable'],
    raw,
    durationMs: typeof v['durationMs'] === 'number' ? v['durationMs'] : 0,
  };
  // Stage times (bundles before they were recorded have none).
  if (Array.isArray(v['stages'])) {
    g.stages = v['stages']
      .filter((x): x is Record<string, unknown> => isObj(x))
      .filter((x) => typeof x['name'] === 'string' && typeof x['durationMs'] === 'number')
      .map((x) => ({
        name: x['name'] as string,
        durationMs: x['durationMs'] as number,
        sections: Array.isArray(x['sections'])
          ? x['sections'].filter((n): n is string => typeof n === 'string')
          : [],
      }));
  }
  for (const k of ['connectError', 'connectErrorKind', 'execError'] as const) {
    const x = v[k];
    if (x === undefined) continue;
    if (typeof x !== 'string') throw new BundleError(`${where}: "${k}" must be a string`);
    g[k] = x;
  }
  return g;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new BundleError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BundleError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Read a bundle. Only data comes out of it: nothing in a bundle (its
 * inventory included) can make lxdcheck contact a host. Malformed content is
 * a BundleError (exit 2), never a crash.
 */
export function readBundle(dir: string): Bundle {
  let meta: BundleMeta;
  try {
    meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as BundleMeta;
  } catch (e) {
    throw new BundleError(`${dir} is not an lxdcheck bundle: ${(e as Error).message}`);
  }
  if (!isObj(meta) || meta.format !== BUNDLE_FORMAT)
    throw new BundleError(`${dir}: unknown bundle format ${String(isObj(meta) ? meta.format : meta)}`);
  const gathers = new Map<string, GatherResult>();
  let files: string[];
  try {
    files = readdirSync(join(dir, 'hosts'));
  } catch (e) {
    throw new BundleError(`${dir} has no readable hosts/ folder: ${(e as Error).message}`);
  }
  for (const f of files.sort()) {
    if (!f.endsWith('.json')) continue;
    const path = join(dir, 'hosts', f);
    const g = checkGather(path, readJson(path));
    gathers.set(g.host, g);
  }
  let inventoryText: string;
  try {
    inventoryText = readFileSync(join(dir, 'inventory.yaml'), 'utf8');
  } catch (e) {
    throw new BundleError(`${dir}: cannot read inventory.yaml: ${(e as Error).message}`);
  }
  return { meta, inventoryText, gathers };
}
