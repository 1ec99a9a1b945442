import { type AdminUnitTree, ApiError, loadUnitTree } from '@ioc/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECIPIENTS, validateNewSubscription, validatePatch } from './subscription-input.js';
import type { NotificationSubscriptionInput, StoredSubscription } from './types.js';

let units: AdminUnitTree;
beforeAll(async () => {
  units = await loadUnitTree('da-nang-2025');
});

const webhook: NotificationSubscriptionInput = {
  name: 'Trực ban',
  channel: 'webhook',
  url: 'https://hooks.example.vn/ioc',
};
const email: NotificationSubscriptionInput = {
  name: 'Lãnh đạo',
  channel: 'email',
  recipients: ['a@danang.gov.vn'],
};

function refusal(input: NotificationSubscriptionInput, emailEnabled = true): ApiError {
  try {
    validateNewSubscription(input, { units, emailEnabled });
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('the input was accepted');
}

describe('subscription input', () => {
  it('fills defaults, generates a webhook secret and keeps names in NFC', () => {
    const { fields, generatedSecret } = validateNewSubscription(
      { ...webhook, name: '  Trực ban '.normalize('NFD') },
      { units, emailEnabled: false },
    );
    expect(generatedSecret).toBe(true);
    expect(fields).toMatchObject({
      name: 'Trực ban',
      minSeverity: 'info',
      sectors: [],
      unit: null,
      changes: ['raised', 'escalated', 'resolved', 'cleared'],
      enabled: true,
      recipients: [],
    });
    expect(fields.secret?.length).toBeGreaterThanOrEqual(43);
  });

  it('keeps a given secret and orders and de-duplicates change kinds', () => {
    const { fields, generatedSecret } = validateNewSubscription(
      { ...webhook, secret: 's'.repeat(32), changes: ['cleared', 'raised', 'raised'] },
      { units, emailEnabled: true },
    );
    expect(generatedSecret).toBe(false);
    expect(fields.secret).toBe('s'.repeat(32));
    expect(fields.changes).toEqual(['raised', 'cleared']);
  });

  it.each([
    [{ ...webhook, url: 'not a url' }, 'INVALID_URL'],
    [{ ...webhook, url: 'ftp://example.vn/x' }, 'INVALID_URL'],
    [{ ...webhook, url: undefined }, 'INVALID_URL'],
    [{ ...webhook, secret: 'short' }, 'INVALID_SECRET'],
    [{ ...webhook, recipients: ['a@b.vn'] }, 'FIELD_NOT_FOR_CHANNEL'],
    [{ ...email, url: 'https://x.vn' }, 'FIELD_NOT_FOR_CHANNEL'],
    [{ ...email, recipients: [] }, 'NO_RECIPIENTS'],
    [{ ...email, recipients: undefined }, 'NO_RECIPIENTS'],
    [{ ...email, recipients: ['truc ban@danang'] }, 'INVALID_RECIPIENT'],
    [
      { ...email, recipients: Array.from({ length: MAX_RECIPIENTS + 1 }, (_, i) => `u${i}@x.vn`) },
      'TOO_MANY_RECIPIENTS',
    ],
    [{ ...webhook, sectors: ['weather'] }, 'UNKNOWN_SECTOR'],
    [{ ...webhook, unit: '99999' }, 'UNKNOWN_UNIT'],
    [{ ...webhook, minSeverity: 'urgent' as never }, 'INVALID_SEVERITY'],
    [{ ...webhook, changes: ['retriggered'] }, 'INVALID_CHANGE'],
    [{ ...webhook, changes: [] }, 'INVALID_CHANGE'],
    [{ ...webhook, name: '   ' }, 'INVALID_NAME'],
    [{ ...webhook, channel: 'sms' as never }, 'INVALID_CHANNEL'],
  ])('refuses %j with %s', (input, code) => {
    const err = refusal(input as NotificationSubscriptionInput);
    expect(err.code).toBe(code);
    expect(err.statusCode).toBe(400);
  });

  it('explains why a re-trigger cannot be notified', () => {
    expect(refusal({ ...webhook, changes: ['raised', 'retriggered'] }).message).toContain(
      'never notified',
    );
  });

  it('refuses e-mail subscriptions when no SMTP server is configured (409)', () => {
    const err = refusal(email, false);
    expect(err).toMatchObject({ statusCode: 409, code: 'SMTP_NOT_CONFIGURED' });
    expect(err.message).toContain('notifications.smtp.host');
  });

  it('applies a patch over the stored fields and checks the result', () => {
    const stored: StoredSubscription = {
      id: 'x',
      ...validateNewSubscription(webhook, { units, emailEnabled: true }).fields,
      changes: ['raised'],
      createdBy: null,
      createdAt: '',
      updatedAt: '',
    };
    const patched = validatePatch(
      stored,
      { unit: '48', enabled: false },
      { units, emailEnabled: true },
    );
    expect(patched).toMatchObject({
      unit: '48',
      enabled: false,
      url: webhook.url,
      changes: ['raised'],
    });
    expect(validatePatch(stored, { unit: null }, { units, emailEnabled: true }).unit).toBeNull();
    expect(() =>
      validatePatch(stored, { url: 'mailto:x@y.vn' }, { units, emailEnabled: true }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_URL' }));
  });
});
