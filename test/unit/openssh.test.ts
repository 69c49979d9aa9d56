/**
 * OpenSSH resolution (src/inventory/openssh.ts) against the real `ssh -G`
 * (Debian's openssh-client): a table of realistic configs, each written to a
 * temp dir and named with -F, so neither the machine's ~/.ssh/config nor
 * /etc/ssh/ssh_config is read. `ssh -G` connects nowhere. Every expected value
 * is written by hand and checked twice: against what the real ssh prints
 * (ssh -G; ssh -v with ProxyCommand /bin/true for the identity files it
 * loads, again connecting nowhere), and against what the resolver returns.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { parseInventory } from '../../src/inventory/load.js';
import {
  type ConnectionSummary,
  describeConnection,
  OpenSshResolver,
  resolveInventory,
  SshConfigProblem,
} from '../../src/inventory/openssh.js';
import { expandIdentityFile } from '../../src/inventory/openssh-tokens.js';
import { fillProxyCommand } from '../../src/inventory/ssh.js';
import { NoSshBinary, parseSshG } from '../../src/inventory/ssh-g.js';
import type { SshInventoryLayers } from '../../src/inventory/types.js';
import { OPENSSH_DEFAULT_IDENTITIES } from '../../src/transport/ssh-auth.js';

const PW = os.userInfo().homedir;
const ME = os.userInfo().username;
const DEFAULT_IDS = OPENSSH_DEFAULT_IDENTITIES.map((f) => `${PW}/.ssh/${f}`);
const DEFAULT_KH = [
  `${PW}/.ssh/known_hosts`,
  `${PW}/.ssh/known_hosts2`,
  '/etc/ssh/ssh_known_hosts',
  '/etc/ssh/ssh_known_hosts2',
];

/** Write files (`DIR` in names and text is the temp dir) and return the dir. */
function setup(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lxdcheck-openssh-'));
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name.replaceAll('DIR', dir));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text.replaceAll('DIR', dir), { mode: 0o600 });
  }
  return dir;
}

function envFor(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, HOME: dir, LXDCHECK_TEST_KEYS: `${dir}/keys` };
}

/** A generous bound: this machine is shared; the bound itself is tested with a hanging Match exec. */
function opts(dir: string) {
  return { env: envFor(dir), timeoutMs: 60_000 };
}

function layers(dir: string, host: string): SshInventoryLayers {
  return { target: { host }, host: {}, defaults: {}, configFile: path.join(dir, 'config') };
}

type Expect = Omit<ConnectionSummary, 'name'> & { identitiesOnly?: boolean; strict?: string };

function summary(hostname: string, over: Partial<Expect> = {}): Expect {
  return {
    hostname,
    user: ME,
    port: 22,
    identityFiles: DEFAULT_IDS,
    proxyJump: [],
    proxyCommand: null,
    knownHostsFiles: DEFAULT_KH,
    connectTimeoutMs: null,
    ...over,
  };
}

interface Row {
  name: string;
  files: Record<string, string>;
  targets: Record<string, (dir: string) => Expect>;
}

