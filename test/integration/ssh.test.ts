/**
 * The SSH transport against real OpenSSH servers on 127.0.0.1 (test/helpers/sshd.ts).
 * Needs the Debian packages openssh-server, openssh-client (ssh-keygen, ssh-agent),
 * socat, sudo and procps (pgrep).
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import type { HostSpec, SshHop, SshSpec } from '../../src/inventory/types.js';
import { createSshTransport, type SshTransportOptions } from '../../src/transport/ssh.js';
import { type Transport, TransportError } from '../../src/transport/types.js';
import { pgrep, waitFor } from '../helpers/processes.js';
import { freePort, type Sshd, startSshd } from '../helpers/sshd.js';

const started: Sshd[] = [];
const transports: Transport[] = [];
const children: ChildProcess[] = [];

test.after.always(async () => {
  await Promise.all(transports.map((t) => t.close()));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all(started.map((s) => s.stop()));
});

async function sshd(extraConfig?: string[]): Promise<Sshd> {
  const s = await startSshd(extraConfig ? { extraConfig } : {});
  started.push(s);
  return s;
}

function fingerprintOf(pubLine: string, dir: string): string {
  const f = join(dir, `fp-${Math.random().toString(36).slice(2)}.pub`);
  writeFileSync(f, `${pubLine}\n`);
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', f], { encoding: 'utf8' }).split(' ')[1]!;
}

function hostFor(s: Sshd, ssh: Partial<SshSpec> = {}): HostSpec {
  return {
    name: 'lxd-test',
    bridgeAddress: '172.16.0.1',
    transport: 'ssh',
    ssh: {
      target: `root@127.0.0.1:${s.port}`,
      user: 'root',
      hostname: '127.0.0.1',
      port: s.port,
      identityFiles: [s.userKeyPath],
      proxyJump: [],
      sudo: false,
      ...ssh,
    },
  };
}

/** A host on 127.0.0.1:port with no key: for tests that never get as far as authentication. */
function loopbackHost(name: string, port: number): HostSpec {
  const ssh = {
    target: 'x',
    user: 'root',
    hostname: '127.0.0.1',
    port,
    identityFiles: [],
    proxyJump: [],
    sudo: false,
  };
  return { name, bridgeAddress: '172.16.0.9', transport: 'ssh', ssh };
}

function transport(
  host: HostSpec,
  opts: Partial<SshTransportOptions> & { knownHostsFiles: string[] },
): Transport {
  const t = createSshTransport(host, { acceptNew: false, connectTimeoutMs: 5000, agentSocket: '', ...opts });
  transports.push(t);
  return t;
}

/** The TransportError a promise rejects with (anything else fails the test). */
async function rejection(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TransportError) return e;
    throw e;
  }
  throw new Error('expected the promise to reject with a TransportError');
}

const T = { timeoutMs: 10_000 };

test.serial('exec: stdout, stderr, exit codes and stdin, argv and script', async (t) => {
  const s = await sshd();
  const tr = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath] });
  await tr.connect();
  t.like(await tr.exec({ argv: ['echo', 'hello world'] }, T), {
    stdout: 'hello world\n',
    stderr: '',
    exitCode: 0,
    timedOut: false,
  });
  const r = await tr.exec({ script: 'echo out; echo err >&2; exit 7' }, T);
  t.is(r.stdout, 'out\n');
  t.is(r.stderr, 'err\n');
  t.is(r.exitCode, 7);
  t.like(await tr.exec({ argv: ['false'] }, T), { exitCode: 1 });
  t.like(await tr.exec({ argv: ['/nonexistent/cmd'] }, T), { exitCode: 127 });
  const cat = await tr.exec({ argv: ['cat'] }, { timeoutMs: 5000, stdin: 'line 1\nünïcödé ✓\n' });
  t.is(cat.stdout, 'line 1\nünïcödé ✓\n');
  t.is(cat.exitCode, 0);
  // without stdin the command sees EOF at once instead of hanging
  t.like(await tr.exec({ argv: ['cat'] }, { timeoutMs: 5000 }), { stdout: '', exitCode: 0, timedOut: false });
  t.true(r.durationMs >= 0);
});

