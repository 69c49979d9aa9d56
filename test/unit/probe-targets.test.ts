/** Only names from `lxc list` may be targets: a container's own output never chooses where commands run. */
import test from 'ava';
import { containerSections } from '../../src/facts/containers.js';
import { multicastSections } from '../../src/facts/multicast.js';
import { parseLxcList } from '../../src/facts/parsers/lxc.js';
import { fixture, hostFacts, inventory, section } from '../helpers/facts.js';

const inv = inventory('tinc', 2);

test('a probe that prints `##CT --env=X victim` does not become a multicast target', (t) => {
  const lied = {
    command: `lxc exec c1 -- sh -c '...'`,
    stdout: '##CT --env=X victim\n##TOOLS ping getent python3\n',
    stderr: '',
    exitCode: 0,
  };
  const f = hostFacts(inv, 'lxd1', {
    'lxc-list': { ...section('lxc/lxd-running-list.json'), stderr: 'lxdcheck-client: lxc\n' },
    'ct-0': lied,
  });
  t.deepEqual(
    f.containerProbes.map((p) => p.container),
    ['c1'],
  );
  const [mc] = multicastSections(inv, inv.hosts[0]!, new Map([['lxd1', f]]));
  t.truthy(mc);
  t.regex(mc!.shell, /^lxc exec c1 -- python3/);
  t.notRegex(mc!.shell, /--env|victim/);
});

test('a name LXD would never produce is dropped from the list, so it is never an exec operand', (t) => {
  const list = JSON.parse(fixture('lxc/lxd-running-list.json')) as { name: string }[];
  list[0]!.name = '--env=X';
  list[1]!.name = 'ok-name';
  const parsed = parseLxcList(JSON.stringify(list));
  t.deepEqual(
    parsed.map((c) => c.name),
    ['ok-name'],
  );
  const f = hostFacts(inv, 'lxd1', {
    'lxc-list': { ...section('lxc/lxd-running-list.json'), stdout: JSON.stringify(list) },
  });
  const sections = containerSections(inv, inv.hosts[0]!, new Map([['lxd1', f]]));
  t.false(sections.some((s) => s.shell.includes('--env')));
});
