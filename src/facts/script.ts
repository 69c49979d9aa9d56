/**
 * One compound command per host and stage: every section's stdout and stderr
 * are framed by a per-run marker on both streams, so a single SSH round trip
 * yields many separately parsed outputs with their own exit codes.
 */
import { randomBytes } from 'node:crypto';
import type { RawOutput } from './types.js';

/** A section: a shell fragment built only from constants and quoteArg() output. */
export interface Section {
  name: string;
  /** The shell text to run (what the user sees as the command in evidence). */
  shell: string;
  /** Seconds before `timeout` kills this section (its own bound inside the run's). */
  timeoutSeconds: number;
  /**
   * Wrap in `timeout`: off for fragments that are shell compounds (loops,
   * pipelines with `&`) since `timeout` needs a program; those bound
   * their own commands.
   */
  wrapTimeout?: boolean;
  /**
   * Sections of different groups run as separate commands in parallel over
   * the host's one connection (e.g. one `lxc exec` per container).
   */
  group?: string;
  /**
   * Applied to the section's output as soon as it is split out, before it is
   * stored, recorded or shown (e.g. drop fields that may hold secrets).
   */
  scrub?: (text: string, stream: 'stdout' | 'stderr') => string;
}

const NAME = /^[a-z0-9][a-z0-9._-]*$/;

export function newMarker(): string {
  return `@@LXDCHECK-${randomBytes(6).toString('hex')}`;
}

/** Build the compound POSIX sh script for these sections. */
export function buildScript(sections: readonly Section[], marker: string): string {
  const lines = [
    'LC_ALL=C; export LC_ALL',
    // /snap/bin: LXD is often the snap.
    'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin:/snap/bin"; export PATH',
    `lxdcheck_begin() { printf '\\n%s begin %s\\n' '${marker}' "$1"; printf '\\n%s begin %s\\n' '${marker}' "$1" >&2; }`,
    `lxdcheck_end() { printf '\\n%s end %s %s\\n' '${marker}' "$1" "$2"; }`,
    // `timeout` may be missing on a minimal host; the run's own bound still holds.
    'if command -v timeout >/dev/null 2>&1; then lxdcheck_t() { s=$1; shift; timeout -k 2 "$s" "$@"; }; else lxdcheck_t() { shift; "$@"; }; fi',
  ];
  for (const s of sections) {
    if (!NAME.test(s.name)) throw new Error(`bad section name ${s.name}`);
    // A subshell, so an `exit` inside a compound fragment ends only that section.
    const body = s.wrapTimeout === false ? `( ${s.shell} )` : `lxdcheck_t ${s.timeoutSeconds} ${s.shell}`;
    lines.push(`lxdcheck_begin ${s.name}; ${body} </dev/null; lxdcheck_end ${s.name} $?`);
  }
  return lines.join('\n');
}

interface Frame {
  body: string;
  exitCode: number | null;
}

/** Split one stream by begin markers; the stdout stream also carries end markers with exit codes. */
function splitStream(text: string, marker: string): Map<string, Frame> {
  const frames = new Map<string, Frame>();
  const begin = `\n${marker} begin `;
  const end = `\n${marker} end `;
  const full = text.startsWith(`${marker} begin `) ? `\n${text}` : text;
  const parts = full.split(begin);
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    const name = (nl === -1 ? part : part.slice(0, nl)).trim();
    let rest = nl === -1 ? '' : part.slice(nl + 1);
    let exitCode: number | null = null;
    const endAt = rest.lastIndexOf(end);
    if (endAt !== -1) {
      const tail = rest.slice(endAt + end.length).split('\n')[0] ?? '';
      const [endName, code] = tail.trim().split(/\s+/);
      if (endName === name && code !== undefined && /^\d+$/.test(code)) exitCode = Number(code);
      rest = rest.slice(0, endAt);
    }
    frames.set(name, { body: rest, exitCode });
  }
  return frames;
}

/**
 * Turn the compound command's stdout/stderr back into per-section outputs.
 * A section whose end marker never arrived (the run was killed) gets
 * exitCode null and `timedOut` when the whole run timed out.
 */
export function splitSections(
  sections: readonly Section[],
  stdout: string,
  stderr: string,
  marker: string,
  runTimedOut: boolean,
): Record<string, RawOutput> {
  const out = splitStream(stdout, marker);
  const err = splitStream(stderr, marker);
  const result: Record<string, RawOutput> = {};
  for (const s of sections) {
    const o = out.get(s.name);
    const e = err.get(s.name);
    const exitCode = o?.exitCode ?? null;
    // `timeout` exits 124 (137 after -k) when it had to kill the section.
    const sectionTimedOut = exitCode === 124 || exitCode === 137;
    result[s.name] = {
      command: s.shell,
      stdout: s.scrub ? s.scrub(o?.body ?? '', 'stdout') : (o?.body ?? ''),
      stderr: s.scrub ? s.scrub(e?.body ?? '', 'stderr') : (e?.body ?? ''),
      exitCode,
      ...(sectionTimedOut || (exitCode === null && runTimedOut) ? { timedOut: true } : {}),
    };
  }
  return result;
}
