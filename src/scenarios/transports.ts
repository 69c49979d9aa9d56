/**
 * One connection per host for a whole scenario: its own commands, its probe launches and the engine's
 * run share it. The transports handed out do not close on close() (the engine closes what it is given
 * when its run ends); closeAll() closes the real ones when the scenario is done.
 */
import type { HostSpec } from '../inventory/types.js';
import type { Transport } from '../transport/types.js';

export interface SharedTransports {
  get(h: HostSpec): Transport;
  closeAll(): Promise<void>;
}

export function sharedTransports(make: (h: HostSpec) => Transport): SharedTransports {
  const open = new Map<string, Transport>();
  const get = (h: HostSpec): Transport => {
    let t = open.get(h.name);
    if (!t) {
      t = make(h);
      open.set(h.name, t);
    }
    const real = t;
    return {
      host: real.host,
      get connectionsOpened() {
        return real.connectionsOpened;
      },
      connect: () => real.connect(),
      exec: (c, opts) => real.exec(c, opts),
      close: async () => undefined,
    };
  };
  const closeAll = async () => {
    await Promise.all([...open.values()].map((t) => t.close().catch(() => undefined)));
  };
  return { get, closeAll };
}
