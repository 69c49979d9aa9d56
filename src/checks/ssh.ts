import { strictHostKeyNote } from '../inventory/ssh.js';
import { type CheckDef, factsOf, fail, pass, warn } from './check.js';

const HOSTKEY_HINT: Record<string, string[]> = {
  'hostkey-unknown': [
    'ssh-keyscan -H HOST >> ~/.ssh/known_hosts   # then compare the fingerprint out of band',
    'lxdcheck run --accept-new ...              # or trust on first use, explicitly',
  ],
  'hostkey-mismatch': [
    'ssh-keygen -R HOST   # only after you have confirmed the host was really reinstalled',
  ],
};

export const sshReachable: CheckDef = {
  id: 'ssh.reachable',
  diagnosis: { breaks: ['host'], rank: 0 },
  scope: 'host',
  title: (s) => `${s.host} answers over SSH`,
  proves: 'lxdcheck can log in to the host (host key verified) and run its read-only commands.',
  whyItFails:
    'The host is down, the address or port is wrong, a firewall drops SSH, the host key is unknown or changed, or the key is not authorised.',
  howToFix:
    'Check `ssh -v <target>` by hand; fix known_hosts or authorized_keys; every other check of this host is skipped until this passes.',
  judge(subject, ctx) {
    const f = factsOf(ctx, subject.host);
    const spec = ctx.inventory.hosts.find((h) => h.name === subject.host);
    const target = spec ? `${spec.ssh.user}@${spec.ssh.hostname}:${spec.ssh.port}` : (subject.host ?? '');
    if (!f.reachable) {
      const kind = f.connectErrorKind ?? 'unreachable';
      const fix = (HOSTKEY_HINT[kind] ?? [`ssh -v ${target} true`]).map((l) =>
        l.replace('HOST', spec?.ssh.hostname ?? ''),
      );
      return fail(`${subject.host} unreachable: ${f.connectError ?? 'unknown error'}`, {
        expected: `an SSH session to ${target}`,
        actual: f.connectError ?? 'no connection',
        evidence: [{ host: subject.host, note: `transport error kind: ${kind}` }],
        hint: { why: 'Nothing else on this host can be checked until lxdcheck can log in.', fix },
      });
    }
    if (f.execError) {
      return warn(`${subject.host} answered, but the gather command failed: ${f.execError}`, {
        evidence: [{ host: subject.host, note: 'checks of this host report what could not be read' }],
        hint: {
          why: 'A hung command on the host (often an NFS mount or a stuck daemon) was killed at its timeout.',
          fix: ['lxdcheck run --timeout 60s ...'],
        },
      });
    }
    const name = f.hostname && f.hostname !== subject.host ? ` (hostname ${f.hostname})` : '';
    const strict = spec ? strictHostKeyNote(spec.ssh) : undefined;
    return pass(
      `logged in to ${target}${name}`,
      strict ? { evidence: [{ host: subject.host, note: strict }] } : {},
    );
  },
};
