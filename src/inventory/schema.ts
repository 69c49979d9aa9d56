/**
 * The inventory's shape as a zod schema: keys, types, required fields and the
 * checks one value can answer alone (a CIDR, an address, a name that reaches
 * a command). What needs two values (an address inside the subnet, dhcp naming
 * a host) is in semantic.ts; turning issues into file:line:col messages is in
 * messages.ts, helped by the words registered here next to each field.
 */
import { z } from 'zod';
import { didYouMean } from './errors.js';
import type { Cidr } from './ip.js';
import { ipv4Problem, parseCidr } from './ip.js';
import { parseProxyJump, parseSshTarget } from './ssh.js';
import type { OverlayType } from './types.js';

export const OVERLAY_TYPES: readonly OverlayType[] = ['peervpn', 'tinc', 'vxlan'];

/** Words for a field's messages (schema issues carry only a path). */
export interface Words {
  /** For "expected X, got Y" when the value has the wrong type (mappings, lists, unions). */
  expected?: string;
  /** For "is required: HINT" and "is empty; HINT"; a function when it names the subnet. */
  hint?: string | ((subnet: string | undefined) => string);
  /** A too-short list is reported at its key rather than at the value (`hosts: []`). */
  emptyAtKey?: boolean;
}

export const words = z.registry<Words>();

/** A copy of `schema` with its words: registering the shared one would give every use of it the same words. */
function said<S extends z.ZodType>(schema: S, w: Words): S {
  const copy = schema.clone() as S;
  words.add(copy, w);
  return copy;
}

const HOST_NAME_RE = /^[a-z0-9][a-z0-9.-]*$/;
const DOMAIN_RE =
  /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// Linux interface names: at most 15 bytes, no '/', ':' or whitespace.
export const IFNAME_RE = /^[^\s/:]{1,15}$/;

/** A string with something in it; later checks do not run on an empty one. */
const text = z.string().refine((s) => s.trim() !== '', { error: 'is an empty string', abort: true });

function matching(ok: (v: string) => boolean, problem: (v: string) => string) {
  return text.refine(ok, { error: (iss) => problem(String(iss.input)) });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, problem: (v: string) => string) {
  return text.pipe(z.enum(values, { error: (iss) => problem(String(iss.input)) }));
}

/** A transform's failure, reported like any other issue. */
function fail(ctx: z.RefinementCtx, input: string, message: string): never {
  ctx.addIssue({ code: 'custom', message, input });
  return z.NEVER;
}

const cidr = text.transform((s, ctx): Cidr => {
  const c = parseCidr(s.trim());
  if (typeof c === 'string') return fail(ctx, s, c);
  if (c.prefix > 30)
    return fail(ctx, s, `${s} is too small for hosts (/${c.prefix}); use a prefix of /30 or shorter`);
  return c;
});

/** A plain IPv4 address (whether it fits a subnet is semantic.ts's question). */
const ipv4 = text.transform((s, ctx) => {
  const ip = s.trim();
  const bad = ipv4Problem(ip);
  return bad ? fail(ctx, s, bad) : ip;
});

const ifname = matching(
  (v) => IFNAME_RE.test(v),
  (v) => `"${v}" is not a Linux interface name (1-15 characters, no / : or spaces)`,
);

const absolutePath = matching(
  (v) => v.startsWith('/') && !/[\u0000-\u001f]/.test(v),
  (v) => `"${v}" is not an absolute path (it is read on each host; start it with /)`,
);

const proxyJump = text.transform((s, ctx) => {
  const hops = parseProxyJump(s);
  return typeof hops === 'string' ? fail(ctx, s, hops) : hops;
});

const identityFile = z
  .union([text, z.array(text).min(1, { error: 'is an empty list' })])
  .transform((v) => (typeof v === 'string' ? [v] : v))
  .register(words, { expected: 'a string or a list of strings' });

