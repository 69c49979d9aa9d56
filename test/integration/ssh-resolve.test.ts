/**
 * OpenSSH resolves, ssh2 connects: three real sshds on 127.0.0.1
 * (test/helpers/sshd.ts) chained by ProxyJump in an SSH config whose hosts
 * live in an Included file; the inventory names only the alias. Needs the
 * Debian packages openssh-server and openssh-client.
 */

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { gatherTargets } from '../../src/init/gather.js';
import { loadInventory } from '../../src/inventory/load.js';
import { createHostResolver, describeConnection, OpenSshResolver } from '../../src/inventory/openssh.js';
import type { HostSpec } from '../../src/inventory/types.js';
import { createTransport } from '../../src/transport/index.js';
import { type Transport, TransportError } from '../../src/transport/types.js';
import { type Sshd, startSshd } from '../helpers/sshd.js';

const ME = os.userInfo().username;
const started: Sshd[] = [];
const transports: Transport[] = [];

test.after.always(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await Promise.all(started.map((s) => s.stop()));
});

interface Chain {
  hop1: Sshd;
  hop2: Sshd;
  target: Sshd;
  dir: string;
  inventory: string;
}

/** hop1 -> hop2 -> target, defined in DIR/conf.d/jumps.conf, Included from DIR/config. */
async function chain(extraTargetLines: string[] = []): Promise<Chain> {
  const hop1 = await startSshd();
  started.push(hop1);
  const hop2 = await startSshd({ userKeyPath: hop1.userKeyPath });
  started.push(hop2);
  const target = await startSshd({ userKeyPath: hop1.userKeyPath });
  started.push(target);
  const dir = hop1.dir;
  const known = [hop1, hop2, target].map((s) => {
    const [type, b64] = s.hostKeyPub.split(' ');
    return `[127.0.0.1]:${s.port} ${type} ${b64}`;
  });
  writeFileSync(path.join(dir, 'known_hosts_all'), `${known.join('\n')}\n`);
  mkdirSync(path.join(dir, 'conf.d'), { recursive: true });
  writeFileSync(
    path.join(dir, 'conf.d', 'jumps.conf'),
    [
      'Host hop1',
      '  Hostname 127.0.0.1',
      `  Port ${hop1.port}`,
      `  User ${ME}`,
      'Host hop2',
      '  Hostname 127.0.0.1',
      `  Port ${hop2.port}`,
      '  ProxyJump hop1',
      'Host lxd-target',
      '  Hostname 127.0.0.1',
      `  Port ${target.port}`,
      '  ProxyJump hop2',
      ...extraTargetLines,
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'config'),
    [
      `Include ${dir}/conf.d/*.conf`,
      'Host *',
      `  UserKnownHostsFile ${dir}/known_hosts_all`,
      `  IdentityFile ${hop1.userKeyPath}`,
      '  IdentitiesOnly yes',
      '',
    ].join('\n'),
  );
  const inventory = path.join(dir, 'cluster.yaml');
  writeFileSync(
    inventory,
    [
      'cluster:',
      '  subnet: 172.16.0.0/16',
      '  overlay: { type: peervpn }',
      '  dhcp: lxd1',
      'ssh:',
      `  config: ${dir}/config`,
      'hosts:',
      '  - name: lxd1',
      '    ssh: lxd-target',
      '    bridgeAddress: 172.16.0.1',
      '',
    ].join('\n'),
  );
  return { hop1, hop2, target, dir, inventory };
}

function transportFor(c: Chain, knownHostsExplicit = false): Transport {
  const inv = loadInventory(c.inventory);
  // knownHostsFiles here is what a run passes by default; OpenSSH's UserKnownHostsFile replaces it
  // unless they were given explicitly (--known-hosts, ssh.knownHosts).
  const t = createTransport(
    inv.hosts[0]!,
    {
      knownHostsFiles: [path.join(c.dir, 'never-read')],
      acceptNew: false,
      connectTimeoutMs: 5000,
      agentSocket: '',
    },
    { resolve: createHostResolver(), knownHostsExplicit },
  );
  transports.push(t);
  return t;
}

