/** Parsers for fping summaries and iputils ping runs. */
import type { PingResult } from '../types.js';
import { splitLines } from './text.js';

const FPING_COUNT =
  /^(\S+)\s*:\s*xmt\/rcv\/%loss = (\d+)\/(\d+)\/(\d+)%(?:, min\/avg\/max = ([\d.]+)\/([\d.]+)\/([\d.]+))?/;
/** `-C N`: one value per probe, `-` for a lost one. */
const FPING_PER_PROBE = /^(\S+)\s*:\s*((?:[\d.]+|-)(?:\s+(?:[\d.]+|-))*)\s*$/;
const FPING_NAME_ERROR =
  /^(\S+?):\s*(Name or service not known|Temporary failure in name resolution|.*not known)$/;

const MAX_LINE = 4096;

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function fromCountLine(m: RegExpExecArray): PingResult {
  const result: PingResult = {
    target: m[1]!,
    sent: Number(m[2]),
    received: Number(m[3]),
    lossPercent: Number(m[4]),
  };
  if (m[5] !== undefined) {
    result.rttMinMs = Number(m[5]);
    result.rttAvgMs = Number(m[6]);
    result.rttMaxMs = Number(m[7]);
  }
  return result;
}

function fromPerProbeLine(target: string, values: string): PingResult {
  const samples = values.trim().split(/\s+/);
  const rtts = samples.filter((s) => s !== '-').map(Number);
  const result: PingResult = {
    target,
    sent: samples.length,
    received: rtts.length,
    lossPercent: Math.round(((samples.length - rtts.length) / samples.length) * 100),
  };
  if (rtts.length > 0) {
    result.rttMinMs = Math.min(...rtts);
    result.rttAvgMs = round3(rtts.reduce((a, b) => a + b, 0) / rtts.length);
    result.rttMaxMs = Math.max(...rtts);
  }
  return result;
}

/**
 * fping `-c N` / `-C N` summaries (stderr), with or without `-q`. Per-probe
 * lines (`host : [0], 64 bytes, ...`) do not match and are ignored; a name
 * that did not resolve becomes a result with `error` and nothing sent.
 */
export function parseFpingSummary(text: string): PingResult[] {
  const byTarget = new Map<string, PingResult>();
  for (const raw of splitLines(text)) {
    // fping summary lines are short; a huge line is not one (and would make the patterns quadratic).
    if (raw.length > MAX_LINE) continue;
    const line = raw.trim();
    const count = FPING_COUNT.exec(line);
    const perProbe = count ? null : FPING_PER_PROBE.exec(line);
    const nameError = count || perProbe ? null : FPING_NAME_ERROR.exec(line);
    if (count) byTarget.set(count[1]!, fromCountLine(count));
    else if (perProbe) byTarget.set(perProbe[1]!, fromPerProbeLine(perProbe[1]!, perProbe[2]!));
    else if (nameError && !byTarget.has(nameError[1]!)) {
      byTarget.set(nameError[1]!, {
        target: nameError[1]!,
        sent: 0,
        received: 0,
        lossPercent: 100,
        error: nameError[2]!,
      });
    }
  }
  return [...byTarget.values()];
}

const PING_HEADER = /^PING (\S+) \([^)]*\) (\d+)\(\d+\) bytes of data/m;
// `(?<!…)`: a match may only start where a number starts, so a long run of digits is linear, not quadratic.
const PING_SENT = /(?<!\d)(\d+) packets transmitted, (\d+) (?:packets )?received/;
const PING_LOSS = /(?<![\d.])([\d.]+)% packet loss/;
const PING_RTT = /(?:rtt|round-trip) min\/avg\/max(?:\/\S+)? = ([\d.]+)\/([\d.]+)\/([\d.]+)/;

/** Errors ping prints, most specific first; the text kept is what a user would search for. */
const PING_ERRORS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/message too long, mtu=(\d+)/, (m) => `message too long, mtu=${m[1]}`],
  [/frag needed and DF set \(mtu = (\d+)\)/i, (m) => `frag needed and DF set (mtu = ${m[1]})`],
  [/Network is unreachable/, () => 'Network is unreachable'],
  [/Name or service not known/, () => 'Name or service not known'],
  [/Temporary failure in name resolution/, () => 'Temporary failure in name resolution'],
  [/Destination Host Unreachable/, () => 'Destination Host Unreachable'],
  [/Destination Net Unreachable/, () => 'Destination Net Unreachable'],
];

function firstError(text: string): string | undefined {
  for (const [pattern, describe] of PING_ERRORS) {
    const m = pattern.exec(text);
    if (m) return describe(m);
  }
  return undefined;
}

function lossFromCounts(sent: number, received: number): number {
  return sent === 0 ? 100 : Math.round(((sent - received) / sent) * 100);
}

/** The path MTU a ping error reports (`mtu=1400`, `mtu = 1400`), or null. */
export function mtuFromPingError(error: string | undefined): number | null {
  const m = /mtu ?= ?(\d+)/.exec(error ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * One iputils `ping` run; pass stdout and stderr together (errors go to
 * stderr). `target` names the result when the output does not (a resolver
 * or routing failure prints no PING header).
 */
export function parsePing(text: string, target?: string): PingResult {
  const header = PING_HEADER.exec(text);
  const nameFailure = /^ping: (\S+): /m.exec(text);
  const result: PingResult = {
    target: target ?? header?.[1] ?? nameFailure?.[1] ?? '',
    sent: 0,
    received: 0,
    lossPercent: 100,
  };
  if (header) result.size = Number(header[2]);
  const sent = PING_SENT.exec(text);
  if (sent) {
    result.sent = Number(sent[1]);
    result.received = Number(sent[2]);
    const loss = PING_LOSS.exec(text);
    result.lossPercent = loss ? Number(loss[1]) : lossFromCounts(result.sent, result.received);
  }
  const rtt = PING_RTT.exec(text);
  if (rtt) {
    result.rttMinMs = Number(rtt[1]);
    result.rttAvgMs = Number(rtt[2]);
    result.rttMaxMs = Number(rtt[3]);
  }
  const error = firstError(text) ?? (header || sent ? undefined : 'no ping output recognised');
  if (error !== undefined) result.error = error;
  return result;
}
