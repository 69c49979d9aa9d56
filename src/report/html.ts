/**
 * `--reporter html:FILE`: one self-contained page with the diagnosis, the
 * cluster map and every check (see html/page.ts). Written when the run ends.
 */

import type { RunEvent, Topology } from '../model.js';
import { VERSION } from '../version.js';
import { renderPage } from './html/page.js';
import { endOfRunReporter } from './record.js';
import type { Reporter, Sink } from './types.js';

export interface HtmlReporterOptions {
  /** Clock for the run's start time (tests). */
  now?: () => Date;
  /** lxdcheck's version in the metadata (default: this build's). */
  version?: string;
}

export function createHtmlReporter(sink: Sink, opts: HtmlReporterOptions = {}): Reporter {
  let topology: Topology | undefined;
  return endOfRunReporter(
    sink,
    (run) => renderPage(run, { version: opts.version ?? VERSION, ...(topology ? { topology } : {}) }),
    {
      ...(opts.now ? { now: opts.now } : {}),
      onEvent(e: RunEvent) {
        if (e.type === 'run-start' && e.topology) topology = e.topology;
      },
    },
  );
}
