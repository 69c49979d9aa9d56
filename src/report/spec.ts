/**
 * `--reporter KIND[:PATH]` parsing and construction. Several reporters may run
 * at once (`--reporter tap --reporter junit:out.xml --reporter json:out.json`),
 * but only one may own stdout.
 */
import { UsageError } from '../errors.js';
import { createGithubAnnotationsReporter } from './github.js';
import { createHtmlReporter } from './html.js';
import { createHumanReporter } from './human.js';
import { createJsonReporter } from './json.js';
import { createJunitReporter } from './junit.js';
import { createTapReporter } from './tap.js';
import { createFileSink, type Reporter, type Sink, stderrSink, stdoutSink } from './types.js';

export const REPORTER_KINDS = ['tap', 'json', 'junit', 'human', 'github', 'html'] as const;
export type ReporterKind = (typeof REPORTER_KINDS)[number];

export interface ReporterSpec {
  kind: ReporterKind;
  /** A file, or null for stdout. */
  path: string | null;
}

function isKind(s: string): s is ReporterKind {
  return (REPORTER_KINDS as readonly string[]).includes(s);
}

/**
 * Parse `--reporter` values. `kind` writes to stdout, `kind:path` to a file
 * (`kind:-` is stdout too). No specs: human on a TTY, else tap.
 */
export function parseReporterSpecs(specs: string[], defaults: { isTTY: boolean }): ReporterSpec[] {
  if (specs.length === 0) return [{ kind: defaults.isTTY ? 'human' : 'tap', path: null }];
  const out: ReporterSpec[] = [];
  for (const raw of specs) {
    const colon = raw.indexOf(':');
    const kindText = (colon === -1 ? raw : raw.slice(0, colon)).trim().toLowerCase();
    const pathText = colon === -1 ? null : raw.slice(colon + 1);
    if (!isKind(kindText)) {
      throw new UsageError(
        `--reporter ${JSON.stringify(raw)}: unknown reporter ${JSON.stringify(kindText)}; use one of ${REPORTER_KINDS.join(', ')}, optionally with :FILE (e.g. junit:out.xml)`,
      );
    }
    if (pathText !== null && pathText.trim() === '') {
      throw new UsageError(
        `--reporter ${JSON.stringify(raw)}: missing file name after ':' (use ${kindText}:FILE, or ${kindText} for stdout)`,
      );
    }
    const path = pathText === null || pathText === '-' ? null : pathText;
    // A whole HTML document on a terminal or in a TAP pipe helps nobody: it is an artefact to open.
    if (kindText === 'html' && path === null) {
      throw new UsageError(
        `--reporter ${JSON.stringify(raw)}: the html reporter writes a file, not stdout; use html:FILE (e.g. html:report.html)`,
      );
    }
    out.push({ kind: kindText, path });
  }
  const toStdout = out.filter((s) => s.path === null);
  if (toStdout.length > 1) {
    throw new UsageError(
      `reporters ${toStdout.map((s) => s.kind).join(' and ')} would both write to stdout; give all but one a file, e.g. --reporter ${toStdout[1]!.kind}:out.${toStdout[1]!.kind === 'junit' ? 'xml' : toStdout[1]!.kind}`,
    );
  }
  const seen = new Map<string, ReporterKind>();
  for (const s of out) {
    if (s.path === null) continue;
    const prev = seen.get(s.path);
    if (prev) throw new UsageError(`reporters ${prev} and ${s.kind} would both write to ${s.path}`);
    seen.set(s.path, s.kind);
  }
  return out;
}

export interface CreateReportersOptions {
  color: boolean;
  verbose: boolean;
  /** Human report lists the slowest sections per host (--timings; default: with verbose). */
  timings?: boolean;
  /** Defaults: process.stdout / process.stderr / a file sink. Injected by tests. */
  stdout?: Sink;
  stderr?: Sink;
  openFile?: (path: string) => Sink;
  /** Environment (default process.env): with GITHUB_ACTIONS=true and no github reporter asked for, annotations go to stderr. */
  env?: Record<string, string | undefined>;
  /** TAP version line: 14 (default) or 13 for older consumers (Test::Harness before 3.48). */
  tapVersion?: 13 | 14;
}

export function createReporters(specs: ReporterSpec[], opts: CreateReportersOptions): Reporter[] {
  const stdout = opts.stdout ?? stdoutSink;
  const stderr = opts.stderr ?? stderrSink;
  const openFile = opts.openFile ?? createFileSink;
  const env = opts.env ?? process.env;
  const reporters: Reporter[] = specs.map((s) => {
    const sink = s.path === null ? stdout : openFile(s.path);
    switch (s.kind) {
      case 'tap':
        return createTapReporter(sink, { version: opts.tapVersion ?? 14 });
      case 'json':
        return createJsonReporter(sink);
      case 'junit':
        return createJunitReporter(sink);
      case 'human':
        return createHumanReporter(sink, {
          color: s.path === null && opts.color,
          verbose: opts.verbose,
          timings: opts.timings ?? opts.verbose,
        });
      case 'html':
        if (s.path === null)
          throw new UsageError('the html reporter writes a file: use --reporter html:FILE');
        return createHtmlReporter(sink);
      default:
        return createGithubAnnotationsReporter(sink);
    }
  });
  // The Actions runner reads workflow commands from stderr as well, so annotations never corrupt a TAP or JSON stdout.
  if (env.GITHUB_ACTIONS === 'true' && !specs.some((s) => s.kind === 'github')) {
    reporters.push(createGithubAnnotationsReporter(stderr));
  }
  return reporters;
}
