/** Building the LXD part of the lab: image, one daemon per host, remotes, containers. */
import type { LabState } from './state.js';

export async function buildLxd(_state: LabState, _log: (line: string) => void): Promise<void> {
  throw new Error('LXD lab not implemented yet');
}
