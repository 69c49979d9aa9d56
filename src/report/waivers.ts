/**
 * The gate's waivers file: a YAML list (or `waivers:` holding a list) of
 * `{ id, host?, justification, expires? }`, checked by a zod schema; every
 * problem is named as `file:line: waiver N: ...` (the key's line for a bad or
 * unknown key, the waiver's line for a missing or wrong value).
 */
import YAML, { isMap, isScalar, isSeq, LineCounter, type YAMLMap, type Node as YamlNode } from 'yaml';
import { z } from 'zod';

export interface Waiver {
  /** Check id or glob (`*` any run of characters, `?` one character): `overlay.peers`, `mesh.*`. */
  id: string;
  /** Host glob, matched against the subject's host and its full label (`lxd1->lxd2`). Absent: any host. */
  host?: string;
  justification: string;
  /** Last day the waiver applies, `YYYY-MM-DD` (inclusive, UTC). */
  expires?: string;
  /** Where it was loaded from, for messages. */
  source?: { file: string; line: number };
}

export class WaiverError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid waivers in ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'WaiverError';
  }
}

function validDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}

const blank = (s: string) => s.trim() === '';

/** What a required field says when it is absent (or not a string). */
const REQUIRED = {
  id: "'id' is required (a check id or glob, e.g. mesh.*)",
  justification: "'justification' is required: say why this check may fail",
} as const;

export const WaiverSchema = z.strictObject({
  id: z
    .string()
    .refine((s) => !blank(s), { error: "'id' must not be empty" })
    .transform((s) => s.trim()),
  // A bare number is a fine host glob (`host: 10`); YAML reads it as a number.
  host: z
    .union([z.string(), z.number()])
    .transform((v) => String(v).trim())
    .optional(),
  justification: z
    .string()
    .refine((s) => !blank(s), { error: REQUIRED.justification })
    .transform((s) => s.trim()),
  expires: z
    .string()
    .refine(validDate, {
      error: (iss) => `'expires' must be a date YYYY-MM-DD, got ${JSON.stringify(iss.input)}`,
    })
    .optional(),
});

const FIELDS = Object.keys(WaiverSchema.shape) as (keyof typeof REQUIRED | 'host' | 'expires')[];

/** Parse a waivers file. Throws WaiverError listing every problem as `file:line: ...`. */
export function loadWaivers(text: string, file: string): Waiver[] {
  const lc = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: YamlNode | null | undefined, fallback = 1) =>
    node?.range ? lc.linePos(node.range[0]).line : fallback;
  const problems: string[] = [];
  for (const err of doc.errors) {
    const line = err.linePos?.[0]?.line ?? lc.linePos(err.pos[0]).line;
    problems.push(`${file}:${line}: YAML: ${err.message.split('\n')[0]}`);
  }
  if (problems.length) throw new WaiverError(file, problems);

  let list: YamlNode | null = doc.contents as YamlNode | null;
  if (list === null || (isScalar(list) && list.value === null)) return [];
  if (isMap(list)) {
    const keys = list.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '?'));
    const inner = list.get('waivers', true) as YamlNode | undefined;
    if (keys.length !== 1 || keys[0] !== 'waivers') {
      throw new WaiverError(file, [
        `${file}:${lineOf(list)}: expected a list of waivers (or a 'waivers:' key holding one)`,
      ]);
    }
    if (inner === undefined || inner === null || (isScalar(inner) && inner.value === null)) return [];
    list = inner;
  }
  if (!isSeq(list)) {
    throw new WaiverError(file, [`${file}:${lineOf(list)}: expected a list of waivers`]);
  }
  const waivers: Waiver[] = [];
  list.items.forEach((item, i) => {
    const node = item as YamlNode;
    const line = lineOf(node);
    const where = `${file}:${line}: waiver ${i + 1}`;
    if (!isMap(node)) {
      problems.push(`${where}: expected a mapping with id and justification`);
      return;
    }
    const { value, keyLines } = plain(node, doc, (k) => lineOf(k, line));
    const parsed = WaiverSchema.safeParse(value);
    if (parsed.success) {
      const { host, expires, ...rest } = parsed.data;
      waivers.push({
        ...rest,
        source: { file, line },
        ...(host !== undefined ? { host } : {}),
        ...(expires !== undefined ? { expires } : {}),
      });
      return;
    }
    // Bad keys first, in file order, at their own lines; then what the waiver lacks, at its line.
    const atKey: { key: string; text: string }[] = [];
    const atWaiver = new Map<string, string>();
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) {
          const allowed = FIELDS.join(', ');
          atKey.push({ key: k, text: `unknown field '${k}' (allowed: ${allowed})` });
        }
      } else if (issue.code === 'invalid_type' || issue.code === 'invalid_union') {
        if (key in value) atKey.push({ key, text: `'${key}' must be a string` });
        // A required field that is not a string is as good as absent.
        if (key === 'id' || key === 'justification') atWaiver.set(key, REQUIRED[key]);
      } else atWaiver.set(key, issue.message);
    }
    const order = [...keyLines.keys()];
    atKey.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
    for (const p of atKey) problems.push(`${file}:${keyLines.get(p.key)}: waiver ${i + 1}: ${p.text}`);
    for (const f of FIELDS) if (atWaiver.has(f)) problems.push(`${where}: ${atWaiver.get(f)}`);
  });
  if (problems.length) throw new WaiverError(file, problems);
  return waivers;
}

/** A waiver's mapping as plain values for the schema, with the line of each key. */
function plain(
  node: YAMLMap,
  doc: YAML.Document,
  lineOf: (n: YamlNode) => number,
): { value: Record<string, unknown>; keyLines: Map<string, number> } {
  const value: Record<string, unknown> = {};
  const keyLines = new Map<string, number>();
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const v = pair.value as YamlNode | null;
    value[key] = v === null ? null : v.toJS(doc);
    keyLines.set(key, lineOf(pair.key as YamlNode));
  }
  return { value, keyLines };
}
