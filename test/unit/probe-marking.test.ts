import test from 'ava';
import { isMarkedProbe, isProbeName, launchArgv, PROBE_MARK, probeName } from '../../src/scenarios/probes.js';

test('probes are marked at launch and only marked, well-named containers count as probes', (t) => {
  const name = probeName();
  t.true(isProbeName(name));
  const argv = launchArgv('lxc', 'debian/12', name);
  t.deepEqual(argv.slice(0, 5), ['lxc', 'launch', 'debian/12', name, '--config']);
  t.regex(argv[5]!, new RegExp(`^${PROBE_MARK.replace(/\./g, '\\.')}=\\d{4}-`));
  t.true(isMarkedProbe({ name, config: { [PROBE_MARK]: 'x' } }));
  t.true(isMarkedProbe({ name, expanded_config: { [PROBE_MARK]: 'x' } }));
  t.false(isMarkedProbe({ name, config: {} }), 'the name alone is not enough');
  t.false(
    isMarkedProbe({ name: 'lxdcheck-probe-prod', config: { [PROBE_MARK]: 'x' } }),
    'not a name lxdcheck makes',
  );
  t.false(isMarkedProbe(null));
});