test('a two-hop ProxyJump chain from an Included file: each hop verified against the config known_hosts, one login each', async (t) => {
  const c = await chain();
  const resolved = await createHostResolver()(loadInventory(c.inventory).hosts[0]!);
  t.deepEqual(describeConnection('lxd1', resolved.ssh), {
    name: 'lxd1',
    hostname: '127.0.0.1',
    user: ME,
    port: c.target.port,
    identityFiles: [c.hop1.userKeyPath],
    proxyJump: [
      { hostname: '127.0.0.1', user: ME, port: c.hop1.port },
      { hostname: '127.0.0.1', user: ME, port: c.hop2.port },
    ],
    proxyCommand: null,
    knownHostsFiles: [`${c.dir}/known_hosts_all`, '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
    connectTimeoutMs: null,
  });

  const tr = transportFor(c);
  const r = await tr.exec({ argv: ['echo', 'through two hops'] }, { timeoutMs: 10_000 });
  t.is(r.exitCode, 0);
  t.is(r.stdout, 'through two hops\n');
  t.is(c.hop1.acceptedCount(), 1);
  t.is(c.hop2.acceptedCount(), 1);
  t.is(c.target.acceptedCount(), 1);
});

test('StrictHostKeyChecking no in the config does not switch verification off: an unknown target key is refused', async (t) => {
  const c = await chain(['  StrictHostKeyChecking no']);
  // The target's key is not in the file the config names.
  const lines = readFileSync(path.join(c.dir, 'known_hosts_all'), 'utf8').split('\n');
  writeFileSync(
    path.join(c.dir, 'known_hosts_all'),
    lines.filter((l) => !l.startsWith(`[127.0.0.1]:${c.target.port} `)).join('\n'),
  );
  const tr = transportFor(c);
  const e = await t.throwsAsync(tr.connect());
  t.true(e instanceof TransportError);
  t.is((e as TransportError).kind, 'hostkey-unknown');
  t.regex(e!.message, new RegExp(`searched: ${c.dir}/known_hosts_all`));
  // The hops were verified and logged in; the target never authenticated.
  t.is(c.target.acceptedCount(), 0);
});

test('lxdcheck init reaches a target the same way: the alias through both hops', async (t) => {
  const c = await chain();
  const [record] = await gatherTargets(['lxd-target'], {
    knownHostsFiles: [path.join(c.dir, 'never-read')],
    acceptNew: false,
    connectTimeoutMs: 5000,
    timeoutMs: 30_000,
    identityFiles: [],
    sshConfigPath: path.join(c.dir, 'config'),
  });
  t.is(record?.error, undefined);
  t.true(Object.keys(record?.raw ?? {}).length > 0);
  t.is(c.hop1.acceptedCount(), 1);
  t.is(c.hop2.acceptedCount(), 1);
  t.is(c.target.acceptedCount(), 1);
});

test('--known-hosts given explicitly replaces the files the config names, for the jump hosts too', async (t) => {
  const c = await chain();
  const e = await t.throwsAsync(transportFor(c, true).connect());
  t.true(e instanceof TransportError);
  t.is((e as TransportError).kind, 'hostkey-unknown');
  t.regex(e!.message, new RegExp(`127\\.0\\.0\\.1\\]:${c.hop1.port}.*searched: ${c.dir}/never-read\\)`));
  t.is(c.hop1.acceptedCount(), 0);
});

test('IdentitiesOnly yes from the config: the agent holding the right key is not asked', async (t) => {
  const s = await startSshd();
  started.push(s);
  const sock = path.join(s.dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  t.teardown(() => agent.kill('SIGKILL'));
  for (let i = 0; i < 60 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  execFileSync('ssh-add', [s.userKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  const config = path.join(s.dir, 'config');
  writeFileSync(
    config,
    [
      'Host only',
      '  Hostname 127.0.0.1',
      `  Port ${s.port}`,
      `  IdentityFile ${s.dir}/no-such-key`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${s.knownHostsPath}`,
      'Host agentok',
      '  Hostname 127.0.0.1',
      `  Port ${s.port}`,
      `  IdentityFile ${s.dir}/no-such-key`,
      `  UserKnownHostsFile ${s.knownHostsPath}`,
      '',
    ].join('\n'),
  );
  const resolve = createHostResolver();
  const hostFor = async (alias: string): Promise<HostSpec> => ({
    name: alias,
    bridgeAddress: '172.16.0.1',
    transport: 'ssh',
    ssh: await new OpenSshResolver().resolveLayers(
      { target: { host: alias }, host: {}, defaults: {}, configFile: config },
      { target: alias, sudo: false },
    ),
  });
  const opts = { knownHostsFiles: [], acceptNew: false, connectTimeoutMs: 5000, agentSocket: sock };
  const only = createTransport(await hostFor('only'), opts, { resolve });
  transports.push(only);
  const e = await t.throwsAsync(only.connect());
  t.is((e as TransportError).kind, 'auth');
  t.regex(e!.message, /IdentitiesOnly yes: ssh-agent keys are not offered/);
  // The same key through the agent is accepted when IdentitiesOnly is not set: the refusal above was IdentitiesOnly.
  const ok = createTransport(await hostFor('agentok'), opts, { resolve });
  transports.push(ok);
  t.is((await ok.exec({ argv: ['echo', 'agent'] }, { timeoutMs: 10_000 })).stdout, 'agent\n');
});

test('ConnectTimeout from the config bounds the connection (a listener that never speaks SSH)', async (t) => {
  const held: Socket[] = [];
  const server: Server = createServer((sock) => held.push(sock));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of held) s.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lxdcheck-ct-'));
  writeFileSync(
    path.join(dir, 'config'),
    `Host silent\n  Hostname 127.0.0.1\n  Port ${port}\n  ConnectTimeout 1\n`,
  );
  const ssh = await new OpenSshResolver().resolveLayers(
    { target: { host: 'silent' }, host: {}, defaults: {}, configFile: path.join(dir, 'config') },
    { target: 'silent', sudo: false },
  );
  t.is(ssh.connectTimeoutMs, 1000);
  const tr = createTransport(
    { name: 'silent', bridgeAddress: '172.16.0.1', transport: 'ssh', ssh },
    { knownHostsFiles: [], acceptNew: false, connectTimeoutMs: 600_000, agentSocket: '' },
    { resolve: async (h) => h },
  );
  transports.push(tr);
  const e = await t.throwsAsync(tr.connect());
  t.is((e as TransportError).kind, 'timeout');
  t.regex(e!.message, /timed out after 1000 ms/);
});
