/**
 * Inventory problems in the user's words: every problem placed at
 * file:line:col of its YAML node with its field path, schema issues turned
 * into the same sentences the hand-written validator used ("expected a
 * string, got number 123 (quote it: '123')", "unknown key "bridgeAdress";
 * did you mean "bridgeAddress"?", "is required: HINT").
 */
import { isScalar, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import { didYouMean, InventoryError } from './errors.js';
import type { Cidr } from './ip.js';
import { knownKeysAt, wordsAt } from './schema.js';
import { describe, fieldOf, type Path, placeOf, type YamlTree } from './yaml-tree.js';

type Issue = z.core.$ZodIssue;

export class Problems {
  readonly errors: InventoryError[] = [];
  /**
   * Fields already explained by another problem, not to be reported again as
   * missing: what an unknown key looked like (`bridgeAdress` -> hosts[1].bridgeAddress),
   * or a key whose value is an unknown alias.
   */
  readonly explained = new Set<string>();

  constructor(
    readonly file: string,
    readonly lc: LineCounter,
    readonly tree: YamlTree,
  ) {
    for (const p of tree.problems) this.add(p.node, p.field, p.problem);
    for (const f of tree.unknownAliases) this.explained.add(f);
  }

  get count(): number {
    return this.errors.length;
  }

  add(node: Node | null | undefined, field: string, problem: string): void {
    const offset = node?.range?.[0];
    const { line, col } = offset === undefined ? { line: 1, col: 1 } : this.lc.linePos(offset);
    this.errors.push(new InventoryError(this.file, line, col, field, problem));
  }

  /**
   * A required field with no value: "is empty" at its key when the key is
   * there, else "is required" at the parent's key (or list item, or the file).
   */
  missing(path: Path, hint: string): void {
    const field = fieldOf(path);
    if (this.explained.has(field)) return;
    const place = placeOf(this.tree, path);
    if (place?.key) this.add(place.key, field, `is empty; ${hint}`);
    else this.add(this.anchorOf(path), field, `is required: ${hint}`);
  }

  /** The node a problem about a missing `path` points at. */
  private anchorOf(path: Path): Node | null {
    const parent = placeOf(this.tree, path.slice(0, -1));
    return parent?.key ?? parent?.value ?? null;
  }

  /** Every schema issue, as the problems it stands for. */
  fromIssues(issues: readonly Issue[], subnet: Cidr | undefined): void {
    // Unknown keys first: their "did you mean" explains the field they were meant to be.
    const unknown = issues.filter((i) => i.code === 'unrecognized_keys');
    for (const issue of unknown) this.fromIssue(issue, [], subnet);
    for (const issue of issues) if (issue.code !== 'unrecognized_keys') this.fromIssue(issue, [], subnet);
  }

  private fromIssue(issue: Issue, prefix: Path, subnet: Cidr | undefined): void {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    const field = fieldOf(path);
    const place = placeOf(this.tree, path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) this.unknownKey([...path, key], key);
        return;
      case 'invalid_union': {
        // The branch made for this kind of value (the list one for a list) says what is wrong inside it.
        const branch = issue.errors.find(
          (errs) => !errs.some((e) => e.code === 'invalid_type' && e.path.length === 0),
        );
        const node = place?.value ?? null;
        if (branch) for (const e of branch) this.fromIssue(e, path, subnet);
        // A number or true where a string or list belongs: most likely a string that needs quotes.
        else if (isScalar(node)) this.wrongType(path, node, 'a string');
        else this.wrongType(path, node, wordsAt(path).expected ?? 'something else');
        return;
      }
      case 'invalid_type': {
        if (place === undefined || (place.key && place.value === null)) {
          const hint = wordsAt(path).hint;
          this.missing(path, typeof hint === 'function' ? hint(subnet?.text) : (hint ?? 'it has no default'));
        } else if (place.value === null) {
          this.add(placeOf(this.tree, path.slice(0, -1))?.value, field, 'is empty');
        } else {
          const expected = wordsAt(path).expected ?? EXPECTED[issue.expected] ?? `a ${issue.expected}`;
          this.wrongType(path, place.value, expected);
        }
        return;
      }
      case 'too_small':
        this.add(wordsAt(path).emptyAtKey ? place?.key : place?.value, field, issue.message);
        return;
      default:
        this.add(place?.value, field, issue.message);
    }
  }

  private wrongType(path: Path, node: Node | null, expected: string): void {
    const quote =
      expected === 'a string' &&
      isScalar(node) &&
      (typeof node.value === 'number' || typeof node.value === 'boolean')
        ? ` (quote it: '${String(node.source ?? node.value)}')`
        : '';
    this.add(node, fieldOf(path) || '(file)', `expected ${expected}, got ${describe(node)}${quote}`);
  }

  private unknownKey(path: Path, name: string): void {
    const known = knownKeysAt(path.slice(0, -1));
    const guess = didYouMean(name, known);
    if (guess) this.explained.add(fieldOf([...path.slice(0, -1), guess]));
    this.add(
      placeOf(this.tree, path)?.key,
      fieldOf(path),
      guess
        ? `unknown key "${name}"; did you mean "${guess}"?`
        : `unknown key "${name}" (known keys: ${known.join(', ')})`,
    );
  }

  /** One InventoryError holding all of them in file order (`.all`). */
  toError(): InventoryError {
    // Never expected (every schema issue becomes a problem), but never an empty list either.
    if (this.errors.length === 0) this.add(null, '', 'the inventory is not valid');
    return withAll(this.errors);
  }
}

const EXPECTED: Record<string, string> = { string: 'a string', boolean: 'true or false' };

export function withAll(errors: InventoryError[]): InventoryError {
  const sorted = [...errors].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
  const first = sorted[0]!;
  first.all = sorted;
  return first;
}
