import { describe, expect, it } from 'vitest';
import { refusalOf } from './conference-client';
import { connectionStatus } from './connection-status';
import { joinTokenOf } from './join-link';
import { rmsLevel } from './local-media';
import { readReply, SignallingRequestError } from './signalling';

describe('readReply', () => {
  it('returns the data of an ok Reply', () => {
    expect(readReply('join', { ok: true, data: { muted: 2 } })).toEqual({ muted: 2 });
  });

  it('throws the server’s code and message', () => {
    const failure = () =>
      readReply('muteAll', { ok: false, error: { code: 'FORBIDDEN', message: 'chair only' } });
    expect(failure).toThrow(SignallingRequestError);
    expect(failure).toThrow('chair only');
    try {
      failure();
    } catch (error) {
      expect((error as SignallingRequestError).code).toBe('FORBIDDEN');
      expect((error as SignallingRequestError).request).toBe('muteAll');
    }
  });

  it('treats anything that is not a Reply as BAD_REPLY', () => {
    for (const answer of [undefined, null, 'ok', { data: 1 }, { ok: false }]) {
      try {
        readReply('chat', answer);
        expect.unreachable();
      } catch (error) {
        expect((error as SignallingRequestError).code).toBe('BAD_REPLY');
      }
    }
  });
});

describe('refusalOf', () => {
  it('reads the SignallingError a refusing handshake carries', () => {
    expect(refusalOf({ data: { code: 'JOIN_TOKEN_EXPIRED', message: 'expired' } })).toEqual({
      code: 'JOIN_TOKEN_EXPIRED',
      message: 'expired',
    });
    expect(refusalOf({ data: { code: 'CONFERENCE_FULL' } })?.message).toBe('CONFERENCE_FULL');
    expect(refusalOf({})).toBeNull();
    expect(refusalOf({ data: 'nope' })).toBeNull();
  });
});

describe('joinTokenOf', () => {
  it('reads ?t= and ignores an empty one', () => {
    expect(joinTokenOf('?t=abc.def')).toBe('abc.def');
    expect(joinTokenOf('?lang=en&t=%20x%20')).toBe('x');
    expect(joinTokenOf('?t=')).toBeUndefined();
    expect(joinTokenOf('')).toBeUndefined();
  });
});

describe('connectionStatus', () => {
  const status = (phase: string, connection: string) =>
    // biome-ignore lint/suspicious/noExplicitAny: only the two fields it reads
    connectionStatus({ phase, connection } as any).key;

  it('says joined only when the media path is up', () => {
    expect(status('joined', 'connected')).toBe('joined');
    expect(status('joined', 'connecting')).toBe('connecting');
    expect(status('joined', 'disconnected')).toBe('weak');
    expect(status('reconnecting', 'new')).toBe('reconnecting');
    expect(status('waiting', 'new')).toBe('waiting');
  });
});

describe('rmsLevel', () => {
  it('is 0 for silence and grows with the amplitude', () => {
    expect(rmsLevel(new Uint8Array([128, 128, 128]))).toBe(0);
    expect(rmsLevel(new Uint8Array([])).valueOf()).toBe(0);
    const quiet = rmsLevel(new Uint8Array([120, 136, 120, 136]));
    const loud = rmsLevel(new Uint8Array([0, 255, 0, 255]));
    expect(quiet).toBeGreaterThan(0);
    expect(loud).toBeGreaterThan(quiet);
    expect(loud).toBeLessThanOrEqual(1);
  });
});
