// OPC-UA source: mapped nodes of configured servers become Readings for the ingest pipeline.
export { type DemoPlcDevice, type DemoPlcMappingOptions, demoPlcMapping } from './demo-mapping.js';
export {
  isNodeId,
  loadOpcuaMapping,
  type OpcuaDeadband,
  type OpcuaMapping,
  OpcuaMappingError,
  OpcuaMappingSchema,
  type OpcuaNodeMapping,
  type OpcuaServerMapping,
  parseOpcuaMapping,
} from './mapping.js';
export {
  type BrowsedNode,
  OpcuaBridge,
  OpcuaBridgeError,
  type OpcuaBridgeErrorCode,
  type OpcuaBridgeEvents,
  type OpcuaBridgeOptions,
} from './opcua-bridge.js';
export type { ConnectionState } from './server-connection.js';
