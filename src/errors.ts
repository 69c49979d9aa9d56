/** Errors every layer may raise and the CLI maps to exit codes. */

/** Bad command-line usage (exit code 2): the reporter specs throw it as well as the subcommands. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