test.serial('exec: hostile argv arrives at the remote command unchanged', async (t) => {
  const s = await sshd();
  const tr = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath] });
  const args = ["it's", '$(id)', '`id`', 'a;b|c', '*', '', 'two\nlines', '-n', 'ünï'];
  const r = await tr.exec({ argv: ['printf', '%s\\0', ...args] }, T);
  t.is(r.exitCode, 0);
  t.deepEqual(r.stdout.split('\0').slice(0, -1), args);
});

test.serial('20 execs (10 at a time and 10 in a row) share one SSH connection', async (t) => {
  const s = await sshd();
  const tr = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath] });
  const parallel = await Promise.all(
    Array.from({ length: 10 }, (_, i) => tr.exec({ argv: ['echo', String(i)] }, T)),
  );
  t.deepEqual(
    parallel.map((r) => r.stdout),
    Array.from({ length: 10 }, (_, i) => `${i}\n`),
  );
  for (let i = 0; i < 10; i++) t.is((await tr.exec({ argv: ['echo', `s${i}`] }, T)).stdout, `s${i}\n`);
  t.is(tr.connectionsOpened, 1);
  t.is(s.acceptedCount(), 1, s.log());
});

test.serial('more concurrent execs than sshd MaxSessions all succeed (channels are queued)', async (t) => {
  const s = await sshd(['MaxSessions 4']);
  const tr = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath], maxChannels: 3 });
  const results = await Promise.all(
    Array.from({ length: 25 }, (_, i) => tr.exec({ script: `sleep 0.05; echo ${i}` }, T)),
  );
  t.deepEqual(
    results.map((r) => [r.exitCode, r.stdout]),
    Array.from({ length: 25 }, (_, i) => [0, `${i}\n`]),
  );
  t.is(tr.connectionsOpened, 1);
});

test.serial(
  'a changed host key is refused loudly with both fingerprints and the known_hosts file:line',
  async (t) => {
    const s = await sshd();
    const other = await sshd(); // its host key plays the "expected" key
    const kh = join(s.dir, 'kh-mismatch');
    const [type, b64] = other.hostKeyPub.split(' ');
    writeFileSync(kh, `# first line\n[127.0.0.1]:${s.port} ${type} ${b64}\n`);
    for (const acceptNew of [false, true]) {
      const tr = transport(hostFor(s), { knownHostsFiles: [kh], acceptNew });
      const e = await rejection(tr.connect());
      t.is(e.kind, 'hostkey-mismatch');
      t.true(e.message.includes(fingerprintOf(s.hostKeyPub, s.dir)), e.message);
      t.true(e.message.includes(fingerprintOf(other.hostKeyPub, s.dir)), e.message);
      t.true(e.message.includes(`${kh}:2`), e.message);
      t.regex(e.message, /CHANGED/);
      t.is(tr.connectionsOpened, 0);
    }
    // never rewritten on a mismatch, even with acceptNew
    t.is(readFileSync(kh, 'utf8'), `# first line\n[127.0.0.1]:${s.port} ${type} ${b64}\n`);
    t.is(s.acceptedCount(), 0);
  },
);

