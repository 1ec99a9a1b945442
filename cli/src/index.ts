export {
  type IocProcessOptions,
  type ProcessRole,
  ROLES,
  type RunningIocProcess,
  startIocProcess,
} from './ioc-process.js';
export { main } from './main.js';
