import test from 'ava';
import type { CheckResult } from '../../../src/model.js';
import { redactResult, redactSecrets } from '../../../src/report/redact.js';
import { PEM } from './helpers.js';

test('peervpn psk lines', (t) => {
  t.is(
    redactSecrets('networkname lab\npsk s3cret value\nport 7000'),
    'networkname lab\npsk <redacted>\nport 7000',
  );
  t.is(redactSecrets('  psk\tabc#def'), '  psk <redacted>');
  t.is(redactSecrets('/etc/peervpn/lab.conf:3:psk abc'), '/etc/peervpn/lab.conf:3:psk <redacted>');
  t.is(redactSecrets('PSK=abc'), 'PSK <redacted>');
  t.is(redactSecrets('interface peervpn0'), 'interface peervpn0', 'other lines untouched');
});

test('PEM private key blocks, including one cut off by truncation', (t) => {
  t.is(redactSecrets(`before\n${PEM}\nafter`), 'before\n<private key redacted>\nafter');
  const rsa = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----';
  t.is(redactSecrets(`a ${rsa} b ${rsa}`), 'a <private key redacted> b <private key redacted>');
  t.is(redactSecrets('x\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nMIIE'), 'x\n<private key redacted>');
  const pub = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  t.is(redactSecrets(pub), pub, 'certificates are not secrets');
});

test('password and trust_password values', (t) => {
  t.is(redactSecrets('core.trust_password: hunter2'), 'core.trust_password: <redacted>');
  t.is(
    redactSecrets('lxc config set core.trust_password hunter2'),
    'lxc config set core.trust_password <redacted>',
  );
  t.is(redactSecrets('mysql -u root password=hunter2 --x'), 'mysql -u root password=<redacted> --x');
  t.is(redactSecrets('PASSWORD="a b c" next'), 'PASSWORD=<redacted> next');
  t.is(redactSecrets("db_password='x y'"), 'db_password=<redacted>');
  t.is(redactSecrets('token: abc123'), 'token: <redacted>');
  t.is(redactSecrets('Permission denied (publickey,password).'), 'Permission denied (publickey,password).');
});

test('redaction is idempotent and leaves ordinary output alone', (t) => {
  const once = redactSecrets(`psk abc\npassword=x\n${PEM}`);
  t.is(redactSecrets(once), once);
  const plain = 'lxdbr0\t\t8000.00163e000001\tno\t\tpeervpn0\n[572] 1 peers connected.';
  t.is(redactSecrets(plain), plain);
  t.is(redactSecrets(''), '');
});

test('redactResult covers every text field and does not mutate its input', (t) => {
  const r: CheckResult = {
    id: 'overlay.config',
    title: 'psk set',
    subject: { host: 'lxd1' },
    status: 'fail',
    summary: 'password=abc is weak',
    expected: 'psk <something>',
    actual: 'psk abc',
    evidence: [{ command: 'lxc config set core.trust_password abc', excerpt: 'psk abc', note: 'token=t0k' }],
    hint: { why: 'password: abc', fix: ['sed -i s/x/y/ f', 'echo psk abc'] },
    durationMs: 1,
  };
  const copy = structuredClone(r);
  const out = redactResult(r);
  t.deepEqual(r, copy);
  t.false(JSON.stringify(out).includes('abc'));
  t.false(JSON.stringify(out).includes('t0k'));
  t.is(out.hint!.fix![0], 'sed -i s/x/y/ f');
});