test.serial('an unknown host is refused; --accept-new records it; the next run verifies it', async (t) => {
  const s = await sshd();
  const kh = join(s.dir, 'kh-new');
  writeFileSync(kh, '# empty so far'); // no trailing newline: the appended line must still start on its own line
  const fp = fingerprintOf(s.hostKeyPub, s.dir);

  const refused = transport(hostFor(s), { knownHostsFiles: [kh] });
  const e = await rejection(refused.exec({ argv: ['true'] }, T));
  t.is(e.kind, 'hostkey-unknown');
  t.true(e.message.includes(fp), e.message);
  t.true(e.message.includes(`[127.0.0.1]:${s.port}`), e.message);
  t.regex(e.message, /--accept-new/);
  t.regex(e.message, /ssh-keyscan -p \d+ -t ssh-ed25519 127\.0\.0\.1/);
  t.is(readFileSync(kh, 'utf8'), '# empty so far');

  const accepting = transport(hostFor(s), { knownHostsFiles: [kh], acceptNew: true });
  t.is((await accepting.exec({ argv: ['echo', 'ok'] }, T)).stdout, 'ok\n');
  const [type, b64] = s.hostKeyPub.split(' ');
  t.is(readFileSync(kh, 'utf8'), `# empty so far\n[127.0.0.1]:${s.port} ${type} ${b64}\n`);
  // OpenSSH agrees with what we wrote
  t.true(
    execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${s.port}`, '-f', kh], { encoding: 'utf8' }).includes(
      b64!,
    ),
  );

  const verifying = transport(hostFor(s), { knownHostsFiles: [kh] });
  t.is((await verifying.exec({ argv: ['echo', 'again'] }, T)).stdout, 'again\n');
  // accepted once: the second run did not append a duplicate
  t.is(
    readFileSync(kh, 'utf8')
      .split('\n')
      .filter((l) => l.includes(b64!)).length,
    1,
  );
});

test.serial('a closed port is unreachable, quickly, with the errno', async (t) => {
  const port = await freePort();
  const host = loopbackHost('nobody', port);
  const tr = transport(host, { knownHostsFiles: [] });
  const t0 = Date.now();
  const e = await rejection(tr.connect());
  t.is(e.kind, 'unreachable');
  t.regex(e.message, /ECONNREFUSED/);
  t.is(e.host, 'nobody');
  t.true(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
});

test.serial('a listener that never speaks SSH times out within the connect timeout', async (t) => {
  const held: Socket[] = [];
  const server: Server = createServer((sock) => held.push(sock)); // accept, say nothing
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of held) s.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const host = loopbackHost('silent', port);
  const tr = transport(host, { knownHostsFiles: [], connectTimeoutMs: 800 });
  const t0 = Date.now();
  const e = await rejection(tr.connect());
  const took = Date.now() - t0;
  t.is(e.kind, 'timeout');
  t.regex(e.message, /timed out after 800 ms/);
  t.true(took >= 700 && took < 2500, `took ${took} ms`);
  t.true(held.length >= 1, 'the client did connect to the listener');
});

test.serial('a hanging command times out, and the remote process group is really killed', async (t) => {
  const s = await sshd();
  const tr = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath] });
  await tr.connect();
  const marker = `lxdcheck-hang-${process.pid}-${Date.now()}`;
  const startedFile = join(s.dir, 'hang-started');
  // two children carrying the marker in their argv; the file proves they were started before the timeout
  const script =
    `sh -c 'sleep 30; true' ${marker}-a & sh -c 'sleep 30; true' ${marker}-b & ` +
    `sleep 0.2; touch ${startedFile}; wait`;
  const r = await tr.exec({ script }, { timeoutMs: 1000 });
  t.true(r.timedOut);
  t.is(r.exitCode, null);
  t.true(r.durationMs >= 950 && r.durationMs < 1000 + 1500, `took ${r.durationMs} ms`);
  t.regex(r.stderr, /killed after 1000 ms \(timeout\)/);
  t.true(existsSync(startedFile), 'the command should have started before the timeout');
  // the result comes back within timeout + 1 s; the remote kill may land a moment later under load
  t.true(await waitFor(() => pgrep(marker).length === 0, 3000), `still running: ${pgrep(marker).join(' ')}`);
  // the connection is still good afterwards
  t.is((await tr.exec({ argv: ['echo', 'alive'] }, T)).stdout, 'alive\n');
  t.is(tr.connectionsOpened, 1);
});

test.serial('an abort signal kills the command and resolves with aborted', async (t) => {
  const s = await sshd();
  const tr = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath] });
  const marker = `lxdcheck-abort-${process.pid}-${Date.now()}`;
  const ac = new AbortController();
  const running = tr.exec(
    { script: `sh -c 'sleep 30; true' ${marker}` },
    { timeoutMs: 20_000, signal: ac.signal },
  );
  // the innermost process (argv `sh -c sleep 30; true MARKER`) runs once the wrapper has printed its pgid
  t.true(await waitFor(() => pgrep(`30; true ${marker}`).length === 1, 5000));
  ac.abort();
  const r = await running;
  t.true(r.aborted);
  t.false(r.timedOut);
  t.is(r.exitCode, null);
  t.true(await waitFor(() => pgrep(marker).length === 0, 3000), `still running: ${pgrep(marker).join(' ')}`);
});

test.serial(
  'output above the cap is truncated with a note; large output below it arrives intact',
  async (t) => {
    const s = await sshd();
    const tr = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath], maxOutputBytes: 1000 });
    const r = await tr.exec({ script: "head -c 5000 /dev/zero | tr '\\0' a; head -c 3000 /dev/zero >&2" }, T);
    t.is(r.exitCode, 0);
    t.true(r.stdout.startsWith('a'.repeat(1000)));
    t.regex(r.stdout, /^a{1000}\n\[lxdcheck: stdout truncated after 1000 bytes\]$/);
    t.regex(r.stderr, /stderr truncated after 1000 bytes/);
    const big = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath] });
    const b = await big.exec({ script: "head -c 5000000 /dev/zero | tr '\\0' b" }, T);
    t.is(b.stdout.length, 5_000_000);
    t.is(b.stdout, 'b'.repeat(5_000_000));
  },
);

test.serial(
  'ProxyJump: the target is reached through a jump host; both are verified and each sees one connection',
  async (t) => {
    const jump = await sshd(['LogLevel DEBUG1']); // DEBUG1 logs the direct-tcpip target
    const target = await sshd();
    const kh = join(target.dir, 'kh-both');
    writeFileSync(
      kh,
      readFileSync(jump.knownHostsPath, 'utf8') + readFileSync(target.knownHostsPath, 'utf8'),
    );
    const hop: SshHop = {
      user: 'root',
      hostname: '127.0.0.1',
      port: jump.port,
      identityFiles: [jump.userKeyPath],
    };
    const tr = transport(hostFor(target, { proxyJump: [hop] }), { knownHostsFiles: [kh] });
    const r = await tr.exec({ argv: ['sh', '-c', 'echo "$SSH_CONNECTION"'] }, T);
    t.is(r.exitCode, 0);
    // the target sees a connection from 127.0.0.1 (the jump host forwarded it) to its own port
    t.regex(r.stdout, new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${target.port}\\n$`));
    await tr.exec({ argv: ['true'] }, T);
    t.is(tr.connectionsOpened, 1);
    t.is(jump.acceptedCount(), 1, jump.log());
    t.is(target.acceptedCount(), 1, target.log());
    // the jump host really forwarded to the target port
    t.regex(jump.log(), new RegExp(`target 127\\.0\\.0\\.1 port ${target.port}`));
    await tr.close();
  },
);

