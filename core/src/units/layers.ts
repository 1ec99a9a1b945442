import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Feature, FeatureCollection } from 'geojson';
import { StartupError } from '../errors.js';
import type { LayerDefinition, ParentDefinition } from './dataset-schema.js';
import { nfcDeep } from './text.js';
import type { AdminUnitInput, UnitGeometry, UnitType } from './types.js';

/** A unit read from a layer whose parent may still need placing (containedIn). */
export interface UnitDraft {
  unit: AdminUnitInput;
  layer: number;
  /** Set when the parent comes from geometry: see placement.ts. */
  placeIn?: Extract<ParentDefinition, { containedIn: unknown }>;
}

/** Parsed GeoJSON files of one load, so layers that share a file parse it once. */
export type GeoJsonCache = Map<string, Promise<FeatureCollection>>;

const TEXT_FIELDS = ['name', 'nameEn', 'fullName', 'fullNameEn'] as const;

/** Turns one layer of a dataset definition into unit drafts. */
export async function readLayer(
  layer: LayerDefinition,
  index: number,
  datasetFile: string,
  cache: GeoJsonCache,
): Promise<UnitDraft[]> {
  const where = `unit dataset ${datasetFile}, layer ${index}`;
  checkLayerShape(layer, where);
  const parent = layer.parent;
  if (parent && 'containedIn' in parent && parent.containedIn === index) {
    throw invalid(`${where}: "parent.containedIn" points at the layer itself`);
  }
  const placeIn = parent && 'containedIn' in parent ? parent : undefined;

  if (layer.units) {
    return layer.units.map((unit) => ({
      unit: { ...unit, parentCode: fixedParent(parent), geometry: null, properties: {} },
      layer: index,
      ...(placeIn ? { placeIn } : {}),
    }));
  }

  const file = resolve(dirname(datasetFile), layer.file as string);
  const collection = await readGeoJson(file, `${where} ("file": "${layer.file}")`, cache);
  checkFilterHits(collection.features, layer.filter, `${where} (${file})`);

  const drafts: UnitDraft[] = [];
  for (const [featureIndex, feature] of collection.features.entries()) {
    if (!matchesFilter(feature, layer.filter)) continue;
    const unit = unitFromFeature(layer, feature, `${file}, feature #${featureIndex}`);
    drafts.push({ unit, layer: index, ...(placeIn ? { placeIn } : {}) });
  }
  return drafts;
}

function unitFromFeature(layer: LayerDefinition, feature: Feature, where: string): AdminUnitInput {
  const properties = (nfcDeep(feature.properties ?? {}) ?? {}) as Record<string, unknown>;
  const code = requiredText(properties, layer.code as string, 'UNIT_CODE_MISSING', where, 'code');
  const unit: Record<string, unknown> = {
    code: `${layer.codePrefix ?? ''}${code}`,
    name: requiredText(properties, layer.name as string, 'UNIT_NAME_MISSING', where, 'name'),
    type: unitType(layer, properties, where),
    parentCode: parentFromFeature(layer.parent, properties, where),
    geometry: geometryOf(feature, where),
    properties,
  };
  for (const field of TEXT_FIELDS) {
    const template = layer.template?.[field];
    const value = field === 'name' ? undefined : optionalText(properties, layer[field]);
    if (template !== undefined) unit[field] = fillTemplate(template, properties, where);
    else if (value !== undefined) unit[field] = value;
  }
  return unit as unknown as AdminUnitInput;
}

/** Rules the JSON schema cannot express. */
function checkLayerShape(layer: LayerDefinition, where: string): void {
  if ((layer.file === undefined) === (layer.units === undefined)) {
    throw invalid(
      `${where}: give exactly one of "file" (a GeoJSON file) or "units" (inline units)`,
    );
  }
  if (layer.units) {
    if (layer.parent && 'property' in layer.parent) {
      throw invalid(`${where}: inline units have no properties; use "parent": {"code": ...}`);
    }
    return;
  }
  if (layer.code === undefined || layer.name === undefined) {
    throw invalid(`${where}: a file layer needs "code" and "name" (the property names to read)`);
  }
  if ((layer.type === undefined) === (layer.typeFrom === undefined)) {
    throw invalid(`${where}: give exactly one of "type" or "typeFrom" (with "typeMap")`);
  }
  if (layer.typeFrom !== undefined && layer.typeMap === undefined) {
    throw invalid(`${where}: "typeFrom" needs a "typeMap" from property values to unit types`);
  }
}

async function readGeoJson(
  file: string,
  where: string,
  cache: GeoJsonCache,
): Promise<FeatureCollection> {
  let pending = cache.get(file);
  if (!pending) {
    pending = parseGeoJson(file, where);
    cache.set(file, pending);
  }
  return pending;
}