const daemon = oneOf(
  ['lxd', 'incus'],
  (v) => `"${v}" is not a known daemon (expected lxd or incus)`,
).optional();

/** `first,last`, both IPv4; inside the subnet and in order is checked in semantic.ts. */
const dhcpRange = text.transform((s, ctx) => {
  const parts = s.split(',').map((p) => p.trim());
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
    return fail(ctx, s, `"${s}" is not first,last (e.g. 172.16.100.1,172.16.199.254)`);
  const [first, last] = parts as [string, string];
  const bad = ipv4Problem(first) ?? ipv4Problem(last);
  return bad ? fail(ctx, s, bad) : { first, last, text: s.replace(/\s+/g, '') };
});

export const OverlaySchema = z
  .strictObject({
    type: oneOf(
      OVERLAY_TYPES as readonly [OverlayType, ...OverlayType[]],
      (v) =>
        `"${v}" is not a known overlay type (known: ${OVERLAY_TYPES.join(', ')})` +
        suggestion(didYouMean(v, OVERLAY_TYPES)),
    ).register(words, { hint: `the overlay kind, one of ${OVERLAY_TYPES.join(', ')}` }),
    interface: ifname.optional(),
    subnet: cidr.optional(),
    // Names reach commands as operands (tincd -n NET, systemctl show UNIT): never an option.
    network: matching(
      (v) => /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(v),
      (v) => `"${v}" is not a tinc network name (letters, digits, _ . -, not starting with -)`,
    ).optional(),
    logFile: absolutePath.optional(),
    configFile: absolutePath.optional(),
    // systemd's unit name characters; never a leading `-`, so it cannot pass as an option.
    unit: matching(
      (v) => /^[A-Za-z0-9_.:@\\][A-Za-z0-9_.:@\\-]{0,255}$/.test(v),
      (v) => `"${v}" is not a systemd unit name (letters, digits, : _ . @ \\ -, not starting with -)`,
    ).optional(),
  })
  .register(words, {
    expected: 'a mapping (type:, interface: ...)',
    hint: 'a mapping with type: peervpn | tinc | vxlan',
  });

export const ClusterSchema = z
  .strictObject({
    name: text.optional(),
    domain: matching(
      (v) => DOMAIN_RE.test(v),
      (v) => `"${v}" is not a DNS domain (e.g. lxd)`,
    ).optional(),
    bridge: ifname.optional(),
    subnet: said(cidr, {
      hint: 'the shared L2 subnet of the bridges and containers, e.g. 172.16.0.0/16',
    }),
    dhcpRange: dhcpRange.optional(),
    lxd: oneOf(
      ['lxc', 'incus'],
      (v) => `"${v}" is not a known LXD client (expected lxc or incus)`,
    ).optional(),
    daemon,
    overlay: OverlaySchema,
    dhcp: said(text, {
      hint: 'the name of the one host whose dnsmasq serves DHCP and DNS, e.g. dhcp: lxd1',
    }),
  })
  .register(words, {
    expected: 'a mapping (subnet:, overlay:, dhcp: ...)',
    hint: 'a mapping with subnet, overlay and dhcp',
  });

export const SshSchema = z
  .strictObject({
    user: matching(
      (v) => /^[^\s@:]+$/.test(v),
      (v) => `"${v}" is not a user name`,
    ).optional(),
    identityFile: identityFile.optional(),
    knownHosts: text.optional(),
    sudo: z.boolean().optional(),
    proxyJump: proxyJump.optional(),
    config: text.optional(),
  })
  .register(words, { expected: 'a mapping (user:, identityFile:, sudo: ...)' });

/** `ssh:` as written (for `%n` and messages) and parsed. */
const sshTarget = text.transform((s, ctx) => {
  const target = parseSshTarget(s);
  return typeof target === 'string' ? fail(ctx, s, target) : { text: s.trim(), target };
});

