/** Parser for `ss -lnp` listings (UDP or TCP, with or without header / -p). */
import type { SocketInfo } from '../types.js';
import { splitLines } from './text.js';

/** Splits `addr[%dev]:port`, `[v6][%dev]:port` and `*:port`. */
function splitLocal(text: string): { local: string; device?: string; port: number } | null {
  const m = /^(\[[^\]]*\]|[^%\s]*?)(?:%([^:\s]+))?:(\d+|\*)$/.exec(text);
  if (!m || m[3] === '*') return null;
  const local = m[1]!.replace(/^\[|\]$/g, '');
  const out: { local: string; device?: string; port: number } = { local, port: Number(m[3]) };
  if (m[2] !== undefined) out.device = m[2];
  return out;
}

function processesOf(text: string): SocketInfo['processes'] {
  const out: SocketInfo['processes'] = [];
  for (const m of text.matchAll(/\("([^"]*)",pid=(\d+)/g)) out.push({ name: m[1]!, pid: Number(m[2]) });
  return out;
}

const STATES = /^(UNCONN|LISTEN|ESTAB|[A-Z][A-Z-]+)$/;

/** `ss -H -ulnp` / `ss -ulnp` / `ss -tlnp`: one socket per line; the header is skipped. */
export function parseSs(text: string, proto: 'udp' | 'tcp'): SocketInfo[] {
  const out: SocketInfo[] = [];
  for (const line of splitLines(text)) {
    const words = line.trim().split(/\s+/);
    // `ss -l` without -u/-t adds a Netid column first.
    if (words[0] === 'udp' || words[0] === 'tcp') words.shift();
    if (words.length < 5 || !STATES.test(words[0]!) || !/^\d+$/.test(words[1]!)) continue;
    const local = splitLocal(words[3]!);
    if (!local) continue;
    out.push({ proto, ...local, processes: processesOf(words.slice(5).join(' ')) });
  }
  return out;
}
