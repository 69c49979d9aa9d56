/** The transport layer: SSH, local, replay; one way to quote. */

import type { HostSpec } from '../inventory/types.js';
import { createLocalTransport } from './local.js';
import { createResolvingTransport, type ResolvingOptions } from './resolving.js';
import { createSshTransport, type SshTransportOptions } from './ssh.js';
import type { Transport } from './types.js';

export * from './known-hosts.js';
export { createLocalTransport, type LocalTransportOptions } from './local.js';
export { commandText, DEFAULT_MAX_OUTPUT_BYTES } from './output.js';
export { quoteArg, quoteArgv } from './quote.js';
export { createRecordingTransport, createReplayTransport } from './replay.js';
export { createResolvingTransport, type ResolvingOptions } from './resolving.js';
export { createSshTransport, type SshTransportOptions } from './ssh.js';
export * from './types.js';

/**
 * The transport an inventory host asks for: `local` (with its wrapper) or SSH,
 * resolved with OpenSSH first when `resolving` is given (inventory/openssh.ts).
 */
export function createTransport(
  host: HostSpec,
  opts: SshTransportOptions,
  resolving?: ResolvingOptions,
): Transport {
  if (host.transport === 'local') return createLocalTransport(host.name, host.localWrapper ?? []);
  if (resolving) return createResolvingTransport(host, opts, resolving);
  return createSshTransport(host, opts);
}
