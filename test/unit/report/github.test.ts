import test from 'ava';
import {
  createGithubAnnotationsReporter,
  escapeGithubData,
  escapeGithubProperty,
} from '../../../src/report/github.js';
import { events, mixedResults, render, result } from './helpers.js';

test('escaping follows the workflow-command rules', (t) => {
  t.is(escapeGithubData('50% done\r\nnext: a,b'), '50%25 done%0D%0Anext: a,b');
  t.is(escapeGithubProperty('mesh.ping lxd1->lxd3: a,b 5%'), 'mesh.ping lxd1->lxd3%3A a%2Cb 5%25');
});

test('errors for fail/error, warnings for warn, nothing for pass/skip; one line each', async (t) => {
  const out = await render((s) => createGithubAnnotationsReporter(s), events(mixedResults()));
  const lines = out.trimEnd().split('\n');
  t.deepEqual(lines, [
    '::error title=overlay.member lxd2::peervpn0 is not attached to lxdbr0%0Afix: brctl addif lxdbr0 peervpn0%0Afix: systemctl restart peervpn',
    '::warning title=overlay.peers lxd3::peervpn log says 1 peer but ping reaches 2: the log lags',
    '::error title=dhcp.single::error: parser crashed: unexpected token',
  ]);
});

test('an aborted run is annotated once', async (t) => {
  const out = await render(
    (s) => createGithubAnnotationsReporter(s),
    events([], { bailOut: 'lxd1: unreachable, really', aborted: 'bail-out' }),
  );
  t.is(out, '::error title=lxdcheck::bail out: lxd1: unreachable, really\n');
});

test('a root cause is an error that says so; a failure it explains is a notice naming it', async (t) => {
  const root = result('overlay.member', { host: 'lxd2' }, 'fail', 'peervpn0 is a port of lxdbr0', {
    root: true,
    summary: 'peervpn0 is not a port of lxdbr0 on lxd2',
  });
  const consequence = result('mesh.bridge', { host: 'lxd1', peer: 'lxd2' }, 'fail', 'lxd1 pings lxd2', {
    causedBy: 'overlay.member lxd2',
    summary: 'lxd1 cannot reach lxd2',
  });
  const out = await render((s) => createGithubAnnotationsReporter(s), events([root, consequence]));
  t.deepEqual(out.trimEnd().split('\n'), [
    '::error title=overlay.member lxd2::root cause: peervpn0 is not a port of lxdbr0 on lxd2',
    '::notice title=mesh.bridge lxd1->lxd2::explained by overlay.member lxd2: lxd1 cannot reach lxd2',
  ]);
});
