import test from 'ava';
import {
  createGithubAnnotationsReporter,
  escapeGithubData,
  escapeGithubProperty,
} from '../../../src/report/github.js';
import { events, mixedResults, render } from './helpers.js';

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
