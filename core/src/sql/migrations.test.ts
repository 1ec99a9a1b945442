import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StartupError } from '../errors.js';
import { MIGRATIONS_DIR, readMigrations } from './migrations.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function dirWith(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'ioc-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

function refusal(fn: () => unknown): StartupError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StartupError);
    return err as StartupError;
  }
  throw new Error('expected a StartupError');
}

describe('readMigrations', () => {
  it('finds the shipped migrations next to the sources', () => {
    dir = mkdtempSync(join(tmpdir(), 'ioc-migrations-'));
    const migrations = readMigrations(MIGRATIONS_DIR);
    expect(migrations[0]).toMatchObject({ version: 1, name: '0001_accounts.sql' });
    expect(migrations.map((m) => m.version)).toEqual(
      [...migrations.map((m) => m.version)].sort((a, b) => a - b),
    );
  });

  it('orders by version and ignores files that are not .sql', () => {
    const migrations = readMigrations(
      dirWith({ '0010_b.sql': 'SELECT 2;', '0002_a.sql': 'SELECT 1;', 'README.md': '# notes' }),
    );
    expect(migrations.map((m) => m.name)).toEqual(['0002_a.sql', '0010_b.sql']);
    expect(migrations[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives CRLF and LF copies of a file the same checksum', () => {
    const [lf] = readMigrations(dirWith({ '0001_a.sql': 'SELECT 1;\nSELECT 2;\n' }));
    rmSync(dir, { recursive: true });
    const [crlf] = readMigrations(dirWith({ '0001_a.sql': 'SELECT 1;\r\nSELECT 2;\r\n' }));
    expect(crlf?.checksum).toBe(lf?.checksum);
  });

  it.each(['add-users.sql', '1_users.sql', '0001_Users.sql', '0001_.sql'])(
    'refuses the misnamed file %s',
    (name) => {
      const err = refusal(() =>
        readMigrations(dirWith({ '0001_ok.sql': 'SELECT 1;', [name]: '' })),
      );
      expect(err.code).toBe('SQL_MIGRATION_MISNAMED');
      expect(err.message).toContain(`${name} is misnamed; name it NNNN_description.sql`);
    },
  );

  it('refuses two files with the same version', () => {
    const err = refusal(() => readMigrations(dirWith({ '0001_a.sql': '', '0001_b.sql': '' })));
    expect(err.code).toBe('SQL_MIGRATION_MISNAMED');
    expect(err.message).toMatch(/0001_a\.sql and 0001_b\.sql .* share version 0001; renumber one/);
  });

  it('refuses a missing migrations directory', () => {
    dir = mkdtempSync(join(tmpdir(), 'ioc-migrations-'));
    const err = refusal(() => readMigrations(join(dir, 'nope')));
    expect(err.code).toBe('SQL_MIGRATIONS_MISSING');
  });
});
