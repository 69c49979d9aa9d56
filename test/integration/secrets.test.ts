/**
 * Planted secrets never reach a bundle, a report or a `collect` tarball.
 * A local-transport host whose `ps` and `lxc` are stubs printing realistic
 * secrets (process arguments, container environment, cloud-init user-data);
 * every file lxdcheck writes is then searched for each planted value.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { srcCli } from '../helpers/src-cli.js';

const SECRETS = [
  'PsArgHunter2',
  'S3cretSshpass',
  'eyJTOKENbearer123',
  'MysqlShortPw',
  'EnvDbPassw0rd',
  'wJalrXUtnFEMIK7MDENGbPxRfiCY',
  'CloudInitPw99',
  'UserNoteSecret',
  'TrustPw4242',
  'LxcFailPw77',
];

const PS = `    PID COMMAND         COMMAND
      1 systemd         /sbin/init
    100 mysqld          /usr/sbin/mysqld --password PsArgHunter2 --port 3306
    101 sshpass         sshpass -p S3cretSshpass ssh root@db
    102 curl            curl -H Authorization: Bearer eyJTOKENbearer123 https://api.example
    103 mysql           mysql -uroot -pMysqlShortPw db
`;

const LIST = JSON.stringify([
  {
    name: 'web1',
    status: 'Stopped',
    location: 'none',
    config: {
      'environment.DB_PASSWORD': 'EnvDbPassw0rd',
      'environment.AWS_SECRET_ACCESS_KEY': 'wJalrXUtnFEMIK7MDENGbPxRfiCY',
      'cloud-init.user-data': '#cloud-config\npassword: CloudInitPw99\nchpasswd: { expire: False }\n',
      'user.note': 'UserNoteSecret',
      'volatile.eth0.hwaddr': '00:16:3e:00:00:01',
    },
    expanded_config: {
      'environment.DB_PASSWORD': 'EnvDbPassw0rd',
      'core.trust_password': 'TrustPw4242',
      'volatile.eth0.hwaddr': '00:16:3e:00:00:01',
    },
    expanded_devices: { eth0: { type: 'nic', network: 'lxdbr0', name: 'eth0' } },
    state: null,
  },
]);

function setup(failingList: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-secrets-'));
  const stub = join(dir, 'stub');
  mkdirSync(stub);
  writeFileSync(join(dir, 'ps.txt'), PS);
  writeFileSync(join(dir, 'list.json'), LIST);
  const script = (name: string, body: string) => {
    writeFileSync(join(stub, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(stub, name), 0o755);
  };
  script('ps', `cat ${join(dir, 'ps.txt')}`);
  script(
    'lxc',
    failingList
      ? `echo 'Error: Get "http://unix.socket/1.0": password=LxcFailPw77' >&2; head -c 300 ${join(dir, 'list.json')}; exit 1`
      : `case "$1" in list) cat ${join(dir, 'list.json')} ;; *) echo "Error: not found" >&2; exit 1 ;; esac`,
  );
  const inv = join(dir, 'cluster.yaml');
  writeFileSync(
    inv,
    `cluster:
  subnet: 127.0.0.0/8
  overlay: { type: vxlan, interface: lxck-none0 }
  dhcp: here
hosts:
  - name: here
    transport: local
    localWrapper: [env, 'PATH=${stub}:/usr/local/bin:/usr/bin:/bin']
    bridgeAddress: 127.0.0.1
`,
  );
  return { dir, inv };
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function leaks(files: string[], extra = ''): string[] {
  const found: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const s of SECRETS) if (text.includes(s)) found.push(`${s} in ${f}`);
  }
  for (const s of SECRETS) if (extra.includes(s)) found.push(`${s} on stdout/stderr`);
  return found;
}

for (const failingList of [false, true]) {
  test(`run --record and every reporter: no planted secret anywhere (lxc list ${failingList ? 'fails' : 'answers'})`, async (t) => {
    const { dir, inv } = setup(failingList);
    const rec = join(dir, 'bundle');
    const out = join(dir, 'out');
    const r = await srcCli(
      [
        'run',
        '-i',
        inv,
        '--record',
        rec,
        '--timeout',
        '20s',
        '--reporter',
        `tap:${join(out, 'r.tap')}`,
        '--reporter',
        `json:${join(out, 'r.json')}`,
        '--reporter',
        `junit:${join(out, 'r.xml')}`,
        '--reporter',
        'human',
      ],
      { timeoutMs: 120_000 },
    );
    t.true(r.code === 0 || r.code === 1, r.stderr);
    const files = [...allFiles(rec), ...allFiles(out)];
    t.true(files.some((f) => f.endsWith('here.json')));
    t.deepEqual(leaks(files, r.stdout + r.stderr), []);
    const raw = JSON.parse(readFileSync(join(rec, 'hosts', 'here.json'), 'utf8'));
    if (!failingList) {
      // The source keeps what the checks read: the container and its MAC.
      t.regex(raw.raw['lxc-list'].stdout, /"web1"/);
      t.regex(raw.raw['lxc-list'].stdout, /00:16:3e:00:00:01/);
      t.notRegex(raw.raw['lxc-list'].stdout, /environment|cloud-init|user\.note|trust_password/);
    }
    // Owner-only files and folders.
    for (const f of files) t.is(statSync(f).mode & 0o077, 0, `${f} is readable by others`);
    t.is(statSync(rec).mode & 0o077, 0);
    t.is(statSync(join(rec, 'hosts')).mode & 0o077, 0);
  });
}

test('the collect tarball holds no planted secret and is owner-only', async (t) => {
  const { dir, inv } = setup(false);
  const tarball = join(dir, 'support.tar.gz');
  const r = await srcCli(['collect', '-i', inv, '-o', tarball, '--timeout', '20s'], { timeoutMs: 120_000 });
  t.true(r.code === 0 || r.code === 1, r.stderr);
  t.is(statSync(tarball).mode & 0o077, 0);
  const x = join(dir, 'x');
  mkdirSync(x);
  execFileSync('tar', ['-C', x, '-xzf', tarball]);
  const files = allFiles(x);
  t.true(files.length >= 4, files.join(' '));
  t.deepEqual(leaks(files, r.stdout + r.stderr), []);
});

test('collect -o DIR/-x.tar.gz: the name is a file, never a tar option', async (t) => {
  const { dir, inv } = setup(false);
  const tarball = join(dir, '-x.tar.gz');
  const r = await srcCli(['collect', '-i', inv, '-o', tarball, '--timeout', '20s'], { timeoutMs: 120_000 });
  t.true(r.code === 0 || r.code === 1, r.stderr);
  const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  t.regex(list, /^-x\/meta\.json$/m);
});
