import test from 'ava';
import type { CheckResult } from '../../../src/model.js';
import { redactSecrets } from '../../../src/redact.js';
import { redactResult } from '../../../src/report/redact.js';
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

/** Realistic secret forms seen in `ps -eo args`, `lxc list --format json`, configs and journals. */
const CORPUS: { text: string; secret: string; keep?: string }[] = [
  { text: '{"environment.DB_PASSWORD": "hunter2", "image.os": "debian"}', secret: 'hunter2', keep: 'debian' },
  { text: '"core.trust_password": "tp-4242"', secret: 'tp-4242' },
  { text: '"environment.AWS_SECRET_ACCESS_KEY":"wJalrXUtnFEMI/K7MDENG+bPx"', secret: 'wJalrXUtnFEMI' },
  { text: '"environment.HTTP_PROXY": "http://proxy:3128"', secret: 'proxy:3128' },
  { text: '"cloud-init.user-data": "#cloud-config\\npassword: ciPw\\n"', secret: 'ciPw' },
  { text: '"user.user-data": "#cloud-config\\nchpasswd: {list: \\"root:rootPw\\"}"', secret: 'rootPw' },
  { text: '"token": "ghp_abcdEFGH1234", "escaped": "a\\"b"', secret: 'ghp_abcdEFGH1234' },
  {
    text: ' 812 mysqld  /usr/sbin/mysqld --password hunter3 --port 3306',
    secret: 'hunter3',
    keep: '--port 3306',
  },
  { text: ' 813 app  /opt/app --db-password=pw813 --verbose', secret: 'pw813', keep: '--verbose' },
  { text: ' 814 app  /opt/app --api-token tok814abc', secret: 'tok814abc' },
  { text: ' 815 mysql  mysql -uroot -pMyPw815 appdb', secret: 'MyPw815', keep: 'appdb' },
  { text: ' 816 sshpass  sshpass -p sp816pass ssh root@db1', secret: 'sp816pass', keep: 'root@db1' },
  { text: ' 817 sshpass  sshpass -psp817 scp a b', secret: 'sp817' },
  { text: ' 818 redis-cli  redis-cli -h r1 -a redisPw818 ping', secret: 'redisPw818' },
  { text: 'curl -H "Authorization: Bearer eyJhbGciOi.J9eyJz.dWIi" https://x', secret: 'eyJhbGciOi' },
  { text: 'Authorization: Basic dXNlcjpwYXNz', secret: 'dXNlcjpwYXNz' },
  { text: 'token Bearer abcdef123456 sent', secret: 'abcdef123456' },
  {
    text: '[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\nListenPort = 51820',
    secret: 'yAnz5TF',
    keep: '51820',
  },
  { text: 'PresharedKey = 7hT2x9Q+abc=', secret: '7hT2x9Q' },
  { text: 'Ed25519PrivateKey = 1a2b3c4d5e', secret: '1a2b3c4d5e' },
  {
    text: '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGV0pgpSecretBody\n=AbCd\n-----END PGP PRIVATE KEY BLOCK-----\nafter',
    secret: 'pgpSecretBody',
    keep: 'after',
  },
  {
    text: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaSshBody\n-----END OPENSSH PRIVATE KEY-----',
    secret: 'SshBody',
  },
  {
    text: '"key": "-----BEGIN RSA PRIVATE KEY-----\\nMIIEjsonBody\\n-----END RSA PRIVATE KEY-----\\n"',
    secret: 'jsonBody',
  },
  { text: 'psk s3cret # the shared key', secret: 's3cret' },
  { text: 'psk #hashStartPsk', secret: 'hashStartPsk' },
  { text: '# psk oldCommentedPsk', secret: 'oldCommentedPsk' },
  { text: 'export AWS_SECRET_ACCESS_KEY=awsSecret123', secret: 'awsSecret123' },
  { text: 'Environment=AWS_SECRET_ACCESS_KEY=unitSecret1', secret: 'unitSecret1' },
  { text: 'lxc config set core.trust_password trustArg9', secret: 'trustArg9' },
  { text: 'core.trust_password: yamlTrust1', secret: 'yamlTrust1' },
  { text: 'ProxyCommand failed: password=proxyPw1 rejected', secret: 'proxyPw1' },
  { text: 'git clone https://bob:urlPw123@git.example/x', secret: 'urlPw123', keep: 'git.example/x' },
];

test('a corpus of realistic secret forms is redacted, idempotently, keeping the rest', (t) => {
  for (const c of CORPUS) {
    const out = redactSecrets(c.text);
    t.false(out.includes(c.secret), `${c.secret} survived in: ${out}`);
    if (c.keep) t.true(out.includes(c.keep), `${c.keep} lost in: ${out}`);
    t.is(redactSecrets(out), out, `not idempotent: ${out}`);
  }
});

test('ordinary command lines and outputs are not redacted', (t) => {
  const plain = [
    '  123 dnsmasq  dnsmasq --strict-order --bind-interfaces --interface=lxdbr0 --dhcp-range 172.16.100.1,172.16.199.254',
    '  124 tincd  tincd -n lxd -D',
    'PING 172.16.0.2 (172.16.0.2) 56(84) bytes of data.',
    '"volatile.eth0.hwaddr": "00:16:3e:8d:6d:bd"',
    'The psk/keys differ between peers.',
  ];
  for (const p of plain) t.is(redactSecrets(p), p);
});
