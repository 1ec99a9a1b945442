export { type ApiTokenInfo, ApiTokens } from './api-tokens.js';
export { type AuditEntry, AuditLog, type AuditRecord } from './audit-log.js';
export { isRole, type Principal, ROLES, type Role } from './roles.js';
export {
  generatePassword,
  hashPassword,
  randomSecret,
  safeEqual,
  sha256,
  verifyPassword,
} from './secrets.js';
export { SessionStore } from './session-store.js';
export {
  LOCKOUT_MINUTES,
  MAX_FAILED_LOGINS,
  type UserAccount,
  UserAccounts,
} from './user-accounts.js';
