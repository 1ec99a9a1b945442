import { describe, expect, it } from 'vitest';
import { formatDuration, placeholdersOf, renderTemplate } from './template.js';

describe('message templates', () => {
  it('fills placeholders per language: numbers, bilingual names, yes/no, missing values', () => {
    const values = {
      value: 1234.567,
      metric: { vi: 'Mực nước', en: 'Water level' },
      device: 'wl-01',
      running: false,
      nothing: null,
    };
    const template = '{metric} {device}: {value} ({running}, {nothing})';
    expect(renderTemplate(template, values, 'vi')).toBe('Mực nước wl-01: 1.234,57 (không, —)');
    expect(renderTemplate(template, values, 'en')).toBe('Water level wl-01: 1,234.57 (no, —)');
  });

  it('leaves unknown placeholders and stray braces as written, and returns NFC', () => {
    const decomposed = 'Cảnh báo {x} tại {area} {'.normalize('NFD');
    const text = renderTemplate(decomposed, { area: 'Hải Vân'.normalize('NFD') }, 'vi');
    expect(text).toBe('Cảnh báo {x} tại Hải Vân {');
    expect(text).toBe(text.normalize('NFC'));
  });

  it('lists the placeholders a template uses, once each', () => {
    expect(placeholdersOf('{a} {b} {a} {1x} { c } {deviceName}')).toEqual(['a', 'b', 'deviceName']);
  });

  it('writes durations with their two largest units', () => {
    expect(formatDuration(900)).toEqual({ vi: '15 phút', en: '15 min' });
    expect(formatDuration(5400)).toEqual({ vi: '1 giờ 30 phút', en: '1 h 30 min' });
    expect(formatDuration(2 * 86_400 + 3 * 3600 + 7)).toEqual({
      vi: '2 ngày 3 giờ',
      en: '2 d 3 h',
    });
    expect(formatDuration(0)).toEqual({ vi: '0 giây', en: '0 s' });
  });
});
