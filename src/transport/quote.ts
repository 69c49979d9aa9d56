/**
 * The single place where argv arrays become shell text. Every argument is
 * single-quoted unless it is made only of characters no POSIX shell treats
 * specially, so no caller can inject `$()`, backticks, globs or newlines.
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one argument for a POSIX shell. */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('shell argument contains a NUL byte');
  if (arg.length > 0 && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quote an argv array into one shell command line. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(quoteArg).join(' ');
}
