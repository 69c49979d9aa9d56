/** The repository's fixtures/ (fixtures/README.md says which are real captures). */
import { readFileSync } from 'node:fs';

/** The text of fixtures/PATH. */
export function fixture(path: string): string {
  return readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');
}

/** Something no parser should make sense of. */
export const GARBAGE = '\u0000\u0001 ]]{{ not: [output] at all }\n\tPID? 12 :: -- \n%%%\n[1,2';
