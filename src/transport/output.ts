/** Small pieces shared by the SSH and local transports. */

import { quoteArgv } from './quote.js';
import type { Command } from './types.js';

/** Per-stream output cap: beyond it output is read and discarded, and a note says so. */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** How long a killed command may take to report that it closed before we resolve anyway. */
export const KILL_GRACE_MS = 1000;

/**
 * The canonical text of a command: what runs in a POSIX shell, and the key
 * used by record/replay. `{argv}` is quoteArgv(argv); `{script}` is the
 * script itself (it is run as `sh -c <script>`).
 */
export function commandText(command: Command): string {
  return 'argv' in command ? quoteArgv(command.argv) : command.script;
}

/** Collects a byte stream up to a cap; decodes as UTF-8 once, at the end (no split characters). */
export class OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;

  constructor(
    private readonly label: string,
    private readonly cap: number = DEFAULT_MAX_OUTPUT_BYTES,
  ) {}

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.truncated) return;
    const room = this.cap - this.size;
    if (buf.length <= room) {
      this.chunks.push(buf);
      this.size += buf.length;
      return;
    }
    if (room > 0) this.chunks.push(buf.subarray(0, room));
    this.size = this.cap;
    this.truncated = true;
  }

  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return this.truncated ? `${s}\n[lxdcheck: ${this.label} truncated after ${this.cap} bytes]` : s;
  }
}

/** Append a note line to stderr text. */
export function withNote(stderr: string, note: string | undefined): string {
  if (!note) return stderr;
  if (stderr === '' || stderr.endsWith('\n')) return stderr + note;
  return `${stderr}\n${note}`;
}