export const HostSchema = z
  .strictObject({
    name: matching(
      (v) => HOST_NAME_RE.test(v) && v.length <= 253,
      (v) => {
        const lower = v.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
        const eg = HOST_NAME_RE.test(lower) ? `, e.g. ${lower}` : '';
        return `"${v}" is not a valid host name (lowercase letters, digits, - and ., starting with a letter or digit${eg})`;
      },
    ).register(words, { hint: 'a short unique name such as lxd1' }),
    // Required unless transport is local: semantic.ts says so.
    ssh: sshTarget.optional(),
    bridgeAddress: said(ipv4, {
      hint: (subnet) => `this host's IPv4 address on the bridge${subnet ? `, inside ${subnet}` : ''}`,
    }),
    overlayAddress: ipv4.optional(),
    sudo: z.boolean().optional(),
    identityFile: identityFile.optional(),
    proxyJump: proxyJump.optional(),
    transport: oneOf(['ssh', 'local'], (v) => `"${v}" is not a transport (expected ssh or local)`).optional(),
    localWrapper: z
      .array(text)
      .min(1, { error: 'is an empty list' })
      .register(words, { expected: 'a list of strings' })
      .optional(),
    daemon,
  })
  .register(words, { expected: 'a mapping (name:, ssh:, bridgeAddress: ...)' });

export const InventorySchema = z
  .strictObject({
    cluster: ClusterSchema,
    ssh: SshSchema.optional(),
    hosts: z.array(HostSchema).min(1, { error: 'is empty; list at least one host' }).register(words, {
      expected: 'a list of hosts (- name: ...)',
      hint: 'a list of hosts (- name: lxd1, ssh: ..., bridgeAddress: ...)',
      emptyAtKey: true,
    }),
  })
  .register(words, { expected: 'a mapping with cluster: and hosts:' });

export type InventoryData = z.output<typeof InventorySchema>;

function suggestion(guess: string | undefined): string {
  return guess ? `; did you mean "${guess}"?` : '';
}

/** Each field of an object schema checked alone: the valid values, and whether all were. */
export function validFields<S extends z.ZodObject>(
  schema: S,
  raw: unknown,
): { values: Partial<z.output<S>>; ok: boolean } | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const values: Record<string, unknown> = {};
  let ok = true;
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const r = field.safeParse((raw as Record<string, unknown>)[key]);
    if (!r.success) ok = false;
    else if (r.data !== undefined) values[key] = r.data;
  }
  return { values: values as Partial<z.output<S>>, ok };
}

/** The schemas a value at `path` passes through, outermost first (wrappers unwrapped). */
export function schemasAt(root: z.ZodType, path: readonly (string | number)[]): z.ZodType[] {
  let chain = unwrap(root);
  for (const step of path) {
    const next = stepInto(chain.at(-1)!, step);
    if (!next) return [];
    chain = unwrap(next);
  }
  return chain;
}

function unwrap(schema: z.ZodType): z.ZodType[] {
  const out = [schema];
  for (let s = schema; ; ) {
    if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else return out;
    out.push(s);
  }
}

function stepInto(schema: z.ZodType, step: string | number): z.ZodType | undefined {
  if (schema instanceof z.ZodObject && typeof step === 'string')
    return (schema.shape as Record<string, z.ZodType>)[step];
  if (schema instanceof z.ZodArray && typeof step === 'number') return schema.element as z.ZodType;
  if (schema instanceof z.ZodUnion) {
    for (const option of schema.options as z.ZodType[]) {
      const next = stepInto(unwrap(option).at(-1)!, step);
      if (next) return next;
    }
  }
  return undefined;
}

/** The words registered on the schema at `path`. */
export function wordsAt(path: readonly (string | number)[]): Words {
  for (const s of schemasAt(InventorySchema, path)) {
    const w = words.get(s);
    if (w) return w;
  }
  return {};
}

/** The keys an object schema at `path` knows, in declaration order. */
export function knownKeysAt(path: readonly (string | number)[]): string[] {
  const s = schemasAt(InventorySchema, path).at(-1);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}