test.serial('ProxyJump: an unknown jump host key is refused and names the jump host', async (t) => {
  const jump = await sshd();
  const target = await sshd();
  const hop: SshHop = {
    user: 'root',
    hostname: '127.0.0.1',
    port: jump.port,
    identityFiles: [jump.userKeyPath],
  };
  // known_hosts only knows the target
  const tr = transport(hostFor(target, { proxyJump: [hop] }), { knownHostsFiles: [target.knownHostsPath] });
  const e = await rejection(tr.connect());
  t.is(e.kind, 'hostkey-unknown');
  t.true(e.message.includes(`[127.0.0.1]:${jump.port}`), e.message);
  t.true(e.message.includes(fingerprintOf(jump.hostKeyPub, jump.dir)), e.message);
  t.is(target.acceptedCount(), 0);
});

test.serial(
  'ProxyCommand: socat carries the connection, %h/%p are expanded, and the proxy is killed on close',
  async (t) => {
    const s = await sshd();
    const tr = transport(hostFor(s, { proxyCommand: 'exec socat - TCP:%h:%p' }), {
      knownHostsFiles: [s.knownHostsPath],
    });
    t.is((await tr.exec({ argv: ['echo', 'via proxy'] }, T)).stdout, 'via proxy\n');
    t.is((await tr.exec({ argv: ['echo', 'again'] }, T)).stdout, 'again\n');
    t.is(tr.connectionsOpened, 1);
    t.is(s.acceptedCount(), 1);
    const marker = `TCP:127.0.0.1:${s.port}`;
    t.is(pgrep(marker).length, 1, 'one socat');
    await tr.close();
    t.true(await waitFor(() => pgrep(marker).length === 0, 2000), 'socat should be gone after close()');
  },
);

test.serial('ProxyCommand that fails is reported as a proxy error with its stderr', async (t) => {
  const s = await sshd();
  const tr = transport(hostFor(s, { proxyCommand: 'echo "no route to %h" >&2; exit 3' }), {
    knownHostsFiles: [s.knownHostsPath],
  });
  const e = await rejection(tr.connect());
  t.is(e.kind, 'proxy');
  t.regex(e.message, /exited with status 3/);
  t.regex(e.message, /no route to 127\.0\.0\.1/);
});

