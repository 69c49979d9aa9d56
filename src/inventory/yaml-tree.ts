/**
 * The inventory's YAML as a plain tree for the schema, with the YAML node of
 * every value and key kept by path, so that a schema issue (which knows only
 * a path such as ['hosts', 1, 'bridgeAddress']) is reported at file:line:col.
 *
 * Conventions the messages rely on: a key with no value (`subnet:`) keeps its
 * key with `undefined` (absent for the schema, but "is empty" rather than
 * "is required" in the message); top-level `x-...` keys are dropped (they hold
 * YAML anchors for reuse); aliases are followed, so a value's node is the
 * anchored one.
 */
import { isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type parseDocument } from 'yaml';

export type Path = readonly (string | number)[];

/** Where a value sits in the file. */
export interface Place {
  /** The value's node; null when the key has no value or the item is missing. */
  value: Node | null;
  /** The key's node when the value belongs to a mapping. */
  key?: Node;
}

/** A problem found while reading the tree (bad keys, unknown aliases), already placed. */
export interface TreeProblem {
  node: Node | null;
  field: string;
  problem: string;
}

export interface YamlTree {
  /** Plain values: objects, arrays, strings, numbers, booleans, null. */
  value: unknown;
  places: Map<string, Place>;
  /** Fields whose value is an unknown alias (already reported; not "missing" too). */
  unknownAliases: Set<string>;
  problems: TreeProblem[];
}

type Doc = ReturnType<typeof parseDocument>;

const pathKey = (path: Path): string => JSON.stringify(path);

/** `hosts[1].bridgeAddress`; '' for the whole file. */
export function fieldOf(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** What a node is, for "expected X, got Y". */
export function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'an empty value';
    if (typeof v === 'string') return `the string "${v}"`;
    return `${typeof v} ${String(v)}`;
  }
  return 'something else';
}

/** The tree of `doc` with every node's place. */
export function readTree(doc: Doc): YamlTree {
  const tree: YamlTree = { value: undefined, places: new Map(), unknownAliases: new Set(), problems: [] };
  const root = doc.contents as Node | null;
  tree.places.set(pathKey([]), { value: root });
  tree.value = convert(doc, tree, root, [], 0);
  return tree;
}

export function placeOf(tree: YamlTree, path: Path): Place | undefined {
  return tree.places.get(pathKey(path));
}

/** Follow `*alias`; an unknown alias is a problem and reads as no value. */
function resolve(doc: Doc, tree: YamlTree, node: unknown, path: Path): Node | null {
  if (node === null || node === undefined) return null;
  if (!isAlias(node)) return node as Node;
  const target = node.resolve(doc);
  if (target) return target as Node;
  const field = fieldOf(path);
  tree.unknownAliases.add(field);
  tree.problems.push({ node, field, problem: `unknown YAML alias *${node.source}` });
  return null;
}

function convert(doc: Doc, tree: YamlTree, node: Node | null, path: Path, depth: number): unknown {
  // An alias may point back at its own ancestor; an inventory is never this deep.
  if (node === null || depth > 32) return null;
  if (isScalar(node)) return node.value;
  if (isSeq(node)) {
    return node.items.map((raw, i) => {
      const item = resolve(doc, tree, raw, [...path, i]);
      tree.places.set(pathKey([...path, i]), { value: item });
      return convert(doc, tree, item, [...path, i], depth + 1);
    });
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      if (!isScalar(key) || typeof key.value !== 'string') {
        tree.problems.push({
          node: key,
          field: fieldOf(path) || '(file)',
          problem: `keys must be plain names, got ${describe(key)}`,
        });
        continue;
      }
      const name = key.value;
      if (path.length === 0 && name.startsWith('x-')) continue;
      const value = resolve(doc, tree, pair.value, [...path, name]);
      const empty = value === null || (isScalar(value) && value.value === null);
      tree.places.set(pathKey([...path, name]), { value: empty ? null : value, key });
      out[name] = empty ? undefined : convert(doc, tree, value, [...path, name], depth + 1);
    }
    return out;
  }
  return null;
}

/** ` on line N` for a node, '' when it has no position. */
export function lineNote(lc: LineCounter, node: Node): string {
  const offset = node.range?.[0];
  return offset === undefined ? '' : ` on line ${lc.linePos(offset).line}`;
}
