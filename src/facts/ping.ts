/**
 * Pinging from a host, as shell and as facts: fping in one go (iputils ping in
 * parallel where fping is missing), a confirming second round for targets
 * that lost packets, and the parser that folds both rounds into PingResults.
 * The bridge mesh, the overlay-address mesh and the container probes share it.
 */
import { quoteArg as q } from '../transport/quote.js';
import { parseFanOut } from './fanout.js';
import { parseFpingSummary, parsePing } from './parsers/ping.js';
import type { Section } from './script.js';
import type { PingResult, RawOutput } from './types.js';

export const PING_COUNT = 3;

/** The line that separates fping's first round from the confirming one (on stderr). */
export const CONFIRM_MARK = '##CONFIRM';

/**
 * fping the targets in one go (its summary on stderr), or iputils ping in
 * parallel where fping is missing. Targets that lost packets in this one
 * short round get a second short round at once, in the same command, so a
 * loss reported is a loss seen twice (a busy host drops a reply now and then).
 * The second round's timeout is ten times the slowest reply of the first
 * (a measured RTT), between 250 and 700 ms.
 */
export function pingSection(name: string, targets: readonly string[]): Section {
  const list = targets.map(q).join(' ');
  const lossy = `awk '$2==":" { for (i=3;i<=NF;i++) if ($i=="-") { print $1; break } }'`;
  const wait = `awk 'BEGIN{m=0} $2==":" { for (i=3;i<=NF;i++) if ($i!="-" && $i+0>m) m=$i+0 } END{ t=int(m*10); if (t<250) t=250; if (t>700) t=700; print t }'`;
  const fping = [
    `o=$(fping -q -C ${PING_COUNT} -p 100 -t 700 ${list} 2>&1); rc=$?`,
    `printf '%s\n' "$o" >&2`,
    `f=$(printf '%s\n' "$o" | ${lossy})`,
    `if [ -n "$f" ]; then t=$(printf '%s\n' "$o" | ${wait}); echo "${CONFIRM_MARK} -t $t" >&2; set -f; fping -q -C 2 -p 50 -t "$t" $f; rc=$?; fi`,
    'exit $rc',
  ].join('; ');
  const fallback = pingFanOut(
    targets.map((t) => ({
      key: t,
      argv: ['ping', '-n', '-c', String(PING_COUNT), '-i', '0.2', '-W', '1', t],
      confirm: ['ping', '-n', '-c', '2', '-i', '0.2', '-W', '1', t],
    })),
  );
  return {
    name,
    shell: `if command -v fping >/dev/null 2>&1; then ${fping}; else echo 'lxdcheck: fping not found, using ping' >&2; ${fallback}; fi`,
    timeoutSeconds: 10,
    wrapTimeout: false,
  };
}

/**
 * Fold a confirming round into the first: counts add up, and the result
 * says whether the loss was seen again. Targets without a second round are
 * unchanged.
 */
export function withConfirmRound(first: readonly PingResult[], confirm: readonly PingResult[]): PingResult[] {
  const again = new Map(confirm.map((c) => [c.target, c]));
  return first.map((r) => {
    const c = again.get(r.target);
    if (!c) return r;
    const sent = r.sent + c.sent;
    const received = r.received + c.received;
    const merged: PingResult = {
      ...r,
      sent,
      received,
      lossPercent: sent === 0 ? 100 : Math.round(((sent - received) / sent) * 100),
      confirmRound: {
        sent: c.sent,
        received: c.received,
        lostAgain: c.received === 0 || c.received < c.sent,
      },
    };
    if (r.rttAvgMs === undefined && c.rttAvgMs !== undefined) {
      merged.rttMinMs = c.rttMinMs as number;
      merged.rttAvgMs = c.rttAvgMs;
      merged.rttMaxMs = c.rttMaxMs as number;
    }
    if (merged.error === undefined && c.error !== undefined) merged.error = c.error;
    return merged;
  });
}

/**
 * Ping each target in parallel with iputils ping; each job prints its whole
 * block with one printf so blocks never interleave. A job with `confirm`
 * runs it when the first ping failed and prints it as `confirm KEY`.
 */
export function pingFanOut(jobs: { key: string; argv: string[]; confirm?: string[] }[]): string {
  const parts = jobs.map((j) => {
    const again = j.confirm
      ? `; if [ $rc -ne 0 ]; then o=$(${j.confirm.map(q).join(' ')} 2>&1); printf '##PING %s rc=%s\\n%s\\n' ${q(`confirm ${j.key}`)} "$?" "$o"; fi`
      : '';
    return `( o=$(${j.argv.map(q).join(' ')} 2>&1); rc=$?; printf '##PING %s rc=%s\\n%s\\n' ${q(j.key)} "$rc" "$o"${again} ) &`;
  });
  return `${parts.join(' ')} wait`;
}

/** Ping results of one ping section (fping's summary, or the iputils fan-out where fping is missing). */
export function pingResults(
  r: RawOutput | undefined,
): { results: PingResult[]; tool: 'fping' | 'ping' } | null {
  if (!r || (r.exitCode === null && r.stdout === '' && r.stderr === '')) return null;
  if (r.stderr.includes('fping not found') || r.stdout.includes('##PING ')) {
    const blocks = parseFanOut(r.stdout).map((b) => ({ ...parsePing(b.output, b.key), target: b.key }));
    const first = blocks.filter((b) => !b.target.startsWith('confirm '));
    const again = blocks
      .filter((b) => b.target.startsWith('confirm '))
      .map((b) => ({ ...b, target: b.target.slice(8) }));
    return { results: withConfirmRound(first, again), tool: 'ping' };
  }
  // fping -q prints its summary on stderr; a second round for lossy targets follows the mark.
  const text = `${r.stderr}\n${r.stdout}`;
  const at = text.indexOf(`\n${CONFIRM_MARK}`);
  if (at === -1) return { results: parseFpingSummary(text), tool: 'fping' };
  return {
    results: withConfirmRound(parseFpingSummary(text.slice(0, at)), parseFpingSummary(text.slice(at + 1))),
    tool: 'fping',
  };
}
