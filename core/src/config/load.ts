import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type TSchema, TypeGuard } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { StartupError } from '../errors.js';
import { ENV_KEYS } from './env.js';
import { type AppConfig, ConfigSchema } from './schema.js';

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Applied last, above the environment (used by CLI flags and tests). */
  overrides?: DeepPartial<AppConfig>;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

type Json = Record<string, unknown>;

/**
 * Builds the one typed configuration: schema defaults ← `ioc.config.json` (or the file
 * named by `IOC_CONFIG`) ← environment ← overrides. A bad value throws a StartupError
 * naming the key, the value, where it came from and what is expected.
 */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const sources = new Map<string, string>();

  // Empty counts as unset, as for every other variable (`IOC_CONFIG= ioc start`).
  const explicitFile = env.IOC_CONFIG || undefined;
  const file = resolve(cwd, explicitFile ?? 'ioc.config.json');
  const raw: Json = {};
  if (existsSync(file)) {
    mergeInto(raw, readConfigFile(file), '', sources, file);
  } else if (explicitFile) {
    throw new StartupError(
      `config file ${file} (from IOC_CONFIG) does not exist; create it or unset IOC_CONFIG`,
      'CONFIG_INVALID',
    );
  }

  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, coerce(value, schemaAt(path)));
    sources.set(path, `environment variable ${name}`);
  }
  if (options.overrides) mergeInto(raw, options.overrides as Json, '', sources, 'command line');

  const config = Value.Default(ConfigSchema, raw) as AppConfig;
  const first = Value.Errors(ConfigSchema, config).First();
  if (first) {
    const path = first.path.slice(1).replaceAll('/', '.');
    // A missing key is blamed on where its siblings came from (a TLS cert without its key).
    const parent = path.slice(0, Math.max(0, path.lastIndexOf('.')));
    const source =
      sources.get(path) ??
      nearestSource(path, sources) ??
      nearestSource(parent, sources) ??
      'defaults';
    const what =
      first.value === undefined ? 'is unknown or missing' : `= ${shown(path, first.value)}`;
    throw new StartupError(
      `config ${path || '(root)'} ${what} (from ${source}): ${describeExpectation(first)}`,
      'CONFIG_INVALID',
    );
  }
  if (!isAbsolute(config.dataDir)) config.dataDir = resolve(cwd, config.dataDir);
  return config;
}

function readConfigFile(file: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new StartupError(
      `config file ${file} is not valid JSON (${(err as Error).message}); fix or remove it`,
      'CONFIG_INVALID',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StartupError(`config file ${file} must hold a JSON object`, 'CONFIG_INVALID');
  }
  return parsed as Json;
}

function describeExpectation(error: { message: string; schema: TSchema }): string {
  const { schema } = error;
  if (TypeGuard.IsInteger(schema) || TypeGuard.IsNumber(schema)) {
    const { minimum: min, exclusiveMinimum: above, maximum: max } = schema;
    const kind = TypeGuard.IsInteger(schema) ? 'an integer' : 'a number';
    if (min !== undefined && max !== undefined) return `expected ${kind} from ${min} to ${max}`;
    if (min !== undefined) return `expected ${kind} of at least ${min}`;
    if (above !== undefined) return `expected ${kind} greater than ${above}`;
    return `expected ${kind}`;
  }
  if (TypeGuard.IsUnion(schema)) {
    const options = schema.anyOf.map((s) => JSON.stringify(s.const)).join(', ');
    return `expected one of ${options}`;
  }
  if (TypeGuard.IsString(schema) && schema.pattern) {
    return `${error.message.toLowerCase()} (${schema.description ?? ''})`.replace(' ()', '');
  }
  if (error.message.startsWith('Unexpected property')) return 'no such setting (check spelling)';
  return error.message.toLowerCase();
}

/** A bad value as the error shows it: never a password, token or URL password in clear. */
function shown(path: string, value: unknown): string {
  if (/(password|token|secret)$/i.test(path)) {
    return typeof value === 'string' ? `<hidden, ${value.length} characters>` : '<hidden>';
  }
  return JSON.stringify(value).replace(/(\/\/[^/:@]*):[^/@]*@/, '$1:***@');
}

function schemaAt(path: string): TSchema | undefined {
  let schema: TSchema | undefined = ConfigSchema;
  for (const key of path.split('.')) {
    schema = schema && TypeGuard.IsObject(schema) ? schema.properties[key] : undefined;
  }
  return schema;
}

function coerce(value: string, schema: TSchema | undefined): unknown {
  if (!schema) return value;
  if (
    (TypeGuard.IsInteger(schema) || TypeGuard.IsNumber(schema)) &&
    /^-?\d+(\.\d+)?$/.test(value)
  ) {
    return Number(value);
  }
  if (TypeGuard.IsBoolean(schema)) {
    if (/^(true|1|yes|on)$/i.test(value)) return true;
    if (/^(false|0|no|off)$/i.test(value)) return false;
  }
  return value;
}

function setPath(target: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop() as string;
  let node = target;
  for (const key of keys) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  node[last] = value;
}

function mergeInto(
  target: Json,
  source: Json,
  prefix: string,
  sources: Map<string, string>,
  origin: string,
): void {
  for (const [key, value] of Object.entries(source)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
      mergeInto(target[key] as Json, value as Json, path, sources, origin);
    } else if (value !== undefined) {
      target[key] = value;
      sources.set(path, origin);
    }
  }
}

function nearestSource(path: string, sources: Map<string, string>): string | undefined {
  for (const [key, origin] of sources) if (key.startsWith(`${path}.`)) return origin;
  return undefined;
}
