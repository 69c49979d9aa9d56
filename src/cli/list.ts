/** `lxdcheck list` and `lxdcheck explain ID`: what each check proves, why it fails, how to fix it. */

import { allChecks, findCheck } from '../checks/index.js';
import { UsageError } from '../errors.js';
import { familyOf } from '../model.js';

const SCOPE_TEXT = {
  cluster: 'the cluster',
  host: 'each host',
  pair: 'each ordered pair of hosts',
  container: 'each container',
  'container-pair': 'each pair of containers on different hosts',
} as const;

export function listText(): string {
  const lines: string[] = [];
  const families = [...new Set(allChecks.map((c) => familyOf(c.id)))];
  const byFamily = families.flatMap((f) => allChecks.filter((c) => familyOf(c.id) === f));
  let family = '';
  for (const c of byFamily) {
    if (familyOf(c.id) !== family) {
      family = familyOf(c.id);
      lines.push('', `${family}`);
    }
    lines.push(
      `  ${c.id.padEnd(32)} ${SCOPE_TEXT[c.scope]}${c.needs?.length ? `; needs ${c.needs.join(', ')}` : ''}`,
    );
    lines.push(`  ${''.padEnd(32)} ${c.proves}`);
  }
  lines.push(
    '',
    'lxdcheck explain ID          says why a check fails and how to fix it.',
    'lxdcheck explain diagnosis   says how root causes and what they explain are reported.',
  );
  return `${lines.join('\n').trimStart()}\n`;
}

/** `lxdcheck explain diagnosis`: how to read root causes and what they explain. */
export const DIAGNOSIS_TEXT = `How to read a diagnosis

One fault on a cluster fails many checks: a host whose tap is off its bridge fails its own
overlay.member, every ping to and from it, its DNS answers, every container pair that touches
it. lxdcheck reports the fault once, as a ROOT CAUSE with its fix, and folds the rest under it.

  root cause   a failure that nothing else explains. Fix these, in the order shown.
               Its fix lines are the exact commands, in order.
  explains     the failures it causes; they carry no fix of their own (they go away with it).
  inferred     no check on a host failed, but every pair that touches that host fails while
               the others pass: the host is blamed, with the commands to look closer.

How a failure is tied to its cause: each check declares what its failure breaks for its host
(the whole host, its L2 attachment, its bridge address, full-size frames, the DNS/DHCP service,
multicast) and what it needs from every host it involves (a ping needs both ends' L2; a DNS answer
also needs the one dnsmasq's host). A failure whose need is broken on one of its hosts is explained
by that root cause. Two faults on two hosts are two root causes. A failure nothing explains stays a
root cause of its own: nothing is ever hidden.

Where you see it:
  human    "N problems" first: each root cause, its fix, "explains N other failures" and the list;
           in the per-host listing #N marks a root cause and ->N what it explains.
  doctor   root causes first; e on one unfolds what it explains.
  TAP      consequences stay "not ok" (a gate still fails) with "cause: <check id> <subject>" in
           their YAML; root causes carry "root: true"; "# root cause N: ..." comments at the end.
  JSON     "diagnosis": { "rootCauses": [{ check, host, subject, summary, fix, explains }] }.
  JUnit    a consequence's failure message starts "explained by <check id> <subject>".
  post-reboot   also when each root cause was first and last seen (round, seconds, host uptime),
           when the cluster converged, and causes that healed by themselves during the wait
           (a start-order race that happened to win: it can lose after the next reboot).
`;

export function explainText(id: string): string {
  if (id === 'diagnosis') return DIAGNOSIS_TEXT;
  const c = findCheck(id);
  if (!c) {
    const near = allChecks.filter((x) => x.id.includes(id) || id.includes(familyOf(x.id))).map((x) => x.id);
    throw new UsageError(
      `no check "${id}"${near.length ? `; did you mean ${near.slice(0, 4).join(', ')}?` : ''} (lxdcheck list shows all)`,
    );
  }
  return [
    `${c.id}  (runs for ${SCOPE_TEXT[c.scope]})`,
    '',
    `What it proves:  ${c.proves}`,
    `Why it fails:    ${c.whyItFails}`,
    `How to fix it:   ${c.howToFix}`,
    ...(c.needs?.length
      ? [`Needs first:     ${c.needs.join(', ')} (skipped with the reason when those fail)`]
      : []),
    '',
  ].join('\n');
}
