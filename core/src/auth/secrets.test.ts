import { describe, expect, it } from 'vitest';
import {
  generatePassword,
  hashPassword,
  randomSecret,
  safeEqual,
  sha256,
  verifyPassword,
} from './secrets.js';

// "Mật khẩu Đà Nẵng" typed on a keyboard that composes (NFC) and one that does not (NFD).
const NFC = 'Mật khẩu Đà Nẵng'.normalize('NFC');
const NFD = NFC.normalize('NFD');

describe('password hashing', () => {
  it('stores scrypt parameters, salt and hash as scrypt$N$r$p$salt$hash', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain('correct horse battery');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery');
    await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('treats composed and decomposed Vietnamese input as the same password', async () => {
    expect(NFC).not.toBe(NFD);
    await expect(verifyPassword(NFD, await hashPassword(NFC))).resolves.toBe(true);
    await expect(verifyPassword(NFC, await hashPassword(NFD))).resolves.toBe(true);
    await expect(verifyPassword('Mat khau Da Nang', await hashPassword(NFC))).resolves.toBe(false);
  });

  it('salts every hash, so one password never hashes the same twice', async () => {
    const [a, b] = await Promise.all([hashPassword(NFC), hashPassword(NFC)]);
    expect(a).not.toBe(b);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
  });

  it('refuses a stored value of another scheme or a truncated one', async () => {
    const stored = await hashPassword('correct horse battery');
    await expect(
      verifyPassword('correct horse battery', stored.replace('scrypt', 'bcrypt')),
    ).resolves.toBe(false);
    const withoutHash = stored.split('$').slice(0, 5).join('$');
    await expect(verifyPassword('correct horse battery', withoutHash)).resolves.toBe(false);
  });
});

describe('random secrets', () => {
  it('generates passwords from an alphabet without look-alike characters', () => {
    const passwords = Array.from({ length: 50 }, () => generatePassword());
    for (const password of passwords) expect(password).toMatch(/^[a-km-np-zA-HJ-NP-Z2-9]{20}$/);
    expect(new Set(passwords).size).toBe(50);
    expect(generatePassword(32)).toHaveLength(32);
  });

  it('makes base64url secrets of the requested entropy', () => {
    expect(randomSecret()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomSecret(12)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(randomSecret()).not.toBe(randomSecret());
  });

  it('hashes with sha256 (base64url) and compares strings exactly', () => {
    // sha256("abc"), a published test vector.
    expect(sha256('abc')).toBe(
      Buffer.from(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        'hex',
      ).toString('base64url'),
    );
    expect(safeEqual('same', 'same')).toBe(true);
    expect(safeEqual('same', 'Same')).toBe(false);
    expect(safeEqual('same', 'same ')).toBe(false);
  });
});
