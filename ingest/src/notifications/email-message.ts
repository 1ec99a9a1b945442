import type { AdminUnitTree, AlertSnapshot } from '@ioc/core';
import { isSector, SECTORS } from '@ioc/devices';
import { type Bilingual, CHANGE_TEXT, formatVietnamTime, SEVERITY_TEXT } from './alert-text.js';
import type { NotificationEvent } from './types.js';

export interface AlertEmail {
  subject: string;
  text: string;
  html: string;
}

const SUBJECT_MESSAGE_CHARS = 120;
const SEVERITY_COLOUR: Record<AlertSnapshot['severity'], string> = {
  critical: '#b71c1c',
  major: '#e65100',
  minor: '#f9a825',
  warning: '#1565c0',
  info: '#546e7a',
};

/**
 * The e-mail for one alert change: Vietnamese first, English below, times in Vietnam time
 * (dd/MM/yyyy HH:mm), as plain text and as simple HTML of the same content.
 */
export function composeAlertEmail(event: NotificationEvent, units: AdminUnitTree): AlertEmail {
  const { alert } = event;
  const change = CHANGE_TEXT[event.change];
  const severity = SEVERITY_TEXT[alert.severity];
  const subject = `[IOC] ${change.vi} · ${severity.vi}: ${shorten(alert.message.vi)} / ${change.en} · ${severity.en}`;
  const rows = detailRows(event, units);
  const section = (lang: keyof Bilingual) => ({
    heading: `${change[lang]} · ${lang === 'vi' ? 'mức' : 'severity'} ${severity[lang]}`,
    message: alert.message[lang],
    rows: rows.map((row) => [row.label[lang], row.value[lang]] as const),
  });
  const sections = [section('vi'), section('en')];

  const text = sections
    .map((s) => {
      const width = Math.max(...s.rows.map(([label]) => label.length));
      const lines = s.rows.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`);
      return [s.heading, s.message, '', ...lines].join('\n');
    })
    .join(`\n\n${'-'.repeat(40)}\n\n`);

  const colour = SEVERITY_COLOUR[alert.severity];
  const html = [
    '<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#212121">',
    ...sections.map(
      (s, i) =>
        `${i > 0 ? '<hr style="border:none;border-top:1px solid #bdbdbd;margin:24px 0">' : ''}` +
        `<h2 style="margin:0 0 8px;font-size:18px;color:${colour}">${escapeHtml(s.heading)}</h2>` +
        `<p style="margin:0 0 12px;font-size:15px">${escapeHtml(s.message)}</p>` +
        '<table style="border-collapse:collapse">' +
        s.rows
          .map(
            ([label, value]) =>
              `<tr><td style="padding:2px 12px 2px 0;color:#616161">${escapeHtml(label)}</td><td style="padding:2px 0">${escapeHtml(value)}</td></tr>`,
          )
          .join('') +
        '</table>',
    ),
    '</body></html>',
  ].join('');
  return { subject, text, html };
}

interface DetailRow {
  label: Bilingual;
  value: Bilingual;
}

function detailRows(event: NotificationEvent, units: AdminUnitTree): DetailRow[] {
  const { alert } = event;
  const same = (value: string): Bilingual => ({ vi: value, en: value });
  const rows: DetailRow[] = [
    {
      label: { vi: 'Thời điểm', en: 'Time' },
      value: {
        vi: `${formatVietnamTime(event.at)} (giờ Việt Nam)`,
        en: `${formatVietnamTime(event.at)} (Vietnam time, UTC+7)`,
      },
    },
    {
      label: { vi: 'Phát sinh lúc', en: 'Raised at' },
      value: same(formatVietnamTime(alert.raisedAt)),
    },
  ];
  if (alert.unit)
    rows.push({ label: { vi: 'Đơn vị', en: 'Unit' }, value: unitName(alert.unit, units) });
  if (alert.sector) {
    rows.push({
      label: { vi: 'Lĩnh vực', en: 'Sector' },
      value: isSector(alert.sector) ? SECTORS[alert.sector] : same(alert.sector),
    });
  }
  const source = [alert.deviceId ?? alert.source];
  if (alert.metric) {
    source.push(alert.value === null ? alert.metric : `${alert.metric} = ${String(alert.value)}`);
  }
  rows.push({ label: { vi: 'Nguồn', en: 'Source' }, value: same(source.join(' · ')) });
  if (alert.count > 1) {
    rows.push({
      label: { vi: 'Số lần xảy ra', en: 'Occurrences' },
      value: same(String(alert.count)),
    });
  }
  if (alert.escalationLevel > 0) {
    rows.push({
      label: { vi: 'Cấp chuyển', en: 'Escalation level' },
      value: same(String(alert.escalationLevel)),
    });
  }
  if (alert.assignee) {
    rows.push({ label: { vi: 'Người phụ trách', en: 'Assignee' }, value: same(alert.assignee) });
  }
  if (event.actor) {
    rows.push({ label: { vi: 'Người thực hiện', en: 'By' }, value: same(event.actor) });
  }
  rows.push({ label: { vi: 'Mã cảnh báo', en: 'Alert id' }, value: same(alert.id) });
  return rows;
}

function unitName(code: string, units: AdminUnitTree): Bilingual {
  const unit = units.get(code);
  if (!unit) return { vi: code, en: code };
  const vi = unit.fullName ?? unit.name;
  const en = unit.fullNameEn ?? unit.nameEn ?? vi;
  return { vi: `${vi} (${code})`, en: `${en} (${code})` };
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= SUBJECT_MESSAGE_CHARS
    ? oneLine
    : `${oneLine.slice(0, SUBJECT_MESSAGE_CHARS - 1)}…`;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