test.serial('sudo: commands run through sudo -n sh -c, with argv intact', async (t) => {
  const s = await sshd();
  const plain = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath] });
  const sudo = transport(hostFor(s, { sudo: true }), { knownHostsFiles: [s.knownHostsPath] });
  // the command's parent process shows whether sudo was in between
  const parent = { script: 'cat /proc/$PPID/comm' };
  t.is((await sudo.exec(parent, T)).stdout, 'sudo\n');
  t.not((await plain.exec(parent, T)).stdout, 'sudo\n');
  const args = ["it's", '$(id)', '', 'a b'];
  const r = await sudo.exec({ argv: ['printf', '%s\\0', ...args] }, T);
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(r.stdout.split('\0').slice(0, -1), args);
  t.is((await sudo.exec({ argv: ['id', '-u'] }, T)).stdout, '0\n');
  t.like(await sudo.exec({ script: 'exit 5' }, T), { exitCode: 5 });
});

test.serial('auth failure lists what was tried and why keys were skipped, never key material', async (t) => {
  const s = await sshd();
  const stranger = join(s.dir, 'stranger');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
  const encrypted = join(s.dir, 'encrypted');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret-passphrase', '-f', encrypted]);
  const missing = join(s.dir, 'missing');
  const tr = transport(hostFor(s, { identityFiles: [missing, encrypted, stranger] }), {
    knownHostsFiles: [s.knownHostsPath],
  });
  const e = await rejection(tr.connect());
  t.is(e.kind, 'auth');
  t.true(e.message.includes(`publickey ${stranger}`), e.message);
  t.true(e.message.includes(`${missing} does not exist`), e.message);
  t.true(e.message.includes(`${encrypted} is passphrase-protected`), e.message);
  t.false(e.message.includes('PRIVATE KEY'));
  t.false(e.message.includes('secret-passphrase'));
  const keyBody = readFileSync(stranger, 'utf8').split('\n')[1]!;
  t.false(e.message.includes(keyBody));
  t.true(s.log().includes('root'), 'sshd saw the attempt');
});

test.serial('ssh-agent keys are used after identity files', async (t) => {
  const s = await sshd();
  const sock = join(s.dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  children.push(agent);
  t.teardown(() => agent.kill('SIGKILL'));
  t.true(await waitFor(() => existsSync(sock), 3000));
  execFileSync('ssh-add', [s.userKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  const tr = transport(hostFor(s, { identityFiles: [join(s.dir, 'no-such-key')] }), {
    knownHostsFiles: [s.knownHostsPath],
    agentSocket: sock,
  });
  t.is((await tr.exec({ argv: ['echo', 'agent'] }, T)).stdout, 'agent\n');
});

test.serial('a dropped connection fails running commands, reconnects once, then gives up', async (t) => {
  const s = await sshd();
  const tr = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath] });
  const killConnections = () => {
    const pids = execFileSync('pgrep', ['-P', String(s.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    t.true(pids.length >= 1);
    for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
  };
  await tr.connect();
  const running = tr.exec({ argv: ['sleep', '3'] }, T);
  await new Promise((r) => setTimeout(r, 300));
  killConnections();
  const r = await running;
  t.is(r.exitCode, null);
  t.false(r.timedOut);
  t.regex(r.stderr, /connection to lxd-test lost/);

  t.is((await tr.exec({ argv: ['echo', 'back'] }, T)).stdout, 'back\n');
  t.is(tr.connectionsOpened, 2);

  killConnections();
  await new Promise((r) => setTimeout(r, 300));
  const e = await rejection(tr.exec({ argv: ['true'] }, T));
  t.is(e.kind, 'closed');
  t.regex(e.message, /reconnected once/);
  t.is(tr.connectionsOpened, 2);
});

test.serial('close() is idempotent, kills what still runs, and later execs are refused', async (t) => {
  const s = await sshd();
  const tr = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath] });
  const marker = `lxdcheck-close-${process.pid}-${Date.now()}`;
  const running = tr.exec({ script: `sh -c 'sleep 30; true' ${marker}` }, { timeoutMs: 20_000 });
  // the innermost process (argv `sh -c sleep 30; true MARKER`) runs once the wrapper has printed its pgid
  t.true(await waitFor(() => pgrep(`30; true ${marker}`).length === 1, 5000));
  const c1 = tr.close();
  const c2 = tr.close();
  await Promise.all([c1, c2]);
  await tr.close();
  const r = await running;
  t.is(r.exitCode, null);
  // close() waits for the remote kill, so it is gone by now
  t.deepEqual(pgrep(marker), [], 'the remote command should be gone');
  const e = await rejection(tr.exec({ argv: ['true'] }, T));
  t.is(e.kind, 'closed');
  // a transport that never connected closes fine too
  const idle = transport(hostFor(s), { knownHostsFiles: [s.knownHostsPath] });
  await idle.close();
  await idle.close();
  t.is(idle.connectionsOpened, 0);
});

