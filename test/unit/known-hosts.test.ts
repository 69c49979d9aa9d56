import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  fingerprintSha256,
  formatKnownHostsLine,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypes,
  matchHostKey,
  parseKnownHosts,
} from '../../src/transport/known-hosts.js';

interface Key {
  type: string;
  b64: string;
  blob: Buffer;
  /** What `ssh-keygen -l -E sha256` prints for it. */
  fingerprint: string;
}

const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-kh-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function genKey(type: 'ed25519' | 'ecdsa' | 'rsa'): Key {
  const f = join(dir, `key${n++}`);
  const bits = type === 'rsa' ? ['-b', '2048'] : [];
  execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', '', '-C', '', '-f', f]);
  const [t, b64] = readFileSync(`${f}.pub`, 'utf8').trim().split(/\s+/) as [string, string];
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${f}.pub`], { encoding: 'utf8' }).split(
    ' ',
  )[1]!;
  return { type: t, b64, blob: Buffer.from(b64, 'base64'), fingerprint: fp };
}

const ed1 = genKey('ed25519');
const ed2 = genKey('ed25519');
const ec1 = genKey('ecdsa');
const rsa1 = genKey('rsa');

test('fingerprintSha256 matches ssh-keygen -l for ed25519, ecdsa and rsa keys', (t) => {
  for (const k of [ed1, ed2, ec1, rsa1]) {
    t.is(fingerprintSha256(k.blob), k.fingerprint);
    t.regex(k.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  }
});

test('keyTypeOfBlob reads the type from the key blob', (t) => {
  t.is(keyTypeOfBlob(ed1.blob), 'ssh-ed25519');
  t.is(keyTypeOfBlob(ec1.blob), 'ecdsa-sha2-nistp256');
  t.is(keyTypeOfBlob(rsa1.blob), 'ssh-rsa');
  t.is(keyTypeOfBlob(Buffer.from([0, 0])), undefined);
});

test('knownHostsName: bare for port 22, [host]:port otherwise, lowercased', (t) => {
  t.is(knownHostsName('LXD1.example', 22), 'lxd1.example');
  t.is(knownHostsName('127.0.0.1', 2222), '[127.0.0.1]:2222');
  t.is(knownHostsName('::1', 2222), '[::1]:2222');
});

test('plain entries: host names, [host]:port, comma lists, comments and blank lines', (t) => {
  const text = [
    '# a comment',
    '',
    `lxd1,192.168.99.1 ${ed1.type} ${ed1.b64}`,
    `[127.0.0.1]:2222 ${ed2.type} ${ed2.b64} comment here`,
    `lxd2 ${ec1.type} ${ec1.b64}`,
  ].join('\n');
  const notes: string[] = [];
  const entries = parseKnownHosts(text, '/x/known_hosts', notes);
  t.is(entries.length, 3);
  t.deepEqual(notes, []);
  t.like(matchHostKey(entries, 'lxd1', 22, ed1.type, ed1.blob), {
    status: 'match',
    line: 3,
    file: '/x/known_hosts',
  });
  t.like(matchHostKey(entries, '192.168.99.1', 22, ed1.type, ed1.blob), { status: 'match', line: 3 });
  t.like(matchHostKey(entries, 'LXD1', 22, ed1.type, ed1.blob), { status: 'match' });
  t.like(matchHostKey(entries, '127.0.0.1', 2222, ed2.type, ed2.blob), { status: 'match', line: 4 });
  // the same address on another port is a different known_hosts name
  t.like(matchHostKey(entries, '127.0.0.1', 22, ed2.type, ed2.blob), { status: 'unknown' });
  t.like(matchHostKey(entries, '127.0.0.1', 2223, ed2.type, ed2.blob), { status: 'unknown' });
  t.like(matchHostKey(entries, 'lxd2', 22, ec1.type, ec1.blob), { status: 'match', line: 5 });
});

test('a different key of the same type is a mismatch that names the file, line and expected fingerprint', (t) => {
  const entries = parseKnownHosts(`\n[127.0.0.1]:2222 ${ed1.type} ${ed1.b64}\n`, '/k');
  const m = matchHostKey(entries, '127.0.0.1', 2222, ed2.type, ed2.blob);
  t.deepEqual(m, {
    status: 'mismatch',
    file: '/k',
    line: 2,
    expectedFingerprint: ed1.fingerprint,
    knownTypes: ['ssh-ed25519'],
  });
});

test('a key of a type known_hosts has no entry for is unknown, and says which types are known', (t) => {
  const entries = parseKnownHosts(`lxd1 ${ed1.type} ${ed1.b64}\n`, '/k');
  t.deepEqual(matchHostKey(entries, 'lxd1', 22, rsa1.type, rsa1.blob), {
    status: 'unknown',
    knownTypes: ['ssh-ed25519'],
  });
  t.deepEqual(knownKeyTypes(entries, 'lxd1', 22), ['ssh-ed25519']);
  t.deepEqual(knownKeyTypes(entries, 'lxd9', 22), []);
});

test('wildcards and negation follow OpenSSH pattern rules', (t) => {
  const entries = parseKnownHosts(`*.lab,!bad.lab ${ed1.type} ${ed1.b64}\n`, '/k');
  t.like(matchHostKey(entries, 'lxd1.lab', 22, ed1.type, ed1.blob), { status: 'match' });
  t.like(matchHostKey(entries, 'bad.lab', 22, ed1.type, ed1.blob), { status: 'unknown' });
  t.like(matchHostKey(entries, 'lxd1.lab.evil', 22, ed1.type, ed1.blob), { status: 'unknown' });
  const q = parseKnownHosts(`lxd? ${ed1.type} ${ed1.b64}\n`, '/k');
  t.like(matchHostKey(q, 'lxd7', 22, ed1.type, ed1.blob), { status: 'match' });
  t.like(matchHostKey(q, 'lxd10', 22, ed1.type, ed1.blob), { status: 'unknown' });
  // regex metacharacters in a pattern are literal
  const dot = parseKnownHosts(`10.0.0.1 ${ed1.type} ${ed1.b64}\n`, '/k');
  t.like(matchHostKey(dot, '10x0x0x1', 22, ed1.type, ed1.blob), { status: 'unknown' });
});

test('hashed entries written by ssh-keygen -H match, for port 22 and [host]:port', (t) => {
  const f = join(dir, 'hashed_known_hosts');
  writeFileSync(
    f,
    [`lxd1.example ${ed1.type} ${ed1.b64}`, `[127.0.0.1]:2222 ${ed2.type} ${ed2.b64}`, ''].join('\n'),
  );
  execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
  const text = readFileSync(f, 'utf8');
  t.notRegex(text, /lxd1\.example|127\.0\.0\.1/, 'ssh-keygen -H should have hashed the names');
  t.regex(text, /^\|1\|/m);
  const entries = parseKnownHosts(text, f);
  t.is(entries.length, 2);
  t.truthy(entries[0]!.hashed);
  t.like(matchHostKey(entries, 'lxd1.example', 22, ed1.type, ed1.blob), {
    status: 'match',
    line: 1,
    file: f,
  });
  t.like(matchHostKey(entries, '127.0.0.1', 2222, ed2.type, ed2.blob), { status: 'match', line: 2 });
  t.like(matchHostKey(entries, '127.0.0.1', 2222, ed1.type, ed1.blob), {
    status: 'mismatch',
    expectedFingerprint: ed2.fingerprint,
  });
  t.like(matchHostKey(entries, 'lxd2.example', 22, ed1.type, ed1.blob), { status: 'unknown' });
});

test('hashed entries: our HMAC-SHA1 of the name equals the hash ssh-keygen wrote', (t) => {
  const f = join(dir, 'hashed2');
  writeFileSync(f, `[::1]:2200 ${ed1.type} ${ed1.b64}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' });
  const field = readFileSync(f, 'utf8').split(' ')[0]!;
  const [, , salt, hash] = field.split('|') as [string, string, string, string];
  const mine = createHmac('sha1', Buffer.from(salt, 'base64')).update('[::1]:2200').digest('base64');
  t.is(mine, hash);
  t.like(matchHostKey(parseKnownHosts(readFileSync(f, 'utf8'), f), '::1', 2200, ed1.type, ed1.blob), {
    status: 'match',
  });
});

