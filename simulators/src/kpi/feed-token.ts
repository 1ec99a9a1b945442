import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiTokens, AuditLog } from '@ioc/core';

/** Where the demo KPI feed keeps its API token (mode 0600), like the demo accounts. */
export const DEMO_KPI_TOKEN_FILE = 'demo-kpi-feed-token.json';
const TOKEN_NAME = 'demo-kpi-feed';

/**
 * The `service` API token the demo KPI feed sends its figures with: the one saved in
 * `<dataDir>/demo-kpi-feed-token.json` while it still works, else a new one (audited), saved
 * for the next start. Production installs (no demo) never create it.
 */
export async function ensureKpiFeedToken(options: {
  dataDir: string;
  tokens: ApiTokens;
  audit: AuditLog;
}): Promise<string> {
  const file = join(options.dataDir, DEMO_KPI_TOKEN_FILE);
  if (existsSync(file)) {
    const saved = (JSON.parse(readFileSync(file, 'utf8')) as { token?: string }).token;
    const principal = saved ? await options.tokens.resolve(saved) : undefined;
    if (saved && principal?.role === 'service') return saved;
  }
  const { token, info } = await options.tokens.create({
    name: TOKEN_NAME,
    role: 'service',
    createdBy: 'system',
  });
  await options.audit.record({
    actor: 'system',
    action: 'token.create',
    target: `token:${info.id}`,
    details: { name: TOKEN_NAME, role: 'service', reason: 'demo KPI feed' },
  });
  writeFileSync(file, `${JSON.stringify({ id: info.id, token }, null, 2)}\n`, { mode: 0o600 });
  return token;
}
