/** Parsers for sysfs values as the collector prints them. */
import { splitLines } from './text.js';

/**
 * `grep -H . FILE...`: `path:value` per line. A path is split at its first
 * `:` (sysfs net paths have none; values such as MAC addresses do). Lines not
 * starting with `/` (grep's own errors) are skipped; a multi-line value is
 * joined with `\n`.
 */
export function parseGrepH(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of splitLines(text)) {
    if (!line.startsWith('/')) continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon);
    const value = line.slice(colon + 1);
    out[path] = path in out ? `${out[path]}\n${value}` : value;
  }
  return out;
}

/** `ls -1 DIR`: one name per line; `ls:` error lines (stderr merged) are skipped. */
export function parseLsLines(text: string): string[] {
  return splitLines(text)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('ls:'));
}
