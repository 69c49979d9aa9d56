/**
 * The transport is an interface: SSH for real clusters, local exec
 * for this machine, replay for recorded bundles. Checks never see it; only the
 * collectors and actions do.
 */

export interface ExecOptions {
  /** Kill the command after this many ms and report it as timed out. */
  timeoutMs: number;
  /** Written to the command's stdin, then stdin is closed. */
  stdin?: string;
  /** Abort (e.g. Ctrl-C): the command is killed and the promise resolves with `aborted`. */
  signal?: AbortSignal;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** null when the command was killed (timeout, abort) or the channel died. */
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  aborted?: boolean;
  durationMs: number;
}

/**
 * A command is either an argv array (quoted by quoteArgv) or a shell script
 * that the caller has assembled only from constants and quoteArg() output.
 */
export type Command = { argv: readonly string[] } | { script: string };

export interface Transport {
  /** Which host this transport reaches (inventory name). */
  readonly host: string;
  /** Open the connection (idempotent). Rejects with a TransportError. */
  connect(): Promise<void>;
  exec(command: Command, options: ExecOptions): Promise<ExecResult>;
  /** Close the connection and every channel; safe to call twice. */
  close(): Promise<void>;
  /** How many connections this transport has opened (for the benchmark and tests). */
  readonly connectionsOpened: number;
}

export type TransportErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'auth'
  | 'hostkey-unknown'
  | 'hostkey-mismatch'
  | 'config'
  | 'closed'
  | 'proxy';

export class TransportError extends Error {
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    readonly host: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}
