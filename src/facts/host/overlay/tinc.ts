/**
 * overlay (tinc 1.0, switch mode): a node dump written to its log on SIGUSR2,
 * and the log since the daemon's last start.
 */
import type { Inventory } from '../../../inventory/types.js';
import { quoteArg as q } from '../../../transport/quote.js';
import { lastLines, okOutput, sinceLastStart } from '../../host-facts.js';
import { parseTincLogEvents, parseTincNodes, tincPeerState } from '../../parsers/tinc.js';
import type { Section } from '../../script.js';
import type { RawOutput } from '../../types.js';
import { OVERLAY_LOG, type OverlayFacts } from './common.js';

/** The node list tincd writes to its log on SIGUSR2 (only the new bytes). */
export const OVERLAY_DUMP = 'overlay-dump';

export function tincSections(inv: Inventory): Section[] {
  const net = inv.cluster.overlay.network ?? 'lxd';
  const log = inv.cluster.overlay.logFile ?? `/var/log/tinc.${net}.log`;
  // tinc 1.0 has no control socket: note the log size, ask for a node dump,
  // wait (bounded) for its end, then print only the new bytes.
  const dump = [
    `l=${q(log)}`,
    'if [ ! -r "$l" ]; then echo "lxdcheck: no tinc log at $l" >&2; exit 3; fi',
    'n=$(wc -c < "$l")',
    `tincd -n ${q(net)} -kUSR2 || exit 4`,
    'i=0; while [ $i -lt 30 ]; do tail -c +$((n+1)) "$l" | grep -q "End of nodes." && break; sleep 0.1; i=$((i+1)); done',
    'tail -c +$((n+1)) "$l"',
  ].join('; ');
  return [
    { name: OVERLAY_DUMP, shell: `( ${dump} )`, timeoutSeconds: 6, wrapTimeout: false },
    { name: OVERLAY_LOG, shell: `tail -n 300 ${q(log)}`, timeoutSeconds: 5 },
  ];
}

export function tincFacts(raw: Record<string, RawOutput>): OverlayFacts {
  const dump = raw[OVERLAY_DUMP];
  const nodes = dump && dump.exitCode === 0 ? parseTincNodes(dump.stdout) : null;
  const fullLog = okOutput(raw, OVERLAY_LOG);
  const logText = fullLog !== null ? sinceLastStart(fullLog, /tincd \S+ .*starting/) : null;
  const events = logText !== null ? parseTincLogEvents(logText) : [];
  const upcmdErrors = events
    .filter((e) => e.kind === 'script-error' || /does not exist/.test(e.line))
    .map((e) => e.line);
  return {
    peers: nodes ? tincPeerState(nodes) : null,
    log:
      logText !== null
        ? {
            bridgeMissing: /bridge \S+ does not exist/.test(logText),
            upcmdErrors,
            excerpt: lastLines(logText, 15),
          }
        : null,
    config: null,
  };
}
