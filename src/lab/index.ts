/** The lab: a real multi-host overlay cluster on this machine, and its faults. */
export { labHelp, labMain } from './cli.js';
export { containerExec, hostExec } from './exec-api.js';
export {
  FAULT_LIST,
  FAULT_NAMES,
  FAULTS,
  type FaultDef,
  type FaultInfo,
  type FaultName,
  isFaultName,
} from './faults/index.js';
export { labBreak, labHeal } from './faults.js';
export { labInventoryYaml } from './inventory.js';
export { checkRoutes, defaultRoutes, labAddresses } from './safety.js';
export {
  type AppliedFault,
  type LabContainer,
  type LabHost,
  type LabOptions,
  type LabState,
  readLabState,
} from './state.js';
export {
  type ContainerStatus,
  type DaemonStatus,
  formatLabStatus,
  type HostStatus,
  type LabStatus,
  labStatus,
} from './status.js';
export { labDown, labLeftovers, labUp, missingTools, normalizeOptions, requiredTools } from './up.js';
