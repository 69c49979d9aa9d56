/** `lxdcheck list` and `lxdcheck explain ID`: what each check proves, why it fails, how to fix it. */
import { allChecks, findCheck } from '../checks/index.js';
import { familyOf } from '../engine/check.js';
import { UsageError } from './args.js';

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
  lines.push('', 'lxdcheck explain ID   says why a check fails and how to fix it.');
  return `${lines.join('\n').trimStart()}\n`;
}

export function explainText(id: string): string {
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
