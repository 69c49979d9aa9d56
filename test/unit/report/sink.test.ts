import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { createFileSink } from '../../../src/report/types.js';

test('createFileSink creates parent directories and flushes on end()', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-sink-'));
  const path = join(dir, 'reports', 'nested', 'out.xml');
  const sink = createFileSink(path);
  sink.write('<a>');
  sink.write('</a>\n');
  await sink.end();
  t.is(readFileSync(path, 'utf8'), '<a></a>\n');
});

test('createFileSink reports a write failure from end()', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-sink-'));
  const sink = createFileSink(dir); // a directory cannot be opened for writing
  sink.write('x');
  await t.throwsAsync(() => sink.end(), { message: new RegExp(`cannot write ${dir}`) });
});