const rows: Row[] = [
  {
    name: 'Include with a glob, keyword case, %h in HostName, Host * after the include',
    files: {
      config: 'Include DIR/conf.d/*.conf\n\nHost *\n  User fallback\n',
      'conf.d/10-lxd.conf': [
        'Host lxd1',
        '  HOSTNAME 192.0.2.11',
        '  port 2222',
        '  user root',
        '  IdentityFile DIR/keys/lxd1',
        'Host lxd2',
        '  Hostname %h.lab.example.net',
        '',
      ].join('\n'),
      // Not *.conf: never read.
      'conf.d/README': 'Host lxd2\n  User wrong\n',
    },
    targets: {
      lxd1: (dir) => summary('192.0.2.11', { user: 'root', port: 2222, identityFiles: [`${dir}/keys/lxd1`] }),
      lxd2: () => summary('lxd2.lab.example.net', { user: 'fallback' }),
    },
  },
  {
    name: 'Match host sees an earlier Hostname (any case); Match user; negated Match',
    files: {
      config: [
        'Host vm-*',
        '  Hostname 10.20.0.11',
        'Match host 10.20.*',
        '  ProxyJump gw.example.net',
        'Match user deploy',
        '  IdentityFile DIR/deploy_key',
        'Match !host 10.20.*',
        '  Port 2200',
        '',
      ].join('\n'),
    },
    targets: {
      // The hop is resolved through the same config: gw.example.net is not 10.20.*, so Port 2200.
      'vm-web-1': () =>
        summary('10.20.0.11', { proxyJump: [{ hostname: 'gw.example.net', user: ME, port: 2200 }] }),
      'deploy@other': (dir) =>
        summary('other', { user: 'deploy', port: 2200, identityFiles: [`${dir}/deploy_key`] }),
    },
  },
  {
    name: 'Match all and first-value-wins',
    files: {
      config: 'Host special\n  User sp\nMatch all\n  User everyone\n  Port 2022\n',
    },
    targets: {
      special: () => summary('special', { user: 'sp', port: 2022 }),
      plain: () => summary('plain', { user: 'everyone', port: 2022 }),
    },
  },
  {
    name: "multi-hop: a jump host's own ProxyJump is followed; a list is outermost first",
    files: {
      config: [
        'Host outer-gw',
        '  Hostname 198.51.100.1',
        '  User jump',
        'Host inner-gw',
        '  Hostname 10.0.0.1',
        '  ProxyJump outer-gw',
        '  Port 2022',
        'Host db9',
        '  Hostname 10.0.1.9',
        '  ProxyJump inner-gw',
        'Host app',
        '  Hostname 10.0.1.10',
        '  ProxyJump admin@outer-gw:2200,inner-gw',
        '',
      ].join('\n'),
    },
    targets: {
      db9: () =>
        summary('10.0.1.9', {
          proxyJump: [
            { hostname: '198.51.100.1', user: 'jump', port: 22 },
            { hostname: '10.0.0.1', user: ME, port: 2022 },
          ],
        }),
      // -J admin@outer-gw:2200 replaces inner-gw's own ProxyJump, as ssh does.
      app: () =>
        summary('10.0.1.10', {
          proxyJump: [
            { hostname: '198.51.100.1', user: 'admin', port: 2200 },
            { hostname: '10.0.0.1', user: ME, port: 2022 },
          ],
        }),
    },
  },
  {
    name: 'ProxyJump none, Host pattern lists with negation, ? and a comma',
    files: {
      config: [
        'Host direct.internal',
        '  ProxyJump none',
        'Host *.internal !skip.internal',
        '  ProxyJump bastion',
        'Host lxd?',
        '  User single',
        'Host db1,db2',
        '  User comma',
        '',
      ].join('\n'),
    },
    targets: {
      'direct.internal': () => summary('direct.internal'),
      'a.internal': () => summary('a.internal', { proxyJump: [{ hostname: 'bastion', user: ME, port: 22 }] }),
      'skip.internal': () => summary('skip.internal'),
      lxd: () => summary('lxd'),
      lxd7: () => summary('lxd7', { user: 'single' }),
      db1: () => summary('db1'),
    },
  },
  {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: OpenSSH's own ${VAR} syntax
    name: '${VAR} and tokens in IdentityFile; known-hosts files, ConnectTimeout, IdentitiesOnly, ProxyCommand',
    files: {
      config: [
        'Host web',
        '  Hostname 10.9.0.5',
        '  User admin',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: OpenSSH's own ${VAR} syntax
        '  IdentityFile ${LXDCHECK_TEST_KEYS}/id_%r@%h',
        '  IdentityFile ~/.ssh/id_%n_%p',
        '  IdentitiesOnly yes',
        '  UserKnownHostsFile DIR/kh_%h DIR/kh2',
        '  GlobalKnownHostsFile DIR/global_kh',
        '  ConnectTimeout 7',
        '  StrictHostKeyChecking no',
        '  ProxyCommand /bin/true %h %p %r %n %%',
        '',
      ].join('\n'),
    },
    targets: {
      web: (dir) =>
        summary('10.9.0.5', {
          user: 'admin',
          identityFiles: [`${dir}/keys/id_admin@10.9.0.5`, `${PW}/.ssh/id_web_22`],
          identitiesOnly: true,
          knownHostsFiles: [`${dir}/kh_10.9.0.5`, `${dir}/kh2`, `${dir}/global_kh`],
          connectTimeoutMs: 7000,
          proxyCommand: '/bin/true %h %p %r %n %%',
          strict: 'false',
        }),
    },
  },
];

