/** Parsers for /proc/uptime and `systemctl show`. */
import { splitLines } from './text.js';

/** Seconds since boot from `/proc/uptime` (`2692.25 4802.29`), or null. */
export function parseProcUptime(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s/.exec(`${text} `);
  return m ? Number(m[1]) : null;
}

function parseBlock(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    // A key is a bare word; anything else (error text, blank) is not a property.
    if (eq <= 0 || !/^[A-Za-z][A-Za-z0-9]*$/.test(line.slice(0, eq))) continue;
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** `systemctl show -p A,B UNIT`: KEY=VALUE lines (values may contain `=`). */
export function parseSystemctlShow(text: string): Record<string, string> {
  return parseBlock(splitLines(text));
}

/** `systemctl show -p A,B UNIT1 UNIT2`: one record per unit, blocks separated by blank lines. */
export function parseSystemctlShowMany(text: string): Record<string, string>[] {
  const blocks: string[][] = [[]];
  for (const line of splitLines(text)) {
    if (line.trim() === '') blocks.push([]);
    else blocks[blocks.length - 1]!.push(line);
  }
  return blocks.map(parseBlock).filter((b) => Object.keys(b).length > 0);
}
