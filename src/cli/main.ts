#!/usr/bin/env node
/**
 * The lxdcheck command. Subcommands load their modules on demand, so
 * `--version`, `--help` and `list` never pay for SSH, YAML or the TUI.
 */
import { VERSION } from '../version.js';

const HELP = `lxdcheck ${VERSION} — doctor for multi-host LXD clusters on a layer-2 overlay

Usage:
  lxdcheck init    TARGET... -o CLUSTER.yaml   write the inventory from the hosts themselves (user@host or ssh alias)
  lxdcheck run     -i CLUSTER.yaml [--scenario NAME] [--reporter tap|json|junit|human[:FILE]] ...
  lxdcheck doctor  -i CLUSTER.yaml          interactive view (plain summary when not a terminal)
  lxdcheck hosts   -i CLUSTER.yaml [--json]  how each host is reached (resolved by OpenSSH's ssh -G)
  lxdcheck list                             every check: what it needs and what it proves
  lxdcheck explain CHECK-ID                 why a check fails and how to fix it
  lxdcheck explain diagnosis                how to read root causes and what each explains
  lxdcheck cleanup -i CLUSTER.yaml          delete probe containers a crashed run left behind
  lxdcheck collect -i CLUSTER.yaml -o BUNDLE.tar.gz   a redacted support bundle that replays offline
  lxdcheck gate    RESULTS.tap [--waivers FILE] [--allow-skip] [--max-warnings N]
  lxdcheck lab     up|down|status|inventory|break FAULT|heal|faults   a real cluster on this machine (root)
  lxdcheck demo    [--no-lxd]               build the lab, check it, break it, check again, tear down (root)

Examples:
  lxdcheck init root@10.0.0.1 root@10.0.0.2 root@10.0.0.3 -o cluster.yaml && lxdcheck run -i cluster.yaml
  sudo lxdcheck lab up --no-lxd && sudo lxdcheck lab inventory > lab.yaml
  lxdcheck run -i lab.yaml                         # TAP 14 when piped, a summary on a terminal
  lxdcheck run -i prod.yaml --reporter tap:out.tap --reporter junit:out.xml && lxdcheck gate out.tap
  lxdcheck run -i prod.yaml --scenario post-reboot --wait 5m     # after a reboot: waits, then explains
  lxdcheck run -i prod.yaml --scenario migration --allow-mutations
  lxdcheck explain overlay.member

Reports lead with the diagnosis: the root causes, each with its fix, and the failures each
one explains folded under it (lxdcheck explain diagnosis).
Each command has --help. Exit codes: 0 passed, 1 a check failed, 2 usage/inventory error.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'help':
      // `lxdcheck help run` is `lxdcheck run --help`.
      if (rest[0] && rest[0] !== 'help') return main([rest[0], '--help']);
      process.stdout.write(HELP);
      return 0;
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return cmd === undefined ? 2 : 0;
    case '--version':
    case '-V':
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'init':
      return (await import('./init.js')).initCommand(rest);
    case 'run':
      return (await import('./run.js')).runCommand(rest);
    case 'doctor':
      return (await import('./doctor.js')).doctorCommand(rest);
    case 'list': {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(
          'lxdcheck list\n\nEvery check with its scope, prerequisites and what it proves.\n',
        );
        return 0;
      }
      process.stdout.write((await import('./list.js')).listText());
      return 0;
    }
    case 'explain': {
      const id = rest[0];
      if (!id || id === '--help' || id === '-h') {
        process.stdout.write(
          'lxdcheck explain CHECK-ID | diagnosis\n\nWhat a check proves, why it fails and how to fix it (ids: lxdcheck list);\n`lxdcheck explain diagnosis`: how root causes and their consequences are reported.\n',
        );
        return id ? 0 : 2;
      }
      process.stdout.write((await import('./list.js')).explainText(id));
      return 0;
    }
    case 'hosts':
      return (await import('./hosts.js')).hostsCommand(rest);
    case 'gate':
      return (await import('./gate.js')).gateCommand(rest);
    case 'lab':
      return (await import('../lab/index.js')).labMain(rest);
    case 'cleanup':
      return (await import('./cleanup.js')).cleanupCommand(rest);
    case 'collect':
      return (await import('./collect.js')).collectCommand(rest);
    case 'demo':
      return (await import('./demo.js')).demoCommand(rest);
    default:
      process.stderr.write(`lxdcheck: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}

/** Errors the user can fix print without a stack trace and exit 2. */
async function userError(e: unknown): Promise<number | null> {
  const [{ UsageError }, { InventoryError, formatInventoryError }] = await Promise.all([
    import('../errors.js'),
    import('../inventory/load.js'),
  ]);
  if (e instanceof InventoryError) {
    process.stderr.write(`lxdcheck: ${formatInventoryError(e)}\n`);
    return 2;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`lxdcheck: ${e.message}\n`);
    return 2;
  }
  const { LockBusyError } = await import('../engine/lock.js');
  const { BundleError } = await import('../bundle/index.js');
  if (e instanceof LockBusyError || e instanceof BundleError) {
    process.stderr.write(`lxdcheck: ${e.message}\n`);
    return 2;
  }
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'EACCES') {
    process.stderr.write(`lxdcheck: ${(e as Error).message}\n`);
    return 2;
  }
  return null;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (e: unknown) => {
    const code = await userError(e).catch(() => null);
    if (code !== null) {
      process.exitCode = code;
      return;
    }
    process.stderr.write(
      `lxdcheck: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exitCode = 3;
  },
);