function parseTarget(t: string): { user?: string; host: string } {
  const at = t.indexOf('@');
  return at < 0 ? { host: t } : { user: t.slice(0, at), host: t.slice(at + 1) };
}

/** What the real ssh prints for a target (-G), and the identity files it loads (-v, connecting nowhere). */
function realSsh(dir: string, target: string) {
  const cfg = path.join(dir, 'config');
  const g = parseSshG(execFileSync('ssh', ['-G', '-F', cfg, target], { env: envFor(dir), encoding: 'utf8' }));
  const v = spawnSync(
    'ssh',
    [
      '-v',
      '-F',
      cfg,
      '-o',
      'BatchMode=yes',
      '-o',
      'ProxyJump=none',
      '-o',
      'ProxyCommand=/bin/true',
      target,
      'true',
    ],
    { env: envFor(dir), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 },
  );
  const loaded = [...v.stderr.matchAll(/^debug1: identity file (\S+) type/gm)]
    .map((m) => m[1]!)
    .filter((f) => !f.endsWith('-cert'));
  return { g, loaded };
}

for (const row of rows) {
  for (const [target, make] of Object.entries(row.targets)) {
    test(`ssh -G agrees with the table: ${row.name}: ${target}`, (t) => {
      const dir = setup(row.files);
      const want = make(dir);
      const { g, loaded } = realSsh(dir, target);
      t.is(g.get('hostname')?.[0], want.hostname);
      t.is(g.get('user')?.[0], want.user);
      t.is(Number(g.get('port')?.[0]), want.port);
      t.deepEqual(loaded, want.identityFiles);
      t.is(g.get('proxycommand')?.[0] ?? null, want.proxyCommand);
      t.is(g.has('proxyjump'), want.proxyJump.length > 0);
      const kh = [...(g.get('userknownhostsfile') ?? []), ...(g.get('globalknownhostsfile') ?? [])].flatMap(
        (x) => x.split(' '),
      );
      t.deepEqual(kh, want.knownHostsFiles);
      const ct = g.get('connecttimeout')?.[0];
      t.is(ct === 'none' ? null : Number(ct) * 1000, want.connectTimeoutMs);
    });

    test(`the resolver equals the table: ${row.name}: ${target}`, async (t) => {
      const dir = setup(row.files);
      const want = make(dir);
      const resolver = new OpenSshResolver(opts(dir));
      const parsed = parseTarget(target);
      const l = layers(dir, parsed.host);
      if (parsed.user) l.target.user = parsed.user;
      const spec = await resolver.resolveLayers(l, { target, sudo: false });
      const { identitiesOnly, strict, ...summaryWant } = want;
      t.deepEqual(describeConnection(target, spec), { name: target, ...summaryWant });
      t.is(spec.identitiesOnly, identitiesOnly ?? false);
      if (strict !== undefined) t.is(spec.strictHostKeyChecking, strict);
      t.is(spec.resolvedBy, 'openssh');
      t.is(spec.alias, parsed.host);
    });
  }
}