test('@revoked wins over a plain entry for the same key; @cert-authority is ignored with a note', (t) => {
  const notes: string[] = [];
  const entries = parseKnownHosts(
    [
      `lxd1 ${ed1.type} ${ed1.b64}`,
      `@revoked * ${ed1.type} ${ed1.b64}`,
      `@cert-authority *.lab ${ed2.type} ${ed2.b64}`,
    ].join('\n'),
    '/k',
    notes,
  );
  t.like(matchHostKey(entries, 'lxd1', 22, ed1.type, ed1.blob), { status: 'revoked', line: 2 });
  // the CA key is not a host key
  t.like(matchHostKey(entries, 'x.lab', 22, ed2.type, ed2.blob), { status: 'unknown' });
  t.is(notes.length, 1);
  t.regex(notes[0]!, /\/k:3: @cert-authority/);
});

test('malformed lines are skipped with a note naming file:line', (t) => {
  const notes: string[] = [];
  const entries = parseKnownHosts(
    [
      'justonefield',
      `lxd1 ssh-rsa ${ed1.b64}`, // type does not match the blob
      `lxd1 ${ed1.type} !!notbase64!!`,
      '@weird lxd1 ssh-ed25519 AAAA',
      `|1|bad|hash ${ed1.type} ${ed1.b64}`,
      `lxd3 ${ed1.type} ${ed1.b64}`,
    ].join('\n'),
    '/kh',
    notes,
  );
  t.is(entries.length, 1);
  t.is(entries[0]!.line, 6);
  t.is(notes.length, 5);
  t.deepEqual(
    notes.map((s) => s.split(':').slice(0, 2).join(':')),
    ['/kh:1', '/kh:2', '/kh:3', '/kh:4', '/kh:5'],
  );
});

test('formatKnownHostsLine writes what parseKnownHosts and ssh-keygen -F read back', (t) => {
  const line = formatKnownHostsLine('127.0.0.1', 2222, ed1.blob);
  t.is(line, `[127.0.0.1]:2222 ssh-ed25519 ${ed1.b64}`);
  t.is(formatKnownHostsLine('lxd1', 22, ec1.blob), `lxd1 ${ec1.type} ${ec1.b64}`);
  t.like(matchHostKey(parseKnownHosts(line, '/k'), '127.0.0.1', 2222, ed1.type, ed1.blob), {
    status: 'match',
  });
  const f = join(dir, 'formatted');
  writeFileSync(f, `${line}\n`);
  const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', f], { encoding: 'utf8' });
  t.true(found.includes(ed1.b64));
});