test.serial(
  'a host known from a later known_hosts file is verified there; nothing is written to the first',
  async (t) => {
    const s = await sshd();
    const first = join(s.dir, 'kh-first');
    const second = join(s.dir, 'kh-second');
    copyFileSync(s.knownHostsPath, second);
    const tr = transport(hostFor(s), { knownHostsFiles: [first, second], acceptNew: true });
    t.is((await tr.exec({ argv: ['echo', 'ok'] }, T)).stdout, 'ok\n');
    t.false(existsSync(first));
  },
);

test.serial(
  'a key of another type for a known host is a changed key: refused, even with --accept-new, and not recorded',
  async (t) => {
    const s = await sshd();
    // known_hosts knows this host by an ECDSA key; the server only has ed25519.
    const other = join(s.dir, 'other_ecdsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', other]);
    const [type, b64] = readFileSync(`${other}.pub`, 'utf8').split(' ');
    const kh = join(s.dir, 'kh-other-type');
    const before = `[127.0.0.1]:${s.port} ${type} ${b64}\n`;
    writeFileSync(kh, before);
    const tr = transport(hostFor(s), { knownHostsFiles: [kh], acceptNew: true });
    const e = await t.throwsAsync(tr.exec({ argv: ['echo', 'ok'] }, T), { instanceOf: TransportError });
    t.is((e as TransportError).kind, 'hostkey-mismatch', e.message);
    t.regex(e.message, /HAS CHANGED TYPE/);
    t.is(readFileSync(kh, 'utf8'), before, 'the new key was recorded');
  },
);

test.serial('the system-wide known_hosts file is read too (never written)', async (t) => {
  const s = await sshd();
  const user = join(s.dir, 'kh-user-empty');
  writeFileSync(user, '');
  const tr = transport(hostFor(s), { knownHostsFiles: [user], globalKnownHostsFiles: [s.knownHostsPath] });
  t.is((await tr.exec({ argv: ['echo', 'ok'] }, T)).stdout, 'ok\n');
  t.is(readFileSync(user, 'utf8'), '');
});

test.serial(
  'ProxyJump: a hop that cannot reach the next host is bounded by the connect timeout',
  async (t) => {
    const jump = await sshd();
    // A loopback port whose accept queue is full: the jump host's connect to it hangs (SYNs dropped).
    const hang = spawn(
      'python3',
      [
        '-c',
        [
          'import socket, sys, time',
          's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
          'port = s.getsockname()[1]',
          'fill = []',
          'for i in range(3):',
          '    c = socket.socket(); c.setblocking(False)',
          '    try: c.connect(("127.0.0.1", port))',
          '    except BlockingIOError: pass',
          '    fill.append(c)',
          'print(port, flush=True)',
          'time.sleep(120)',
        ].join('\n'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(hang);
    const port = Number(
      await new Promise<string>((resolve) => hang.stdout!.once('data', (d: Buffer) => resolve(d.toString()))),
    );
    const hop: SshHop = {
      user: 'root',
      hostname: '127.0.0.1',
      port: jump.port,
      identityFiles: [jump.userKeyPath],
    };
    const host = hostFor(jump, { proxyJump: [hop], port });
    const tr = transport(host, { knownHostsFiles: [jump.knownHostsPath], connectTimeoutMs: 1500 });
    const e = await rejection(tr.exec({ argv: ['true'] }, T));
    t.is(e.kind, 'timeout', e.message);
    t.regex(e.message, /did not connect to 127\.0\.0\.1:\d+ within 1500 ms/);
  },
);