test('ProxyCommand: the transport runs exactly what ssh runs (%h %p %r %n %%)', async (t) => {
  const row = rows.find((r) => r.targets['web'])!;
  const dir = setup(row.files);
  const v = spawnSync('ssh', ['-v', '-F', path.join(dir, 'config'), '-o', 'BatchMode=yes', 'web', 'true'], {
    env: envFor(dir),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 10_000,
  });
  const ran = /^debug1: Executing proxy command: (.*)$/m.exec(v.stderr)?.[1];
  t.is(ran, 'exec /bin/true 10.9.0.5 22 admin web %');
  const spec = await new OpenSshResolver(opts(dir)).resolveLayers(layers(dir, 'web'), {
    target: 'web',
    sudo: false,
  });
  const ours = fillProxyCommand(spec.proxyCommand!, {
    host: spec.hostname,
    port: spec.port,
    user: spec.user,
    original: spec.alias!,
  });
  t.is(`exec ${ours}`, ran ?? '');
});

test('Match exec, negated: the gateway unless the VPN is up (the command runs; its result counts)', async (t) => {
  const dir = setup({
    config: 'Match host db* !exec "test -e DIR/vpn-up"\n  ProxyJump gw\nHost db*\n  User dba\n',
  });
  const down = await new OpenSshResolver(opts(dir)).resolveLayers(layers(dir, 'db1'), {
    target: 'db1',
    sudo: false,
  });
  t.deepEqual(
    down.proxyJump.map((h) => h.hostname),
    ['gw'],
  );
  t.is(down.user, 'dba');
  writeFileSync(path.join(dir, 'vpn-up'), '');
  const up = await new OpenSshResolver(opts(dir)).resolveLayers(layers(dir, 'db1'), {
    target: 'db1',
    sudo: false,
  });
  t.deepEqual(up.proxyJump, []);
  t.is(up.user, 'dba');
});

test('a Match exec that hangs is bounded by the timeout and named in the error', async (t) => {
  const dir = setup({ config: 'Match exec "sleep 30"\n  User x\n' });
  const r = new OpenSshResolver({ env: envFor(dir), timeoutMs: 300 });
  const e = await t.throwsAsync(r.resolveLayers(layers(dir, 'h'), { target: 'h', sudo: false }));
  t.true(e instanceof SshConfigProblem);
  t.regex(e!.message, /did not finish within 300 ms/);
});

test('inventory layers: user@/:port and host identityFile/proxyJump beat the config; ssh: defaults fill only built-ins', async (t) => {
  const dir = setup({
    config:
      'Host web\n  Hostname 10.1.0.1\n  User cfguser\n  IdentityFile DIR/cfgkey\nHost gw\n  User gwuser\n',
  });
  const r = new OpenSshResolver(opts(dir));
  const base = layers(dir, 'web');
  const over = await r.resolveLayers(
    {
      ...base,
      target: { host: 'web', user: 'root', port: 2200 },
      host: { identityFiles: [`${dir}/hostkey`], proxyJump: [{ host: 'gw', port: 2022 }] },
    },
    { target: 'root@web:2200', sudo: false },
  );
  t.deepEqual(describeConnection('web', over), {
    name: 'web',
    hostname: '10.1.0.1',
    user: 'root',
    port: 2200,
    identityFiles: [`${dir}/hostkey`, `${dir}/cfgkey`],
    proxyJump: [{ hostname: 'gw', user: 'gwuser', port: 2022 }],
    proxyCommand: null,
    knownHostsFiles: DEFAULT_KH,
    connectTimeoutMs: null,
  });
  t.like(over.sources, {
    user: 'inventory',
    port: 'inventory',
    identityFiles: 'inventory',
    proxyJump: 'inventory',
  });

  // Defaults: the config's User wins; an unconfigured host takes the default user, key and jump.
  const defaults = { user: 'defuser', identityFiles: [`${dir}/defkey`], proxyJump: [{ host: 'gw' }] };
  const web = await r.resolveLayers({ ...base, defaults }, { target: 'web', sudo: false });
  t.is(web.user, 'cfguser');
  t.deepEqual(web.identityFiles, [`${dir}/cfgkey`, `${dir}/defkey`]);
  const other = await r.resolveLayers(
    { ...layers(dir, 'other'), defaults },
    { target: 'other', sudo: false },
  );
  t.is(other.user, 'defuser');
  t.deepEqual(other.identityFiles, [`${dir}/defkey`]);
  t.deepEqual(describeConnection('other', other).proxyJump, [{ hostname: 'gw', user: 'gwuser', port: 22 }]);
  t.like(other.sources, {
    user: 'inventory',
    identityFiles: 'inventory',
    proxyJump: 'inventory',
    hostname: 'default',
  });
});

