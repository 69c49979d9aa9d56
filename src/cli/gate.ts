/** `lxdcheck gate`: CI policy over a TAP stream (file or stdin). */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { gate } from '../report/gate.js';
import { loadWaivers, WaiverError } from '../report/waivers.js';

const HELP = `lxdcheck gate RESULTS.tap|- [--waivers FILE] [--allow-skip] [--max-warnings N]

Read a TAP stream written by lxdcheck run (a file, or - for stdin), apply the
policy and exit 0 (pass) or 1 (fail), with a short verdict.

  --waivers FILE     YAML list of {id, host?, justification, expires?}; ids and hosts take
                     globs: * any run of characters, ? one character (lxd?), the rest literal
  --allow-skip       skipped checks do not fail the gate
  --max-warnings N   more than N warnings fail the gate (0: none allowed; default: any number)

Malformed TAP (no plan, a plan that does not match, a bail-out), a plan of 1..0
(no checks ran) and a failing point inside a subtest fail the gate.
`;

/** 0 is allowed: `--max-warnings 0` is the strict gate. */
function parseCount(text: string, flag: string): number {
  if (!/^\d{1,6}$/.test(text)) throw new UsageError(`${flag}: "${text}" must be a whole number from 0`);
  return Number(text);
}

/** A file's text; a folder or an unreadable path is a usage error (exit 2), not a crash. */
function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'is a folder, not a file' : (e as Error).message;
    throw new UsageError(`${what} ${path}: ${why}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function gateCommand(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        waivers: { type: 'string' },
        'allow-skip': { type: 'boolean', default: false },
        'max-warnings': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values as {
    waivers?: string;
    'allow-skip': boolean;
    'max-warnings'?: string;
    help: boolean;
  };
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const file = parsed.positionals[0];
  if (!file) throw new UsageError('gate needs a TAP file (or - for stdin); see lxdcheck gate --help');
  const maxWarnings =
    v['max-warnings'] !== undefined ? parseCount(v['max-warnings'], '--max-warnings') : undefined;
  const tap = file === '-' ? await readStdin() : readText(file, 'TAP file');
  let waivers: ReturnType<typeof loadWaivers>;
  try {
    waivers = v.waivers ? loadWaivers(readText(v.waivers, '--waivers'), v.waivers) : [];
  } catch (e) {
    if (e instanceof WaiverError) throw new UsageError(e.message);
    throw e;
  }
  const verdict = await gate(tap, {
    waivers,
    allowSkip: v['allow-skip'],
    ...(maxWarnings !== undefined ? { maxWarnings } : {}),
  });
  process.stdout.write(verdict.text.endsWith('\n') ? verdict.text : `${verdict.text}\n`);
  return verdict.pass ? 0 : 1;
}
