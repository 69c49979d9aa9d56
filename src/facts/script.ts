/**
 * One compound command per host and stage: every section's stdout and stderr
 * are framed by a per-run marker on both streams, so a single SSH round trip
 * yields many separately parsed outputs with their own exit codes.
 */
import { randomBytes } from 'node:crypto';
import { quoteArg } from '../transport/quote.js';
import type { RawOutput } from './types.js';

/** A section: a shell fragment built only from constants and quoteArg() output. */
export interface Section {
  name: string;
  /** The shell text to run (what the user sees as the command in evidence). */
  shell: string;
  /** Seconds before `timeout` kills this section (its own bound inside the run's). */
  timeoutSeconds: number;
  /**
   * false for fragments that are shell compounds (loops, pipelines with
   * `&`): `timeout` needs a program, so these run as `sh -c FRAGMENT` under
   * it. Either way every section has its own bound (a hung `systemctl`
   * inside a compound must not eat the host's whole budget).
   */
  wrapTimeout?: boolean;
  /**
   * Sections of different groups run as separate commands in parallel over
   * the host's one connection (e.g. one `lxc exec` per container).
   */
  group?: string;
  /**
   * One line handed to this section on the compound command's stdin, read
   * into the shell variable LXDCHECK_INPUT just before it runs (e.g. the
   * per-run key of a keyed fingerprint). It is never part of any shell text,
   * so it stays out of the host's process list, the recording and reports.
   */
  input?: string;
  /**
   * Applied to the section's output as soon as it is split out, before it is
   * stored, recorded or shown (e.g. drop fields that may hold secrets).
   */
  scrub?: (text: string, stream: 'stdout' | 'stderr') => string;
}

const NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** Options of one run that shape the sections (never I/O). */
export interface SectionOptions {
  /**
   * The run's random key (hex) for keyed fingerprints of secrets: the same on
   * every host of one run, fresh for every run, never printed. Without it no
   * fingerprint is taken.
   */
  runKey?: string;
}

/** `lxdcheck_t SECONDS CMD...`: CMD bounded by timeout(1) where it exists. Also defined inside `sh -c` sections. */
const BOUNDED =
  'if command -v timeout >/dev/null 2>&1; then lxdcheck_t() { s=$1; shift; timeout -k 2 "$s" "$@"; }; else lxdcheck_t() { shift; "$@"; }; fi';

export function newMarker(): string {
  return `@@LXDCHECK-${randomBytes(6).toString('hex')}`;
}

/** Build the compound POSIX sh script for these sections. */
export function buildScript(sections: readonly Section[], marker: string): string {
  const lines = [
    'LC_ALL=C; export LC_ALL',
    // /snap/bin: LXD is often the snap.
    'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin:/snap/bin"; export PATH',
    // Section times from /proc/uptime with the `read` builtin: no fork per marker, 10 ms resolution.
    'lxdcheck_now() { lxdcheck_u=-; read lxdcheck_u lxdcheck_r 2>/dev/null </proc/uptime || lxdcheck_u=-; }',
    `lxdcheck_begin() { lxdcheck_now; printf '\\n%s begin %s %s\\n' '${marker}' "$1" "$lxdcheck_u"; printf '\\n%s begin %s\\n' '${marker}' "$1" >&2; }`,
    `lxdcheck_end() { lxdcheck_now; printf '\\n%s end %s %s %s\\n' '${marker}' "$1" "$2" "$lxdcheck_u"; }`,
    // `timeout` may be missing on a minimal host; the run's own bound still holds.
    BOUNDED,
  ];
  for (const s of sections) {
    if (!NAME.test(s.name)) throw new Error(`bad section name ${s.name}`);
    // A subshell, so an `exit` inside a compound fragment ends only that section.
    const body =
      s.wrapTimeout === false
        ? `lxdcheck_t ${s.timeoutSeconds} sh -c ${quoteArg(`${BOUNDED}; ${s.shell}`)}`
        : `lxdcheck_t ${s.timeoutSeconds} ${s.shell}`;
    if (s.input !== undefined) {
      if (/[\r\n]/.test(s.input)) throw new Error(`section ${s.name}: input must be one line`);
      // Inputs arrive on stdin one line per section, in script order (see scriptInput).
      // Exported: a section bounded by `timeout` runs in a child `sh -c`, which must see it too.
      lines.push("IFS= read -r LXDCHECK_INPUT || LXDCHECK_INPUT=''; export LXDCHECK_INPUT");
    }
    lines.push(`lxdcheck_begin ${s.name}; ${body} </dev/null; lxdcheck_end ${s.name} $?`);
    if (s.input !== undefined) lines.push('LXDCHECK_INPUT=; unset LXDCHECK_INPUT');
  }
  return lines.join('\n');
}

/** What the compound command must get on stdin: the sections' inputs, one line each; undefined when none has one. */
export function scriptInput(sections: readonly Section[]): string | undefined {
  const lines = sections.filter((s) => s.input !== undefined).map((s) => `${s.input}\n`);
  return lines.length > 0 ? lines.join('') : undefined;
}

interface Frame {
  body: string;
  exitCode: number | null;
  /** Host uptime (seconds) at the section's begin and end markers, when the host could tell. */
  began?: number;
  ended?: number;
}

function uptimeValue(s: string | undefined): number | undefined {
  return s !== undefined && /^\d+(\.\d+)?$/.test(s) ? Number(s) : undefined;
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
    const [name = '', beganText] = (nl === -1 ? part : part.slice(0, nl)).trim().split(/\s+/);
    let rest = nl === -1 ? '' : part.slice(nl + 1);
    let exitCode: number | null = null;
    let ended: number | undefined;
    const endAt = rest.lastIndexOf(end);
    if (endAt !== -1) {
      const tail = rest.slice(endAt + end.length).split('\n')[0] ?? '';
      const [endName, code, endedText] = tail.trim().split(/\s+/);
      if (endName === name && code !== undefined && /^\d+$/.test(code)) {
        exitCode = Number(code);
        ended = uptimeValue(endedText);
      }
      rest = rest.slice(0, endAt);
    }
    const began = uptimeValue(beganText);
    frames.set(name, {
      body: rest,
      exitCode,
      ...(began !== undefined ? { began } : {}),
      ...(ended !== undefined ? { ended } : {}),
    });
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
    const durationMs =
      o?.began !== undefined && o.ended !== undefined
        ? Math.max(0, Math.round((o.ended - o.began) * 1000))
        : undefined;
    result[s.name] = {
      command: s.shell,
      stdout: s.scrub ? s.scrub(o?.body ?? '', 'stdout') : (o?.body ?? ''),
      stderr: s.scrub ? s.scrub(e?.body ?? '', 'stderr') : (e?.body ?? ''),
      exitCode,
      ...(sectionTimedOut || (exitCode === null && runTimedOut) ? { timedOut: true } : {}),
      ...(durationMs !== undefined ? { durationMs } : {}),
    };
  }
  return result;
}