async function parseGeoJson(file: string, where: string): Promise<FeatureCollection> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new StartupError(
      missing
        ? `${where}: file ${file} does not exist; restore it (see core/data/geo/SOURCES.md) or fix the path`
        : `${where}: cannot read ${file} (${(err as Error).message})`,
      'UNIT_FILE_MISSING',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new StartupError(
      `${where}: ${file} is not valid JSON (${(err as Error).message})`,
      'UNIT_FILE_INVALID',
    );
  }
  const collection = parsed as Partial<FeatureCollection> | null;
  if (collection?.type !== 'FeatureCollection' || !Array.isArray(collection.features)) {
    throw new StartupError(
      `${where}: ${file} is not a GeoJSON FeatureCollection`,
      'UNIT_FILE_INVALID',
    );
  }
  const bad = collection.features.findIndex((f) => f === null || typeof f !== 'object');
  if (bad >= 0) {
    throw new StartupError(
      `${where}: ${file} feature #${bad} is not an object`,
      'UNIT_FILE_INVALID',
    );
  }
  return collection as FeatureCollection;
}

function matchesFilter(feature: Feature, filter: LayerDefinition['filter']): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([property, values]) =>
    values.includes(String(feature.properties?.[property]).normalize('NFC')),
  );
}

/** A filter value that selects nothing is almost always a typo; say so rather than drop units. */
function checkFilterHits(
  features: Feature[],
  filter: LayerDefinition['filter'],
  where: string,
): void {
  for (const [property, values] of Object.entries(filter ?? {})) {
    const present = new Set(features.map((f) => String(f.properties?.[property]).normalize('NFC')));
    const missing = values.filter((value) => !present.has(value));
    if (missing.length > 0) {
      throw invalid(`${where}: "filter" ${property} = ${missing.join(', ')} matches no feature`);
    }
  }
}

function requiredText(
  properties: Record<string, unknown>,
  property: string,
  code: string,
  where: string,
  what: string,
): string {
  const value = properties[property];
  if ((typeof value !== 'string' && typeof value !== 'number') || String(value).trim() === '') {
    throw new StartupError(
      `${where} has no ${what} property '${property}' (got ${JSON.stringify(value)}); every feature of the layer needs one`,
      code,
    );
  }
  return String(value).trim();
}

function optionalText(properties: Record<string, unknown>, property: string | undefined) {
  const value = property === undefined ? undefined : properties[property];
  return value === undefined || value === null || String(value).trim() === ''
    ? undefined
    : String(value).trim();
}

function unitType(
  layer: LayerDefinition,
  properties: Record<string, unknown>,
  where: string,
): UnitType {
  if (layer.type) return layer.type;
  const raw = String(properties[layer.typeFrom as string]);
  const type = layer.typeMap?.[raw];
  if (!type) {
    throw new StartupError(
      `${where}: property '${layer.typeFrom}' = ${JSON.stringify(raw)} is not in "typeMap" (known: ${Object.keys(layer.typeMap ?? {}).join(', ')})`,
      'UNIT_TYPE_UNKNOWN',
    );
  }
  return type;
}

function fixedParent(parent: ParentDefinition | undefined): string | null {
  return parent && 'code' in parent ? parent.code : null;
}

function parentFromFeature(
  parent: ParentDefinition | undefined,
  properties: Record<string, unknown>,
  where: string,
): string | null {
  if (parent && 'property' in parent) {
    return requiredText(properties, parent.property, 'UNIT_PARENT_MISSING', where, 'parent');
  }
  return fixedParent(parent);
}

function geometryOf(feature: Feature, where: string): UnitGeometry | null {
  const geometry = feature.geometry;
  if (geometry === null || geometry === undefined) return null;
  if (geometry.type === 'Polygon' || geometry.type === 'MultiPolygon') return geometry;
  throw new StartupError(
    `${where}: geometry type ${geometry.type} is not supported; units need Polygon, MultiPolygon or null`,
    'UNIT_GEOMETRY_INVALID',
  );
}

/** "{name} (cũ)" with {property} replaced by the feature's value. */
function fillTemplate(
  template: string,
  properties: Record<string, unknown>,
  where: string,
): string {
  return template.replace(/\{([^{}]+)\}/g, (_, property: string) => {
    const value = properties[property];
    if (value === undefined || value === null) {
      throw invalid(
        `${where}: "template" refers to property '${property}', which the feature lacks`,
      );
    }
    return String(value);
  });
}

function invalid(message: string): StartupError {
  return new StartupError(message, 'UNIT_DATASET_INVALID');
}
