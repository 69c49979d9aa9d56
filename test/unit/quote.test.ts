import { execFileSync } from 'node:child_process';
import test from 'ava';
import { fillProxyCommand } from '../../src/inventory/ssh.js';
import { quoteArg, quoteArgv } from '../../src/transport/quote.js';

/** Run the quoted text through a real POSIX shell and return the argv that arrived. */
function argvThroughShell(shell: string, quoted: string): string[] {
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${quoted}`], { encoding: 'utf8' });
  const parts = out.split('\0');
  parts.pop(); // after the last NUL
  return parts;
}

const HOSTILE = [
  'plain',
  'two words',
  "it's",
  'say "hi"',
  `mixed 'single' and "double"`,
  '$(touch /tmp/lxdcheck-pwned)',
  '`id`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion is the point
  '${HOME}',
  '$HOME',
  'a;b',
  'a|b',
  'a && b',
  '*',
  '/etc/*',
  '?',
  '[abc]',
  '~',
  '~root',
  'line1\nline2',
  'tab\there',
  '',
  ' ',
  'ünïcödé ✓ 日本',
  '-n',
  '--help',
  '-e',
  'back\\slash',
  'trailing\\',
  "'",
  "''",
  '"',
  '!',
  '#comment',
  'a=b',
  '%s%n',
  '>/tmp/lxdcheck-redirect',
  '<in',
  '(sub)',
  '{a,b}',
  '\r',
];

for (const shell of ['/bin/sh', '/bin/bash']) {
  test(`quoteArg: every hostile string arrives unchanged through ${shell}`, (t) => {
    for (const s of HOSTILE) {
      t.deepEqual(argvThroughShell(shell, quoteArg(s)), [s], `string ${JSON.stringify(s)} -> ${quoteArg(s)}`);
    }
  });

  test(`quoteArgv: the whole hostile argv arrives as separate, unchanged words through ${shell}`, (t) => {
    t.deepEqual(argvThroughShell(shell, quoteArgv(HOSTILE)), HOSTILE);
  });
}

test('quoteArg: nothing is executed or expanded', (t) => {
  const marker = `/tmp/lxdcheck-quote-${process.pid}`;
  const payloads = [`$(touch ${marker})`, `\`touch ${marker}\``, `; touch ${marker}`, `| touch ${marker}`];
  for (const p of payloads) argvThroughShell('/bin/sh', quoteArg(p));
  t.throws(() => execFileSync('test', ['-e', marker]), undefined, 'a payload created the marker file');
});

test('quoteArg: safe words are left bare, others are single-quoted', (t) => {
  t.is(quoteArg('lxdbr0'), 'lxdbr0');
  t.is(quoteArg('/sys/class/net/lxdbr0/brif'), '/sys/class/net/lxdbr0/brif');
  t.is(quoteArg(''), "''");
  t.is(quoteArg('a b'), "'a b'");
  t.is(quoteArg("it's"), `'it'\\''s'`);
});

test('quoteArg: a NUL byte is refused; an empty argv is refused', (t) => {
  t.throws(() => quoteArg('a\0b'), { message: /NUL/ });
  t.throws(() => quoteArgv([]), { message: /empty/ });
});

test('ProxyCommand tokens expand as OpenSSH does (as is), after validating every value', (t) => {
  const v = { host: '10.0.0.5', port: 2222, user: 'root', original: 'web1' };
  // Inside the template's own double quotes a quoted value would keep its quotes; as is it reads right.
  t.is(fillProxyCommand('echo "as %r" %h:%p %n %%', v), 'echo "as root" 10.0.0.5:2222 web1 %');
  for (const user of [
    '$(touch$' + '{IFS}x)',
    '`id`',
    "a'b",
    'a"b',
    'a;b',
    'a b',
    '-oProxy',
    'a|b',
    'a\\',
    'a\nb',
    '$HOME',
  ]) {
    t.throws(() => fillProxyCommand('echo "as %r"', { ...v, user }), { message: /user/ }, user);
  }
  t.throws(() => fillProxyCommand('nc %h %p', { ...v, host: 'h;id' }), { message: /host/ });
  t.throws(() => fillProxyCommand('nc %h %p %C', v), { message: /unknown token %C/ });
  t.is(fillProxyCommand('nc %h %p', { ...v, user: 'DOMAIN\\alice' }), 'nc 10.0.0.5 2222');
});
