/**
 * Reporter plumbing: every view (TAP, JSON, JUnit, human, GitHub annotations)
 * subscribes to the engine's RunEvent stream and writes through a Sink.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunEvent } from '../model.js';

export interface Reporter {
  onEvent(e: RunEvent): void;
  /** Flush and close; called once, after the last event (or instead of run-end when the run crashed). */
  finish(): Promise<void>;
}

/** Where a reporter writes: stdout, stderr, a file, or memory (tests). */
export interface Sink {
  write(s: string): void;
  end(): Promise<void>;
}

function processStreamSink(stream: NodeJS.WriteStream): Sink {
  return {
    write(s: string) {
      stream.write(s);
    },
    // Never close the process streams; wait until what we wrote is flushed.
    end() {
      return new Promise<void>((resolve) => {
        stream.write('', () => resolve());
      });
    },
  };
}

export const stdoutSink: Sink = processStreamSink(process.stdout);
export const stderrSink: Sink = processStreamSink(process.stderr);

/** A sink writing to `path` (parent directories are created). `end()` rejects if the write failed. */
export function createFileSink(path: string): Sink {
  // Reports quote raw command output (redacted, still about production hosts): owner-only.
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const stream = createWriteStream(path, { encoding: 'utf8', mode: 0o600 });
  let failure: Error | null = null;
  stream.on('error', (err) => {
    failure = err;
  });
  return {
    write(s: string) {
      if (!failure) stream.write(s);
    },
    async end() {
      if (!failure && !stream.writableFinished) {
        stream.end();
        try {
          await once(stream, 'finish');
        } catch (err) {
          failure = err as Error;
        }
      }
      if (failure) throw new Error(`cannot write ${path}: ${failure.message}`);
    },
  };
}

/** An in-memory sink, for tests and for reporters whose output is post-processed. */
export interface MemorySink extends Sink {
  readonly text: string;
  readonly ended: boolean;
}

export function createMemorySink(): MemorySink {
  let text = '';
  let ended = false;
  return {
    write(s: string) {
      if (ended) throw new Error('write after end');
      text += s;
    },
    async end() {
      ended = true;
    },
    get text() {
      return text;
    },
    get ended() {
      return ended;
    },
  };
}
