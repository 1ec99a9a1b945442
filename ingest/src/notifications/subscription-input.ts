import { type AdminUnitTree, type AlertSeverity, ApiError, randomSecret } from '@ioc/core';
import { isSector, SECTOR_IDS } from '@ioc/devices';
import {
  DEFAULT_NOTIFIED_CHANGES,
  NOTIFIABLE_CHANGES,
  type NotifiableChange,
  type NotificationChannel,
  type NotificationSubscriptionInput,
  type NotificationSubscriptionPatch,
  SEVERITY_ORDER,
  type StoredSubscription,
} from './types.js';

/** A subscription's fields after validation, as stored. */
export interface SubscriptionFields {
  name: string;
  channel: NotificationChannel;
  url: string | null;
  secret: string | null;
  recipients: string[];
  minSeverity: AlertSeverity;
  sectors: string[];
  unit: string | null;
  changes: NotifiableChange[];
  enabled: boolean;
}

export interface ValidationContext {
  units: AdminUnitTree;
  /** False when no SMTP server is configured: e-mail subscriptions could never be delivered. */
  emailEnabled: boolean;
}

export const MAX_RECIPIENTS = 50;
const MAX_URL_LENGTH = 2000;
// Deliberately loose (RFC 5321 allows much more); catches typos, the SMTP server decides the rest.
const EMAIL = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+$/;

/** Checks a new subscription; throws ApiError 400 with a code naming what to fix. */
export function validateNewSubscription(
  input: NotificationSubscriptionInput,
  context: ValidationContext,
): { fields: SubscriptionFields; generatedSecret: boolean } {
  const channel = input.channel;
  if (channel !== 'webhook' && channel !== 'email') {
    throw invalid('INVALID_CHANNEL', `channel "${channel}" is unknown; use webhook or email`);
  }
  const generatedSecret = channel === 'webhook' && input.secret === undefined;
  const fields = checkFields(
    {
      name: input.name,
      channel,
      url: input.url ?? null,
      secret: channel === 'webhook' ? (input.secret ?? randomSecret(32)) : null,
      recipients: input.recipients ?? [],
      minSeverity: input.minSeverity ?? 'info',
      sectors: input.sectors ?? [],
      unit: input.unit ?? null,
      changes: input.changes ?? [...DEFAULT_NOTIFIED_CHANGES],
      enabled: input.enabled ?? true,
    },
    input,
    context,
  );
  return { fields, generatedSecret };
}

/** Applies a patch to a stored subscription and checks the result the same way. */
export function validatePatch(
  current: StoredSubscription,
  patch: NotificationSubscriptionPatch,
  context: ValidationContext,
): SubscriptionFields {
  const pick = <K extends keyof NotificationSubscriptionPatch>(
    key: K,
    fallback: NotificationSubscriptionPatch[K],
  ) => (patch[key] === undefined ? fallback : patch[key]);
  return checkFields(
    {
      name: pick('name', current.name) as string,
      channel: current.channel,
      url: (pick('url', current.url ?? undefined) as string | undefined) ?? null,
      secret: (pick('secret', current.secret ?? undefined) as string | undefined) ?? null,
      recipients: pick('recipients', current.recipients) as string[],
      minSeverity: pick('minSeverity', current.minSeverity) as AlertSeverity,
      sectors: pick('sectors', current.sectors) as string[],
      unit: patch.unit === undefined ? current.unit : patch.unit,
      changes: pick('changes', current.changes) as string[],
      enabled: pick('enabled', current.enabled) as boolean,
    },
    patch,
    context,
  );
}

type Unchecked = Omit<SubscriptionFields, 'changes'> & { changes: string[] };

