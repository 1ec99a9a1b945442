// OPC-UA source: mapped nodes of configured servers become Readings for the ingest pipeline;
// servers and mappings live in SQL, come from the API, a mapping file or the demo PLC.
export { type DemoPlcDevice, type DemoPlcMappingOptions, demoPlcMapping } from './demo-mapping.js';
export {
  isNodeId,
  loadOpcuaMapping,
  type OpcuaDeadband,
  type OpcuaMapping,
  OpcuaMappingError,
  OpcuaMappingSchema,
  type OpcuaNodeMapping,
  type OpcuaSecurityMode,
  type OpcuaSecurityPolicy,
  type OpcuaServerMapping,
  parseOpcuaMapping,
  SECURITY_MODES,
  SECURITY_POLICIES,
} from './mapping.js';
export {
  OpcuaMappingStore,
  type OpcuaServerSource,
  type StoredOpcuaNode,
  type StoredOpcuaServer,
} from './mapping-store.js';
export {
  type BrowsedNode,
  OpcuaBridge,
  OpcuaBridgeError,
  type OpcuaBridgeErrorCode,
  type OpcuaBridgeEvents,
  type OpcuaBridgeOptions,
  type ServerChange,
} from './opcua-bridge.js';
export {
  OpcuaConfiguration,
  type OpcuaConfigurationOptions,
  type OpcuaNodeInput,
  type OpcuaNodePatch,
  type OpcuaNodeView,
  type OpcuaServerInput,
  type OpcuaServerPatch,
  type OpcuaServerStatus,
  type OpcuaServerView,
} from './opcua-configuration.js';
export type { ConnectionState } from './server-connection.js';
