import { type AdminUnitTree, loadUnitTree } from '@ioc/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatVietnamTime } from './alert-text.js';
import { composeAlertEmail } from './email-message.js';
import { alertChanged, sampleAlert } from './test-support.js';

let units: AdminUnitTree;
beforeAll(async () => {
  units = await loadUnitTree('da-nang-2025');
});

describe('alert e-mail', () => {
  it('shows times in Vietnam time as dd/MM/yyyy HH:mm, across midnight and year end', () => {
    expect(formatVietnamTime('2026-03-05T01:30:00Z')).toBe('05/03/2026 08:30');
    expect(formatVietnamTime('2026-12-31T17:05:59Z')).toBe('01/01/2027 00:05');
    expect(formatVietnamTime('2026-06-30T16:59:00Z')).toBe('30/06/2026 23:59');
    expect(formatVietnamTime('not a time')).toBe('not a time');
  });

  it('puts Vietnamese first and English below, in the text and the HTML', () => {
    const email = composeAlertEmail(
      {
        ...alertChanged('escalated', sampleAlert({ severity: 'critical', escalationLevel: 2 })),
        at: '2026-03-05T02:00:00.000Z',
        actor: null,
      },
      units,
    );
    expect(email.subject).toBe(
      '[IOC] Cảnh báo chưa được tiếp nhận, đã chuyển cấp · Nghiêm trọng: Mực nước sông Hàn vượt ngưỡng báo động 2: 3,2 m / Alert escalated · Critical',
    );
    const [vi, en] = email.text.split(`\n\n${'-'.repeat(40)}\n\n`);
    expect(vi).toContain('Cảnh báo chưa được tiếp nhận, đã chuyển cấp · mức Nghiêm trọng');
    expect(vi).toMatch(/Thời điểm: +05\/03\/2026 09:00 \(giờ Việt Nam\)/);
    expect(vi).toMatch(/Phát sinh lúc: +05\/03\/2026 08:30/);
    expect(vi).toMatch(/Cấp chuyển: +2/);
    expect(vi).toMatch(/Nguồn: +wl-hai-chau-01 · water_level = 3.2/);
    expect(en).toContain('Alert escalated · severity Critical');
    expect(en).toContain('Han river level above alarm level 2: 3.2 m');
    expect(en).toMatch(/Sector: +Natural resources and environment/);
    expect(email.html.indexOf('Mực nước')).toBeLessThan(email.html.indexOf('Han river'));
  });

  it('escapes HTML in alert text and shortens long subjects', () => {
    const alert = sampleAlert({
      message: { vi: `<script>alert("x")</script> ${'dài '.repeat(60)}`, en: 'A & B' },
      unit: null,
      sector: null,
    });
    const email = composeAlertEmail(alertChanged('raised', alert, 'user:truc.ban'), units);
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(email.html).toContain('A &amp; B');
    expect(email.text).toContain('<script>'); // plain text stays as written
    expect(email.text).toMatch(/Người thực hiện: +user:truc.ban/);
    expect(email.text).not.toContain('Đơn vị:');
    expect(email.subject).toContain('…');
    expect(email.subject.length).toBeLessThan(200);
  });

  it('says test notifications are tests', () => {
    const email = composeAlertEmail(
      { ...alertChanged('raised', sampleAlert()), change: 'test' },
      units,
    );
    expect(email.subject.startsWith('[IOC] Thông báo thử')).toBe(true);
    expect(email.subject).toContain('Test notification');
  });
});
