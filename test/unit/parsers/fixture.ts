import { readFileSync } from 'node:fs';

/** A captured output from fixtures/ (copied from /work/shared/fixtures, names kept). */
export function fixture(relativePath: string): string {
  return readFileSync(new URL(`../../../fixtures/${relativePath}`, import.meta.url), 'utf8');
}

/** Something no parser should make sense of. */
export const GARBAGE = '\u0000\u0001 ]]{{ not: [output] at all }\n\tPID? 12 :: -- \n%%%\n[1,2';
