import { type FinalResults, Parser, type Result } from 'tap-parser';

export interface Parsed {
  final: FinalResults;
  asserts: Result[];
  extra: string[];
  comments: string[];
  bailout: string | null;
  version: number | null;
}

/** Parse TAP with tap-parser in strict mode, collecting what the tests assert on. */
export function parseStrict(text: string): Promise<Parsed> {
  return new Promise((resolve) => {
    const p = new Parser({ strict: true });
    const asserts: Result[] = [];
    const extra: string[] = [];
    const comments: string[] = [];
    let bailout: string | null = null;
    let version: number | null = null;
    p.on('assert', (a: Result) => asserts.push(a));
    p.on('extra', (d: string) => extra.push(d));
    p.on('comment', (c: string) => comments.push(c));
    p.on('bailout', (r: string) => {
      bailout = r;
    });
    p.on('version', (v: number) => {
      version = v;
    });
    p.on('complete', (final: FinalResults) => resolve({ final, asserts, extra, comments, bailout, version }));
    p.end(text);
  });
}
