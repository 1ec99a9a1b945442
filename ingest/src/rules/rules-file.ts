import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { StartupError } from '@ioc/core';
import type { NewRule } from './rule.js';
import type { RuleStore, RulesFileSync } from './rule-store.js';

/** The demo province's rules (ingest/data/demo-rules.json): `ioc start --demo` without a rules file. */
export const DEMO_RULES_FILE = fileURLToPath(
  new URL('../../data/demo-rules.json', import.meta.url),
);

/**
 * Reads a rules file (config `ingest.rulesFile`): JSON `{"rules": [<rule>, ...]}` (or the bare
 * array), each entry as for POST /api/v1/rules with its `id` required. Checks every rule and
 * throws one StartupError (code CONFIG_INVALID) listing each problem as `rules[i].field`.
 */
export async function readRulesFile(file: string, store: RuleStore): Promise<NewRule[]> {
  const fail = (problem: string): never => {
    throw new StartupError(`rules file ${file} (ingest.rulesFile): ${problem}`, 'CONFIG_INVALID');
  };
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    fail(`cannot read it (${(err as Error).message}); check the path or unset IOC_RULES_FILE`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    fail(`not valid JSON (${(err as Error).message})`);
  }
  const entries = Array.isArray(data)
    ? data
    : data !== null &&
        typeof data === 'object' &&
        Array.isArray((data as { rules?: unknown }).rules)
      ? (data as { rules: unknown[] }).rules
      : fail('expected {"rules": [...]} or an array of rules');
  const rules: NewRule[] = [];
  const problems: string[] = [];
  const ids = new Map<string, number>();
  entries.forEach((entry, i) => {
    const checked = store.check(entry);
    if (!checked.ok) {
      for (const p of checked.problems) {
        problems.push(`rules[${i}]${p.field ? `.${p.field}` : ''}: ${p.message}`);
      }
      return;
    }
    if ((entry as { id?: unknown }).id === undefined) {
      problems.push(`rules[${i}].id: missing; a rule of the file needs a fixed id`);
      return;
    }
    const first = ids.get(checked.rule.id);
    if (first !== undefined) {
      problems.push(`rules[${i}].id: "${checked.rule.id}" is already used by rules[${first}]`);
      return;
    }
    ids.set(checked.rule.id, i);
    rules.push(checked.rule);
  });
  if (problems.length > 0) fail(problems.join('; '));
  return rules;
}

/**
 * Applies the configured rules file, or, without one, hands rules that came from a file back
 * to the API. See the README for how the file and the API share the rules.
 */
export async function applyRulesFile(
  file: string | undefined,
  store: RuleStore,
): Promise<RulesFileSync & { released: string[] }> {
  if (file === undefined) {
    return {
      created: [],
      updated: [],
      deleted: [],
      unchanged: 0,
      released: await store.releaseFileRules(),
    };
  }
  const rules = await readRulesFile(file, store);
  return { ...(await store.syncFile(rules)), released: [] };
}
