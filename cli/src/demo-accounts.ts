import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppConfig, generatePassword, type Role, type UserAccounts } from '@ioc/core';

export interface DemoAccount {
  username: string;
  role: Role;
  password: string;
}

const DEMO_USERS: Array<{ username: string; role: Role; displayName: string }> = [
  { username: 'operator', role: 'ioc-operator', displayName: 'Trực ban IOC' },
  { username: 'viewer', role: 'viewer', displayName: 'Người xem' },
  { username: 'moitruong', role: 'room-operator', displayName: 'Trực ban Sở TN&MT' },
  { username: 'khuvuc', role: 'room-operator', displayName: 'Trực ban khu vực' },
];

/** Demo room operators' rooms (ioc-web's demo rooms `so-tnmt` and `khu-vuc`). */
export const DEMO_ROOM_MEMBERS = [
  { username: 'moitruong', room: 'so-tnmt', role: 'operator' },
  { username: 'khuvuc', room: 'khu-vuc', role: 'operator' },
] as const;

/**
 * Demo-mode accounts so a newcomer can sign in as an operator at once. Their generated
 * passwords are kept in `<dataDir>/demo-accounts.json` (mode 0600) to print at every demo start;
 * production installs (no --demo) never create them.
 */
export async function ensureDemoAccounts(
  config: AppConfig,
  accounts: UserAccounts,
): Promise<DemoAccount[]> {
  const file = join(config.dataDir, 'demo-accounts.json');
  const saved: DemoAccount[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
  const result: DemoAccount[] = [];
  for (const user of DEMO_USERS) {
    const known = saved.find((a) => a.username === user.username);
    const exists = await accounts.findByUsername(user.username);
    if (exists && known) {
      result.push(known);
    } else if (exists) {
    } else {
      const password = generatePassword();
      await accounts.create({ ...user, password });
      result.push({ username: user.username, role: user.role, password });
    }
  }
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`, { mode: 0o600 });
  return result;
}
