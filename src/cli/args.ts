/** Argument helpers shared by the subcommands. */
import { UsageError } from '../errors.js';

const MAX_TIMER_MS = 24 * 24 * 3600 * 1000;

/** `10s`, `500ms`, `2m`, or a bare number of seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: "${text}" is not a duration (examples: 500ms, 10s, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000;
  if (ms <= 0) throw new UsageError(`${flag}: must be more than zero`);
  // Node timers hold at most 2^31-1 ms (24.8 days); a longer one would fire after 1 ms.
  if (ms > MAX_TIMER_MS) throw new UsageError(`${flag}: "${text}" is too long (at most 24 days)`);
  return Math.round(ms);
}

export function parsePositiveInt(text: string, flag: string, max = 10_000): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`${flag}: "${text}" must be a whole number from 1 to ${max}`);
  }
  return Number(text);
}

/** Whether to colour: --no-color, NO_COLOR and TERM=dumb all turn it off, as does a non-TTY. */
export function wantColor(noColorFlag: boolean, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (noColorFlag) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.TERM === 'dumb') return false;
  return Boolean(stream.isTTY);
}
