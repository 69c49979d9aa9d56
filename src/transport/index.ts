/** The transport layer: SSH, local, replay; one way to quote. */

import type { HostSpec } from '../inventory/types.js';
import { createLocalTransport } from './local.js';
import { createSshTransport, type SshTransportOptions } from './ssh.js';
import type { Transport } from './types.js';

export * from './known-hosts.js';
export { createLocalTransport, type LocalTransportOptions } from './local.js';
export { commandText, DEFAULT_MAX_OUTPUT_BYTES } from './output.js';
export { quoteArg, quoteArgv } from './quote.js';
export { createRecordingTransport, createReplayTransport } from './replay.js';
export { createSshTransport, expandProxyCommand, type SshTransportOptions } from './ssh.js';
export * from './types.js';

/** The transport an inventory host asks for: `local` (with its wrapper) or SSH. */
export function createTransport(host: HostSpec, opts: SshTransportOptions): Transport {
  if (host.transport === 'local') return createLocalTransport(host.name, host.localWrapper ?? []);
  return createSshTransport(host, opts);
}
