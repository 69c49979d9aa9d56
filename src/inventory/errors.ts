/**
 * Inventory errors: every problem names the file, the line and column of the
 * offending YAML node (null when there is no node, e.g. the file is missing),
 * the field path (`hosts[1].bridgeAddress`) and what would be right.
 */

export class InventoryError extends Error {
  readonly file: string;
  /** 1-based; null when the problem has no place in the file (unreadable file). */
  readonly line: number | null;
  /** 1-based; null together with line. */
  readonly column: number | null;
  /** Field path such as `cluster.overlay.type` or `hosts[1].ssh`; '' for the whole file. */
  readonly field: string;
  /** The problem alone, without file, position or field. */
  readonly problem: string;
  /**
   * Every problem found in the file, in file order, this one first. parseInventory
   * keeps validating after the first problem so a user can fix them all in one go.
   */
  all: InventoryError[];

  constructor(file: string, line: number | null, column: number | null, field: string, problem: string) {
    super(formatLocation(file, line, column, field, problem));
    this.name = 'InventoryError';
    this.file = file;
    this.line = line;
    this.column = column;
    this.field = field;
    this.problem = problem;
    this.all = [this];
  }
}

function formatLocation(
  file: string,
  line: number | null,
  column: number | null,
  field: string,
  problem: string,
): string {
  let where = file;
  if (line !== null) where += `:${line}`;
  if (line !== null && column !== null) where += `:${column}`;
  return field ? `${where}: ${field}: ${problem}` : `${where}: ${problem}`;
}

/**
 * The text the CLI prints for an invalid inventory: one line per problem
 * (`file:line:col: field: problem`), and a count when there are several.
 */
export function formatInventoryError(e: InventoryError): string {
  const all = e.all.length > 0 ? e.all : [e];
  const lines = all.map((x) => x.message);
  if (all.length > 1) lines.push(`${all.length} problems in ${e.file}`);
  return lines.join('\n');
}

/**
 * Edit distance for "did you mean": insertions, deletions, substitutions and
 * swaps of two neighbouring letters (optimal string alignment), each costing 1.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    d.push(row);
  }
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known word closest to `word`, when it is close enough to be a typo. */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = k.toLowerCase() === lower ? 0 : editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return best !== undefined && bestDistance <= limit ? best : undefined;
}
