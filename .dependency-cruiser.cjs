/**
 * The layering of src/, enforced in `npm run lint` (issue 16). Lower layers
 * never import higher ones:
 *
 *   shared (model, redact, errors, version)
 *   → inventory → transport → facts → bundle → checks → diagnosis → engine
 *   → init | scenarios | report → cli (commands and the TUI)
 *
 * The lab (src/lab) stands apart: only the CLI (and tests and the benchmark,
 * which are not cruised here) may use it. The TUI (src/cli/tui) is only for
 * the CLI's commands.
 */
const LAYERS = [
  ['shared', '^src/(model|redact|errors|version)\\.ts$'],
  ['inventory', '^src/inventory/'],
  ['transport', '^src/transport/'],
  ['facts', '^src/facts/'],
  ['bundle', '^src/bundle/'],
  ['checks', '^src/checks/'],
  ['diagnosis', '^src/diagnosis/'],
  ['engine', '^src/engine/'],
  // Three peers above the engine: none of them imports another.
  ['init', '^src/init/', 'app'],
  ['scenarios', '^src/scenarios/', 'app'],
  ['report', '^src/report/', 'app'],
  ['cli', '^src/cli/'],
];

const rank = (i) => {
  // Peers share the rank of the first of their group.
  const group = LAYERS[i][2];
  return group ? LAYERS.findIndex((l) => l[2] === group) : i;
};

const layerRules = LAYERS.map(([name, path], i) => {
  const above = LAYERS.filter((_, j) => j !== i && rank(j) >= rank(i)).map((l) => l[1]);
  // The lab is outside the layers: only the CLI may reach it (lab-only-from-cli).
  const forbidden = name === 'cli' ? above : [...above, '^src/lab/'];
  return {
    name: `layer-${name}`,
    comment: `${name} may only import lower layers (see the header of .dependency-cruiser.cjs)`,
    severity: 'error',
    from: { path },
    to: { path: forbidden },
  };
}).filter((r) => r.to.path.length > 0);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'lab-only-from-cli',
      comment: 'The lab builds namespaces on this machine: only the CLI (lxdcheck lab …) reaches it.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/lab/', '^src/cli/'] },
      to: { path: '^src/lab/' },
    },
    {
      name: 'lab-not-into-cli',
      comment: 'The lab is used by the CLI, never the other way round.',
      severity: 'error',
      from: { path: '^src/lab/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'tui-only-from-cli',
      comment: 'The ink TUI is one front end of the CLI, nothing below may depend on it.',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/tui/' },
    },
    {
      name: 'diagnosis-from-engine-and-reporters',
      comment: 'The diagnosis runs once in the engine after judging; reporters only read its keys.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(diagnosis|engine|report|cli)/'] },
      to: { path: '^src/diagnosis/' },
    },
    {
      name: 'scenarios-only-from-cli',
      comment: 'Scenarios act on a live cluster (probes, migrations): only a command starts one.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(scenarios|cli)/'] },
      to: { path: '^src/scenarios/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.d.ts'],
    },
  },
};
