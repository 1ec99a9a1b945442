import type { SqlStore } from '../sql/index.js';

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string;
  ip?: string;
  outcome?: 'ok' | 'denied' | 'failed';
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'target' | 'ip' | 'details'>> {
  id: number;
  at: string;
  target: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

/** Who did what, when and from where: every operator and administrator action lands here. */
export class AuditLog {
  constructor(private readonly sql: SqlStore) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.sql.query(
      `INSERT INTO audit_log (actor, action, target, ip, outcome, details)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        entry.actor,
        entry.action,
        entry.target ?? null,
        entry.ip ?? null,
        entry.outcome ?? 'ok',
        entry.details ? JSON.stringify(entry.details) : null,
      ],
    );
  }

  async recent(limit = 100): Promise<AuditRecord[]> {
    const { rows } = await this.sql.query<AuditRecord & { at: Date | string; id: number | string }>(
      `SELECT id, at, actor, action, target, ip, outcome, details FROM audit_log
       ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ ...r, id: Number(r.id), at: new Date(r.at).toISOString() }));
  }
}
