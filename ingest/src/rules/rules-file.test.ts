import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadUnitTree, type SqlStore, StartupError, sqlTestBackends } from '@ioc/core';
import { loadDeviceCatalogue } from '@ioc/devices';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RuleStore } from './rule-store.js';
import { applyRulesFile, readRulesFile } from './rules-file.js';
import { syntheticRules } from './synthetic-rules.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const { backends, cleanup } = sqlTestBackends('rules-file', inject('postgresUrl'));
const pglite = backends.find((b) => b.kind === 'pglite');
afterAll(cleanup);

let sql: SqlStore;
let store: RuleStore;
let dir: string;
beforeAll(async () => {
  if (!pglite) throw new Error('no PGlite backend');
  const [units, catalogue] = await Promise.all([
    loadUnitTree('da-nang-2025'),
    loadDeviceCatalogue(),
  ]);
  sql = await pglite.open();
  store = new RuleStore({ sql, catalogue, units });
  dir = await mkdtemp(join(tmpdir(), 'ioc-rules-file-'));
});
afterAll(async () => {
  await sql?.close();
  await rm(dir, { recursive: true, force: true });
});

const RULE = {
  id: 'flood-hai-van',
  name: { vi: 'Ngập Hải Vân', en: 'Flooding in Hai Van' },
  severity: 'critical',
  scope: { type: 'water-level', unit: '20194' },
  condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300, forS: 120 },
  message: { vi: 'Mực nước {value} {unit}', en: 'Water level {value} {unit}' },
};

async function fileWith(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function startupError(promise: Promise<unknown>): Promise<StartupError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof StartupError))
    throw new Error(`expected a StartupError, got ${String(err)}`);
  return err;
}

describe('rules file', () => {
  it('reads {"rules": [...]} or a bare array of checked rules', async () => {
    const rules = await readRulesFile(await fileWith('ok.json', { rules: [RULE] }), store);
    expect(rules.map((r) => [r.id, r.condition])).toEqual([
      [
        'flood-hai-van',
        { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300, clear: 300, forS: 120 },
      ],
    ]);
    expect(await readRulesFile(await fileWith('bare.json', [RULE]), store)).toEqual(rules);
  });

  it('names the file and every problem of every rule, as rules[i].field', async () => {
    const path = await fileWith('bad.json', {
      rules: [
        { ...RULE, severity: 'urgent' },
        { ...RULE, id: undefined },
        RULE,
        RULE,
        {
          ...RULE,
          id: 'other',
          scope: { unit: 'nowhere' },
          message: { vi: '{nonsense}', en: 'x' },
        },
        'not a rule',
      ],
    });
    const err = await startupError(readRulesFile(path, store));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(`rules file ${path} (ingest.rulesFile): `);
    const fields = Array.from(err.message.matchAll(/(rules\[\d+\][\w.]*): /g), (m) => m[1]);
    expect(fields).toEqual([
      'rules[0].severity',
      'rules[1].id',
      'rules[3].id',
      'rules[4].scope.unit',
      'rules[4].message.vi',
      'rules[5]',
    ]);
    expect(err.message).toContain('; rules[3].id: "flood-hai-van" is already used by rules[2]; ');
  });

  it('says what is wrong with a missing, malformed or misshapen file', async () => {
    const missing = await startupError(readRulesFile(join(dir, 'nope.json'), store));
    expect(missing.message).toMatch(
      /cannot read it \(ENOENT.*\); check the path or unset IOC_RULES_FILE$/,
    );
    const json = await startupError(
      readRulesFile(await fileWith('broken.json', '{"rules": ['), store),
    );
    expect(json.message).toMatch(/: not valid JSON \(/);
    const shape = await startupError(
      readRulesFile(await fileWith('shape.json', { rule: [] }), store),
    );
    expect(shape.message).toMatch(/expected \{"rules": \[\.\.\.\]\} or an array of rules$/);
  });

  it('applies the file at start and, without one, hands its rules back to the API', async () => {
    const path = await fileWith('apply.json', { rules: [RULE] });
    const applied = await applyRulesFile(path, store);
    expect(applied).toMatchObject({ created: ['flood-hai-van'], released: [] });
    expect(await store.get('flood-hai-van')).toMatchObject({ origin: 'file', updatedBy: 'file' });
    const again = await applyRulesFile(path, store);
    expect(again).toMatchObject({ created: [], updated: [], unchanged: 1 });
    const released = await applyRulesFile(undefined, store);
    expect(released.released).toEqual(['flood-hai-van']);
    expect(await store.get('flood-hai-van')).toMatchObject({ origin: 'api' });
  });

  it('the benchmark rules are all valid and spread over kinds and scopes', async () => {
    const [units, catalogue] = await Promise.all([
      loadUnitTree('da-nang-2025'),
      loadDeviceCatalogue(),
    ]);
    const rules = syntheticRules(1000, { units, catalogue });
    const checked = rules.map((rule) => store.check(rule));
    expect(checked.filter((c) => !c.ok)).toEqual([]);
    expect(new Set(rules.map((r) => r.id)).size).toBe(1000);
    const kinds = new Set(rules.map((r) => r.condition.kind));
    expect([...kinds].sort()).toEqual(['missing-data', 'rate', 'threshold']);
    expect(rules.some((r) => r.scope?.unit !== undefined)).toBe(true);
    expect(rules.some((r) => r.scope?.sector !== undefined)).toBe(true);
  });
});