function checkFields(
  fields: Unchecked,
  given: NotificationSubscriptionPatch,
  context: ValidationContext,
): SubscriptionFields {
  const name = fields.name.normalize('NFC').trim();
  if (name.length < 1 || name.length > 100) {
    throw invalid('INVALID_NAME', 'name: 1-100 characters');
  }
  if (fields.channel === 'webhook') {
    if (given.recipients !== undefined && given.recipients.length > 0) {
      throw invalid('FIELD_NOT_FOR_CHANNEL', 'recipients are for e-mail subscriptions only');
    }
    checkUrl(fields.url);
    checkSecret(fields.secret);
  } else {
    if (given.url !== undefined || given.secret !== undefined) {
      throw invalid('FIELD_NOT_FOR_CHANNEL', 'url and secret are for webhook subscriptions only');
    }
    if (!context.emailEnabled) {
      throw new ApiError(
        409,
        'SMTP_NOT_CONFIGURED',
        'e-mail notifications need an SMTP server: set notifications.smtp.host (IOC_SMTP_HOST) and restart',
      );
    }
  }
  const recipients = fields.channel === 'email' ? checkRecipients(fields.recipients) : [];
  if (!SEVERITY_ORDER.includes(fields.minSeverity)) {
    throw invalid(
      'INVALID_SEVERITY',
      `minSeverity "${fields.minSeverity}" is unknown; use one of ${SEVERITY_ORDER.join(', ')}`,
    );
  }
  for (const sector of fields.sectors) {
    if (!isSector(sector)) {
      throw invalid(
        'UNKNOWN_SECTOR',
        `sector "${sector}" is unknown; use one of ${SECTOR_IDS.join(', ')}`,
      );
    }
  }
  if (fields.unit !== null && !context.units.has(fields.unit)) {
    throw invalid(
      'UNKNOWN_UNIT',
      `unit "${fields.unit}" is not in the unit dataset '${context.units.dataset.id}'; use a code from GET /api/v1/units`,
    );
  }
  const changes = checkChanges(fields.changes);
  return {
    ...fields,
    name,
    url: fields.channel === 'webhook' ? fields.url : null,
    secret: fields.channel === 'webhook' ? fields.secret : null,
    recipients,
    sectors: [...new Set(fields.sectors)],
    changes,
  };
}

function checkUrl(url: string | null): void {
  if (url === null) throw invalid('INVALID_URL', 'a webhook subscription needs a url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('INVALID_URL', `url "${url}" is not an absolute URL (e.g. https://host/path)`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw invalid('INVALID_URL', `url must use http or https, not ${parsed.protocol}`);
  }
  if (url.length > MAX_URL_LENGTH) {
    throw invalid('INVALID_URL', `url is longer than ${MAX_URL_LENGTH} characters`);
  }
}

function checkSecret(secret: string | null): void {
  if (secret === null || secret.length < 16 || secret.length > 256) {
    throw invalid(
      'INVALID_SECRET',
      'secret: 16-256 characters (leave it out and one is generated for you)',
    );
  }
}

function checkRecipients(recipients: string[]): string[] {
  const cleaned = [...new Set(recipients.map((r) => r.normalize('NFC').trim()))];
  if (cleaned.length === 0) {
    throw invalid('NO_RECIPIENTS', 'an e-mail subscription needs at least one recipient');
  }
  if (cleaned.length > MAX_RECIPIENTS) {
    throw invalid('TOO_MANY_RECIPIENTS', `at most ${MAX_RECIPIENTS} recipients per subscription`);
  }
  for (const address of cleaned) {
    if (address.length > 254 || !EMAIL.test(address)) {
      throw invalid('INVALID_RECIPIENT', `"${address}" is not an e-mail address`);
    }
  }
  return cleaned;
}

function checkChanges(changes: string[]): NotifiableChange[] {
  if (changes.length === 0) {
    throw invalid(
      'INVALID_CHANGE',
      `changes: name at least one of ${NOTIFIABLE_CHANGES.join(', ')}`,
    );
  }
  for (const change of changes) {
    if (!(NOTIFIABLE_CHANGES as readonly string[]).includes(change)) {
      const why =
        change === 'retriggered'
          ? 'a re-trigger only updates the open alert and is never notified'
          : `use ${NOTIFIABLE_CHANGES.join(', ')}`;
      throw invalid('INVALID_CHANGE', `change "${change}" cannot be notified: ${why}`);
    }
  }
  return NOTIFIABLE_CHANGES.filter((kind) => changes.includes(kind));
}

function invalid(code: string, message: string): ApiError {
  return new ApiError(400, code, message);
}
