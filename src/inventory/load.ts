/**
 * Loading the cluster file (README, "Inventory"): YAML with line numbers
 * (yaml-tree.ts), the shape checked by a zod schema (schema.ts), issues told
 * as file:line:col: field: problem (messages.ts), the cross-checks and the SSH
 * settings merged with ~/.ssh/config (semantic.ts; ssh.ts for the precedence).
 * Every problem in the file is reported at once, in file order.
 *
 * parseInventory is pure apart from reading the local user name and home
 * directory when they are not given; loadInventory reads the files.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isScalar, LineCounter, parseDocument } from 'yaml';
import { InventoryError } from './errors.js';
import { Problems, withAll } from './messages.js';
import { ClusterSchema, type InventoryData, InventorySchema, validFields } from './schema.js';
import { crossCheck, type Resolved } from './semantic.js';
import type { ClusterSpec, HostSpec, Inventory, OverlaySpec } from './types.js';
import { readTree } from './yaml-tree.js';

export { didYouMean, formatInventoryError, InventoryError } from './errors.js';
export { OVERLAY_TYPES } from './schema.js';
export { expandProxyCommand, parseProxyJump, parseSshTarget } from './ssh.js';

export interface ParseOptions {
  /** Text of ~/.ssh/config to merge; none when absent. */
  sshConfigText?: string;
  /** For `~` and `%d` (default os.homedir()). */
  homeDir?: string;
  /** The local user: default SSH user and `%u` (default os.userInfo().username). */
  localUser?: string;
  /**
   * Reads the SSH config for the library resolution when sshConfigText is not
   * given: the file the inventory names (`ssh.config`, absolute) or undefined
   * for the default; returns undefined when there is none.
   */
  readSshConfig?: (file: string | undefined) => string | undefined;
}

export interface LoadOptions {
  /** Default ~/.ssh/config; a missing file is fine. */
  sshConfigPath?: string;
}

function safeLocalUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env['USER'] ?? process.env['LOGNAME'] ?? 'root';
  }
}

function syntaxProblem(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS')
    return 'YAML syntax: the file holds more than one YAML document (---); keep one';
  return `YAML syntax: ${message}`;
}

/** Parse and validate inventory text. Throws InventoryError (with `.all` listing every problem). */
export function parseInventory(text: string, file: string, opts: ParseOptions = {}): Inventory {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const all = doc.errors.map((e) => {
      const { line, col } = lc.linePos(e.pos[0]);
      return new InventoryError(file, line, col, '', syntaxProblem(e.code, e.message));
    });
    throw withAll(all);
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw withAll([
      new InventoryError(file, 1, 1, '', 'the file is empty; expected a mapping with cluster: and hosts:'),
    ]);
  }
  const tree = readTree(doc);
  const problems = new Problems(file, lc, tree);
  const parsed = InventorySchema.safeParse(tree.value);
  const root = tree.value;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    if (!parsed.success) problems.fromIssues(parsed.error.issues, undefined);
    throw problems.toError();
  }
  const raw = root as Record<string, unknown>;
  const subnet = validFields(ClusterSchema, raw['cluster'])?.values.subnet;
  if (!parsed.success) problems.fromIssues(parsed.error.issues, subnet);
  const resolved = crossCheck(raw, problems, {
    file,
    homeDir: opts.homeDir ?? os.homedir(),
    localUser: opts.localUser ?? safeLocalUser(),
    sshConfigText: opts.sshConfigText,
    readSshConfig: opts.readSshConfig,
  });
  if (problems.count > 0 || !parsed.success) throw problems.toError();
  return build(file, parsed.data, resolved);
}

/** The Inventory from values that passed every check. */
function build(file: string, data: InventoryData, r: Resolved): Inventory {
  const c = data.cluster;
  const o = c.overlay;
  const overlay: OverlaySpec = { type: o.type, interface: r.overlayInterface ?? '' };
  if (o.logFile) overlay.logFile = o.logFile;
  if (o.configFile) overlay.configFile = o.configFile;
  if (o.subnet) overlay.subnet = o.subnet.text;
  if (o.network) overlay.network = o.network;
  if (o.unit) overlay.unit = o.unit;
  const cluster: ClusterSpec = {
    name: c.name ?? path.basename(file, path.extname(file)),
    domain: c.domain ?? 'lxd',
    bridge: c.bridge ?? 'lxdbr0',
    subnet: c.subnet.text,
    overlay,
    dhcp: c.dhcp,
  };
  if (c.dhcpRange) cluster.dhcpRange = c.dhcpRange.text;
  if (c.lxd) cluster.lxdCommand = c.lxd;
  if (c.daemon) cluster.daemon = c.daemon;
  const hosts = data.hosts.map((h, i): HostSpec => {
    const spec: HostSpec = {
      name: h.name,
      ssh: r.ssh[i]!,
      bridgeAddress: h.bridgeAddress,
      transport: h.transport ?? 'ssh',
    };
    if (h.overlayAddress) spec.overlayAddress = h.overlayAddress;
    if (h.localWrapper) spec.localWrapper = h.localWrapper;
    if (h.daemon) spec.daemon = h.daemon;
    return spec;
  });
  const inventory: Inventory = { file, cluster, hosts };
  if (r.knownHosts !== undefined) inventory.knownHosts = r.knownHosts;
  return inventory;
}

/**
 * Read and validate an inventory file, merging ~/.ssh/config (or
 * opts.sshConfigPath) when it exists. Inventory.file is the absolute path;
 * error messages use the path as given.
 */
export function loadInventory(file: string, opts: LoadOptions = {}): Inventory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT'
        ? 'no such file'
        : err.code === 'EACCES'
          ? 'permission denied'
          : err.code === 'EISDIR'
            ? 'is a directory, not an inventory file'
            : err.message;
    throw new InventoryError(file, null, null, '', `cannot read the inventory: ${why}`);
  }
  const homeDir = os.homedir();
  const readSshConfig = (named: string | undefined): string | undefined => {
    const sshConfigPath = named ?? opts.sshConfigPath ?? path.join(homeDir, '.ssh', 'config');
    try {
      return readFileSync(sshConfigPath, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // The default file may be missing; a file the inventory names must exist.
      if (named === undefined && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return undefined;
      throw new InventoryError(sshConfigPath, null, null, '', `cannot read the SSH config: ${err.message}`);
    }
  };
  const inventory = parseInventory(text, file, { homeDir, readSshConfig });
  return { ...inventory, file: path.resolve(file) };
}