test('a ProxyJump loop is an error, not an endless chain of ssh -G', async (t) => {
  const dir = setup({ config: 'Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n' });
  const e = await t.throwsAsync(
    new OpenSshResolver(opts(dir)).resolveLayers(layers(dir, 'a'), { target: 'a', sudo: false }),
  );
  t.true(e instanceof SshConfigProblem);
  t.regex(e!.message, /deeper than 8 hops/);
});

test('unknown tokens are refused as ssh refuses them', (t) => {
  const o = { env: {}, pwHome: '/home/me', localUser: 'me', localHost: 'box', uid: 1000 };
  t.is(
    expandIdentityFile('~/.ssh/%r@%h_%%_%d_%u', { hostname: 'h', user: 'r', port: 22, alias: 'a' }, o),
    '/home/me/.ssh/r@h_%_/home/me_me',
  );
  t.throws(() => expandIdentityFile('~/%j', { hostname: 'h', user: 'r', port: 22, alias: 'a' }, o), {
    message: /unknown token %j/,
  });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: OpenSSH's own ${VAR} syntax
  t.throws(() => expandIdentityFile('${NOPE}/k', { hostname: 'h', user: 'r', port: 22, alias: 'a' }, o), {
    message: /NOPE.*not set/,
  });
});

const INVENTORY = (configFile: string) =>
  [
    'cluster:',
    '  subnet: 172.16.0.0/16',
    '  overlay: { type: peervpn }',
    '  dhcp: lxd1',
    'ssh:',
    `  config: ${configFile}`,
    'hosts:',
    '  - name: lxd1',
    '    ssh: lxd1',
    '    bridgeAddress: 172.16.0.1',
    '',
  ].join('\n');

test('resolveInventory: ssh.config is -F; without an ssh binary the library resolution stays and says what it misses', async (t) => {
  const dir = setup({
    config: 'Include DIR/inc.conf\n',
    'inc.conf': 'Host lxd1\n  Hostname 192.0.2.11\n  Port 2222\n',
  });
  const inv = parseInventory(INVENTORY(path.join(dir, 'config')), path.join(dir, 'c.yaml'), {
    readSshConfig: (f) => (f ? `Include ${dir}/inc.conf\n` : undefined),
  });
  t.is(inv.hosts[0]!.ssh.inventory?.configFile, path.join(dir, 'config'));
  // The library does not follow Include: the alias is taken as the host name.
  t.is(inv.hosts[0]!.ssh.hostname, 'lxd1');

  const resolved = await resolveInventory(inv, opts(dir));
  t.is(resolved.fallback, undefined);
  t.like(resolved.inventory.hosts[0]!.ssh, { hostname: '192.0.2.11', port: 2222, resolvedBy: 'openssh' });

  const fallback = await resolveInventory(inv, { ...opts(dir), binary: path.join(dir, 'no-such-ssh') });
  t.regex(
    fallback.fallback ?? '',
    /no OpenSSH client at .*no-such-ssh.*ssh-config library.*not applied then: Include, Match exec/,
  );
  t.like(fallback.inventory.hosts[0]!.ssh, { hostname: 'lxd1', port: 22, resolvedBy: 'library' });
});

