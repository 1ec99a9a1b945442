/** Unicode NFC, the form all unit text is stored and compared in. */
export function nfc(text: string): string {
  return text.normalize('NFC');
}

/**
 * Folds Vietnamese text for accent-insensitive matching: 'Hải Châu', 'HAI CHAU' and
 * 'hai  chau' all become 'hai chau'. Older documents and tone-mark spellings differ
 * ('Thanh Hoá' / 'Thanh Hóa'); folding makes them meet.
 */
export function foldDiacritics(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Case-insensitive key that keeps diacritics: 'Hải Châu' and 'hải châu' meet, 'Hai Chau' does not. */
export function nameKey(text: string): string {
  return nfc(text).toLocaleLowerCase('vi').replace(/\s+/g, ' ').trim();
}

/** Deep copy of JSON-like data with every string in NFC. */
export function nfcDeep(value: unknown): unknown {
  if (typeof value === 'string') return nfc(value);
  if (Array.isArray(value)) return value.map(nfcDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[nfc(key)] = nfcDeep(item);
    return out;
  }
  return value;
}
