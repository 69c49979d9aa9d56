/**
 * The psk fingerprint section, run by a real sh exactly as a host runs it
 * (the key on stdin, see Section.input): it must give HMAC-SHA256(key, psk
 * as peervpn reads it), the same with python3 and with the awk+openssl
 * fallback, and never print the psk or the key.
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { peervpnPskSection } from '../../src/facts/host/overlay/peervpn.js';
import { buildScript, newMarker, scriptInput, splitSections } from '../../src/facts/script.js';
import { newRunKey } from '../../src/facts/stages.js';

const CANARY = 'CANARY-9f3e1b-psk-value';
const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-psk-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** A PATH with only what the openssl fallback needs: no python3 on it. */
function noPythonPath(): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const tool of ['sh', 'tr', 'awk', 'openssl', 'sed', 'cat']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    try {
      symlinkSync(found, join(bin, tool));
    } catch {
      // already linked by an earlier call
    }
  }
  return bin;
}

function fingerprint(confText: string | Buffer, key: string, path?: string) {
  const conf = join(dir, `peervpn-${Math.random().toString(16).slice(2)}.conf`);
  writeFileSync(conf, confText);
  const sections = [peervpnPskSection(conf, key)];
  const marker = newMarker();
  const r = spawnSync('sh', ['-c', buildScript(sections, marker)], {
    encoding: 'utf8',
    input: scriptInput(sections),
    timeout: 20_000,
    ...(path ? { env: { PATH: path } } : {}),
  });
  return splitSections(sections, r.stdout, r.stderr, marker, false)['overlay-psk']!;
}

const hmac = (key: string, psk: string) => createHmac('sha256', key).update(psk).digest('hex');

for (const tool of ['python3', 'openssl'] as const) {
  const path = () => (tool === 'openssl' ? noPythonPath() : undefined);

  test(`${tool}: the fingerprint is HMAC-SHA256 of the psk with the run key, and neither is printed`, (t) => {
    const key = newRunKey();
    const out = fingerprint(`networkname PEERVPN\npsk ${CANARY}\ninterface peervpn0\n`, key, path());
    t.is(out.exitCode, 0, out.stderr);
    t.is(out.stdout, `psk-hmac-sha256 ${hmac(key, CANARY)} ${tool}\n`);
    for (const text of [out.stdout, out.stderr, out.command]) {
      t.false(text.includes(CANARY));
      t.false(text.includes(key));
    }
  });

  test(`${tool}: peervpn's reading of the psk line (# ; CR end it, blanks trimmed, last one wins, endconfig stops)`, (t) => {
    const key = newRunKey();
    const cases: [string, string | null][] = [
      [`psk ${CANARY}#tail\n`, CANARY],
      [`  psk\t ${CANARY};x y\n`, CANARY],
      [`psk ${CANARY}   \r\n`, CANARY],
      [`psk ${CANARY}\u0000tail\n`, CANARY],
      [`psk first\npsk ${CANARY}\nendconfig\npsk after-endconfig\n`, CANARY],
      [`psk with inner  space\n`, 'with inner  space'],
      ['psk\n', ''],
      ['# psk commented\npskfoo bar\n', null],
      [`psk ${'x'.repeat(600)}\n`, 'x'.repeat(512)],
    ];
    for (const [conf, psk] of cases) {
      const out = fingerprint(conf, key, path());
      t.is(out.exitCode, 0, `${JSON.stringify(conf)}: ${out.stderr}`);
      t.is(
        out.stdout,
        psk === null ? 'psk-none\n' : `psk-hmac-sha256 ${hmac(key, psk)} ${tool}\n`,
        JSON.stringify(conf),
      );
    }
  });

  test(`${tool}: an unreadable config is an error that names the file, not the psk`, (t) => {
    const out = fingerprint('', newRunKey(), path());
    t.is(out.exitCode, 0);
    t.is(out.stdout, 'psk-none\n');
    const sections = [peervpnPskSection(join(dir, 'missing.conf'), newRunKey())];
    const marker = newMarker();
    const r = spawnSync('sh', ['-c', buildScript(sections, marker)], {
      encoding: 'utf8',
      input: scriptInput(sections),
    });
    const missing = splitSections(sections, r.stdout, r.stderr, marker, false)['overlay-psk']!;
    t.is(missing.exitCode, 3);
    t.regex(missing.stderr, /cannot read .*missing\.conf/);
  });
}

test('the same psk gives the same fingerprint on a python3 host and an openssl host; another key gives another', (t) => {
  const key = newRunKey();
  const conf = `psk ${CANARY}\n`;
  const a = fingerprint(conf, key).stdout.split(' ')[1];
  const b = fingerprint(conf, key, noPythonPath()).stdout.split(' ')[1];
  t.is(a, b);
  t.not(fingerprint(conf, newRunKey()).stdout.split(' ')[1], a);
});

test('the run key must be hex (it reaches a shell) and inputs are one line', (t) => {
  t.throws(() => peervpnPskSection('/etc/peervpn/peervpn.conf', "abc'; rm -rf /"));
  t.throws(() => buildScript([{ name: 'x', shell: 'true', timeoutSeconds: 1, input: 'a\nb' }], newMarker()));
});