test('a missing ssh binary is NoSshBinary (the fallback signal), not a config problem', async (t) => {
  const r = new OpenSshResolver({ binary: '/nonexistent/ssh' });
  await t.throwsAsync(r.baseline(), { instanceOf: NoSshBinary });
});

/** `lxdcheck hosts --json` (from source, no build) with the table's environment. */
function hostsJson(dir: string, args: string[] = []): { code: number | null; json: unknown; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--import=tsx', 'src/cli/main.ts', 'hosts', '-i', path.join(dir, 'c.yaml'), '--json', ...args],
    {
      env: envFor(dir),
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { code: r.status, json: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}

function inventoryFor(targets: string[]): string {
  return [
    'cluster:',
    '  subnet: 172.16.0.0/16',
    '  overlay: { type: peervpn }',
    '  dhcp: h0',
    'ssh:',
    '  config: config',
    'hosts:',
    ...targets.flatMap((t, i) => [
      `  - name: h${i}`,
      `    ssh: ${t}`,
      `    bridgeAddress: 172.16.0.${i + 1}`,
    ]),
    '',
  ].join('\n');
}

for (const row of rows) {
  test(`lxdcheck hosts --json equals the table: ${row.name}`, (t) => {
    const targets = Object.keys(row.targets);
    const dir = setup({ ...row.files, 'c.yaml': inventoryFor(targets) });
    const r = hostsJson(dir);
    t.is(r.code, 0, r.stderr);
    t.deepEqual(
      r.json,
      targets.map((target, i) => {
        const { identitiesOnly: _io, strict: _s, ...want } = row.targets[target]!(dir);
        // No ConnectTimeout in the config: the run's --connect-timeout default applies.
        return { name: `h${i}`, ...want, connectTimeoutMs: want.connectTimeoutMs ?? 10_000 };
      }),
    );
  });
}

test('lxdcheck hosts: --known-hosts and --connect-timeout replace what the config says; a host that cannot be resolved exits 1', (t) => {
  const dir = setup({
    config: 'Host web\n  ConnectTimeout 7\n  UserKnownHostsFile DIR/kh\nHost bad\n  ProxyCommand nc %u\n',
    'c.yaml': inventoryFor(['web']),
  });
  const r = hostsJson(dir, ['--known-hosts', '/tmp/x_known_hosts', '--connect-timeout', '3s']);
  t.is(r.code, 0, r.stderr);
  t.like((r.json as ConnectionSummary[])[0], {
    knownHostsFiles: ['/tmp/x_known_hosts'],
    connectTimeoutMs: 3000,
  });
  writeFileSync(path.join(dir, 'c.yaml'), inventoryFor(['web', 'bad']));
  const bad = hostsJson(dir);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /h1: ProxyCommand nc %u: unknown token %u/);
});

test('one ssh -G at a time still resolves multi-hop chains for many hosts (the bound never deadlocks)', async (t) => {
  const row = rows.find((r) => r.targets['db9'])!;
  const dir = setup(row.files);
  const r = new OpenSshResolver({ ...opts(dir), concurrency: 1 });
  const specs = await Promise.all(
    ['db9', 'app', 'db9'].map((h) => r.resolveLayers(layers(dir, h), { target: h, sudo: false })),
  );
  t.deepEqual(
    specs.map((s) => s.proxyJump.map((h) => `${h.user}@${h.hostname}:${h.port}`)),
    [
      [`jump@198.51.100.1:22`, `${ME}@10.0.0.1:2022`],
      [`admin@198.51.100.1:2200`, `${ME}@10.0.0.1:2022`],
      [`jump@198.51.100.1:22`, `${ME}@10.0.0.1:2022`],
    ],
  );
});
