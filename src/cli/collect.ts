/**
 * `lxdcheck collect`: a support bundle, like Cilium's sysdump — a recorded
 * read-only run (secrets redacted) packed as one .tar.gz to attach to a bug
 * report and replay with `lxdcheck run --replay DIR`.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { UsageError } from '../errors.js';
import { createReporters } from '../report/spec.js';
import { executeRun, parseRunArgs, prepareRun } from './run.js';

const HELP = `lxdcheck collect -i CLUSTER.yaml -o BUNDLE.tar.gz [run options]

Run the read-only checks with --record into a temporary folder, add the
results (results.tap, results.json), and pack it all as BUNDLE.tar.gz.
Secrets (the peervpn psk, private keys, passwords) are redacted before
anything is written. Replay it with:
  tar xzf BUNDLE.tar.gz && lxdcheck run --replay BUNDLE
`;

export async function collectCommand(argv: string[]): Promise<number> {
  const outIndex = argv.findIndex((a) => a === '-o' || a === '--out');
  const rest = outIndex >= 0 ? [...argv.slice(0, outIndex), ...argv.slice(outIndex + 2)] : argv;
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const out = outIndex >= 0 ? argv[outIndex + 1] : undefined;
  if (!out?.endsWith('.tar.gz'))
    throw new UsageError('collect needs -o NAME.tar.gz (see lxdcheck collect --help)');
  const name = basename(out, '.tar.gz');
  const work = mkdtempSync(join(tmpdir(), 'lxdcheck-collect-'));
  const dir = join(work, name);
  try {
    const v = parseRunArgs([...rest, '--record', dir]);
    if (v.replay) throw new UsageError('collect records a live run; --replay does not apply');
    const prepared = prepareRun(v);
    const reporters = createReporters(
      [
        { kind: 'tap', path: join(dir, 'results.tap') },
        { kind: 'json', path: join(dir, 'results.json') },
        { kind: 'human', path: null },
      ],
      { color: false, verbose: false },
    );
    const { code } = await executeRun(prepared, reporters);
    // `--` and an absolute path: a name like `-x.tar.gz` is a file, never a tar option.
    await promisify(execFile)('tar', ['-C', work, '-czf', resolve(out), '--', name]);
    chmodSync(resolve(out), 0o600);
    process.stderr.write(
      `lxdcheck: wrote ${out} (replay: tar xzf ${out} && lxdcheck run --replay ${name})\n`,
    );
    return code;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
