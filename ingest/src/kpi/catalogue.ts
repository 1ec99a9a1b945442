import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { StartupError } from '@ioc/core';
import { isSector, SECTOR_IDS } from '@ioc/devices';
import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  isRatio,
  type KpiDefinition,
  KpiDefinitionSchema,
  type RatioKpiDefinition,
  type StoredKpiDefinition,
} from './definition.js';

/** The shipped defaults: one-stop dossiers and online public services. */
export const DEFAULT_KPI_FILE = fileURLToPath(new URL('../../data/kpis.json', import.meta.url));

/** KPI definitions that do not hold together; `problems` names each entry. */
export class KpiDefinitionError extends StartupError {
  constructor(
    readonly problems: string[],
    source: string,
  ) {
    super(`invalid KPI definitions (${source}): ${problems.join('; ')}`, 'CONFIG_INVALID');
  }
}

/**
 * The KPIs this IOC knows: shipped defaults, extended or overridden (same code) by the
 * file of `ingest.kpiFile`, or replaced by it when that file says `"replaceDefaults": true`.
 */
export class KpiCatalogue {
  readonly #byCode: ReadonlyMap<string, KpiDefinition>;

  /** Throws KpiDefinitionError listing every problem (unknown sector, dangling ratio code...). */
  constructor(definitions: readonly unknown[], source = 'definitions') {
    const parsed = parseDefinitions(definitions, source);
    this.#byCode = new Map(parsed.map((d) => [d.code, Object.freeze(d)]));
  }

  /** Defaults from `ingest/data/kpis.json`, then the entries of `file` when given. */
  static async load(file?: string): Promise<KpiCatalogue> {
    const defaults = await readKpiFile(DEFAULT_KPI_FILE);
    if (!file) return new KpiCatalogue(defaults.kpis, DEFAULT_KPI_FILE);
    const extra = await readKpiFile(file);
    const merged = new Map<string, unknown>();
    if (!extra.replaceDefaults) for (const d of defaults.kpis) merged.set(codeOf(d), d);
    for (const d of extra.kpis) merged.set(codeOf(d), d);
    return new KpiCatalogue([...merged.values()], file);
  }

  get size(): number {
    return this.#byCode.size;
  }

  get(code: string): KpiDefinition | undefined {
    return this.#byCode.get(code);
  }

  all(): KpiDefinition[] {
    return [...this.#byCode.values()];
  }

  /** The stored KPIs a read of `code` needs: itself, or a ratio's numerator and denominator. */
  components(code: string): StoredKpiDefinition[] {
    const definition = this.#byCode.get(code);
    if (!definition) return [];
    if (!isRatio(definition)) return [definition];
    const codes = new Set([...definition.numerator, ...definition.denominator]);
    return [...codes].map((c) => this.#byCode.get(c) as StoredKpiDefinition);
  }
}

function codeOf(entry: unknown): string {
  return String((entry as { code?: unknown } | null)?.code ?? '');
}

interface RawKpiFile {
  replaceDefaults?: boolean;
  kpis: unknown[];
}

/** Reads a KPI file's envelope; each definition is checked by the catalogue. */
async function readKpiFile(file: string): Promise<RawKpiFile> {
  let json: unknown;
  try {
    // Text in NFC, as everywhere in the IOC, whatever the editor saved.
    json = JSON.parse((await readFile(file, 'utf8')).normalize('NFC'));
  } catch (err) {
    throw new KpiDefinitionError([`cannot read it as JSON: ${(err as Error).message}`], file);
  }
  const envelope = Type.Object({
    $schema: Type.Optional(Type.String()),
    replaceDefaults: Type.Optional(Type.Boolean()),
    kpis: Type.Array(Type.Unknown()),
  });
  if (!Value.Check(envelope, json)) {
    throw new KpiDefinitionError(
      ['expected {"kpis": [...], "replaceDefaults"?: boolean} (see ingest/data/kpis.json)'],
      file,
    );
  }
  return json as RawKpiFile;
}

// Each rollup kind's own schema, so a problem is reported against the right shape rather
// than as "matches none of the union".
const SCHEMA_BY_ROLLUP = new Map<string, TSchema>(
  KpiDefinitionSchema.anyOf.map((schema) => [
    String((schema.properties.rollup as { const: string }).const),
    schema,
  ]),
);

function parseDefinitions(entries: readonly unknown[], source: string): KpiDefinition[] {
  const problems: string[] = [];
  const parsed: KpiDefinition[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const code = codeOf(entry);
    const at = code ? `kpis[${index}] (${code})` : `kpis[${index}]`;
    const rollup = (entry as { rollup?: unknown } | null)?.rollup;
    const schema = SCHEMA_BY_ROLLUP.get(String(rollup));
    if (!schema) {
      problems.push(`${at}: rollup must be sum, mean or ratio; got ${JSON.stringify(rollup)}`);
      continue;
    }
    const definition = Value.Default(schema, structuredClone(entry)) as KpiDefinition;
    const errors = [...Value.Errors(schema, definition)].slice(0, 5);
    if (errors.length > 0) {
      for (const e of errors) problems.push(`${at}${e.path}: ${e.message}`);
      continue;
    }
    if (seen.has(definition.code)) problems.push(`${at}: code "${definition.code}" is used twice`);
    seen.add(definition.code);
    if (!isSector(definition.sector)) {
      problems.push(`${at}: sector "${definition.sector}" is not one of ${SECTOR_IDS.join(', ')}`);
    }
    if (!isRatio(definition) && definition.min !== undefined && definition.max !== undefined) {
      if (definition.min > definition.max) problems.push(`${at}: min is above max`);
    }
    parsed.push(definition);
  }
  const byCode = new Map(parsed.map((d) => [d.code, d]));
  for (const definition of parsed) {
    if (isRatio(definition)) problems.push(...ratioProblems(definition, byCode));
  }
  if (problems.length > 0) throw new KpiDefinitionError(problems, source);
  return parsed;
}

/** A ratio divides rolled-up sums: its parts must be stored `sum` KPIs. */
function ratioProblems(
  ratio: RatioKpiDefinition,
  byCode: ReadonlyMap<string, KpiDefinition>,
): string[] {
  const problems: string[] = [];
  for (const part of ['numerator', 'denominator'] as const) {
    for (const code of ratio[part]) {
      const component = byCode.get(code);
      const at = `${ratio.code}: ${part} "${code}"`;
      if (!component) problems.push(`${at} is not a defined KPI`);
      else if (component.rollup !== 'sum')
        problems.push(`${at} must be a KPI with rollup "sum", not "${component.rollup}"`);
    }
  }
  return problems;
}
