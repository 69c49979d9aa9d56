/**
 * Record and replay bundles: every raw output a run used, per host and
 * section, with exit codes, plus the inventory; secrets are redacted on the
 * way in, so a bundle can be attached to a bug report. Each section's
 * host-side time (`raw.NAME.durationMs`) and each stage's (`stages`) are kept
 * as recorded; bundles from before they existed read the same, without them.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatherResult } from '../engine/gather.js';
import type { RawOutput } from '../facts/types.js';
import { redactSecrets } from '../report/redact.js';

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
  mkdirSync(join(dir, 'hosts'), { recursive: true });
  writeFileSync(join(dir, 'inventory.yaml'), redactSecrets(inventoryText));
  writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  for (const g of gathers) {
    const doc = {
      ...g,
      ...(g.connectError ? { connectError: redactSecrets(g.connectError) } : {}),
      raw: redactRaw(g.raw),
    };
    writeFileSync(join(dir, 'hosts', `${g.host}.json`), `${JSON.stringify(doc, null, 2)}\n`);
  }
}

export interface Bundle {
  meta: BundleMeta;
  inventoryText: string;
  gathers: Map<string, GatherResult>;
}

export class BundleError extends Error {}

export function readBundle(dir: string): Bundle {
  let meta: BundleMeta;
  try {
    meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as BundleMeta;
  } catch (e) {
    throw new BundleError(`${dir} is not an lxdcheck bundle: ${(e as Error).message}`);
  }
  if (meta.format !== BUNDLE_FORMAT)
    throw new BundleError(`${dir}: unknown bundle format ${String(meta.format)}`);
  const gathers = new Map<string, GatherResult>();
  for (const f of readdirSync(join(dir, 'hosts'))) {
    if (!f.endsWith('.json')) continue;
    const g = JSON.parse(readFileSync(join(dir, 'hosts', f), 'utf8')) as GatherResult;
    gathers.set(g.host, g);
  }
  return { meta, inventoryText: readFileSync(join(dir, 'inventory.yaml'), 'utf8'), gathers };
}
