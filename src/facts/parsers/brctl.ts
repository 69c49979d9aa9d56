/** Parser for `brctl show` (bridge-utils). */
import type { BrctlBridge } from '../types.js';
import { splitLines } from './text.js';

const BRIDGE_ID = /^[0-9a-f]{4}\.[0-9a-f]{12}$/i;

/**
 * `brctl show`: a header, then one line per bridge (name, id, STP, first port)
 * and one indented line per further port. Error lines such as
 * `bridge lxdbr0 does not exist!` do not fit the columns and are skipped.
 */
export function parseBrctlShow(text: string): BrctlBridge[] {
  const bridges: BrctlBridge[] = [];
  let current: BrctlBridge | null = null;
  for (const line of splitLines(text)) {
    if (line.trim() === '' || line.startsWith('bridge name')) continue;
    const fields = line.trim().split(/\s+/);
    if (/^\s/.test(line)) {
      // Continuation: one more port of the bridge above.
      if (current && fields.length === 1) current.interfaces.push(fields[0]!);
      continue;
    }
    const [name, id, stp, firstPort] = fields;
    if (!name || !id || !BRIDGE_ID.test(id) || (stp !== 'yes' && stp !== 'no') || fields.length > 4) {
      current = null;
      continue;
    }
    current = { name, id, stp: stp === 'yes', interfaces: firstPort ? [firstPort] : [] };
    bridges.push(current);
  }
  return bridges;
}
