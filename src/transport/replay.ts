/**
 * Record and replay (README "SSH and safety": replay is offline). Commands are keyed by
 * commandText(): quoteArgv(argv) for `{argv}`, the script text for `{script}`
 * (never the sudo/sh wrapping, so a recording replays whatever the transport).
 */

import { commandText } from './output.js';
import type { Command, ExecOptions, ExecResult, Transport } from './types.js';

class ReplayTransport implements Transport {
  readonly connectionsOpened = 0;

  constructor(
    readonly host: string,
    private readonly lookup: (host: string, command: string) => ExecResult | undefined,
  ) {}

  async connect(): Promise<void> {}

  async exec(command: Command, _options: ExecOptions): Promise<ExecResult> {
    const text = commandText(command);
    const found = this.lookup(this.host, text);
    if (found) return { ...found };
    return {
      stdout: '',
      stderr: `not in the recording: ${text}`,
      exitCode: null,
      timedOut: false,
      durationMs: 0,
    };
  }

  async close(): Promise<void> {}
}

/** A transport that answers from a recording; unknown commands give exitCode null and `not in the recording: CMD`. */
export function createReplayTransport(
  host: string,
  lookup: (host: string, command: string) => ExecResult | undefined,
): Transport {
  return new ReplayTransport(host, lookup);
}

/**
 * Wrap a transport so every completed exec is reported to `record(host, commandText, result)`
 * (the recorder redacts and stores; the key matches what createReplayTransport looks up).
 */
export function createRecordingTransport(
  inner: Transport,
  record: (host: string, command: string, result: ExecResult) => void,
): Transport {
  return {
    get host() {
      return inner.host;
    },
    get connectionsOpened() {
      return inner.connectionsOpened;
    },
    connect: () => inner.connect(),
    close: () => inner.close(),
    async exec(command, options) {
      const result = await inner.exec(command, options);
      record(inner.host, commandText(command), result);
      return result;
    },
  };
}
