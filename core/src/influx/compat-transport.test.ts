import type { SendOptions, Transport } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import { authorizationHeader } from './auth.js';
import { CompatTransport, toV1WritePath } from './compat-transport.js';
import { hasV2WriteApi, parseServerVersion } from './server-version.js';

describe('toV1WritePath', () => {
  it('moves a v2 write to /write with db and 1.x precision', () => {
    expect(toV1WritePath('/api/v2/write?org=&bucket=ioc&precision=ns')).toBe(
      '/write?db=ioc&precision=n',
    );
    expect(toV1WritePath('/api/v2/write?org=acme&bucket=ioc&precision=ms')).toBe(
      '/write?db=ioc&precision=ms',
    );
    expect(toV1WritePath('/api/v2/write?org=&bucket=ioc&precision=us')).toBe(
      '/write?db=ioc&precision=u',
    );
    expect(toV1WritePath('/api/v2/write?org=&bucket=ioc&precision=s')).toBe(
      '/write?db=ioc&precision=s',
    );
  });

  it('splits a db/rp bucket into db and rp, and keeps consistency', () => {
    expect(toV1WritePath('/api/v2/write?org=&bucket=ioc%2Fweek&precision=ms&consistency=one')).toBe(
      '/write?db=ioc&rp=week&precision=ms&consistency=one',
    );
    expect(toV1WritePath('/api/v2/write?org=&bucket=ioc%2F&precision=ms')).toBe(
      '/write?db=ioc&precision=ms',
    );
  });

  it('encodes database names that need escaping', () => {
    const path = toV1WritePath('/api/v2/write?org=&bucket=da%20n%E1%BA%B5ng%26x&precision=ms');
    expect(new URLSearchParams(path.split('?')[1]).get('db')).toBe('da nẵng&x');
  });

  it('leaves every other path alone', () => {
    expect(toV1WritePath('/ping')).toBe('/ping');
    expect(toV1WritePath('/api/v2/query?org=x')).toBe('/api/v2/query?org=x');
    expect(toV1WritePath('/api/v2/writes?bucket=x')).toBe('/api/v2/writes?bucket=x');
  });
});

/** Records what the wrapper hands to the client's transport. */
function recordingTransport() {
  const calls: { kind: string; path: string; options: SendOptions }[] = [];
  const base: Transport = {
    chunkCombiner: {
      concat: (a) => a,
      toUtf8String: () => '',
      copy: (a) => a,
    },
    send: (path, _body, options) => {
      calls.push({ kind: 'send', path, options });
    },
    request: async (path, _body, options) => {
      calls.push({ kind: 'request', path, options });
      return undefined;
    },
    iterate: (path, _body, options) => {
      calls.push({ kind: 'iterate', path, options });
      return (async function* () {})();
    },
  };
  return { base, calls };
}

describe('CompatTransport', () => {
  it('rewrites writes and adds the Authorization header for servers before 1.8', async () => {
    const { base, calls } = recordingTransport();
    const transport = new CompatTransport({ base, authorization: 'Basic abc', v1Write: true });
    transport.send('/api/v2/write?org=&bucket=ioc&precision=ms', 'm v=1', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
    });
    await transport.request('/api/v2/write?org=&bucket=ioc&precision=ns', '', { method: 'POST' });
    transport.iterate('/api/v2/write?org=&bucket=ioc&precision=s', '', { method: 'POST' });
    expect(calls.map((c) => [c.kind, c.path])).toEqual([
      ['send', '/write?db=ioc&precision=ms'],
      ['request', '/write?db=ioc&precision=n'],
      ['iterate', '/write?db=ioc&precision=s'],
    ]);
    expect(calls[0]?.options.headers).toEqual({
      authorization: 'Basic abc',
      'content-type': 'text/plain',
    });
    expect(transport.chunkCombiner).toBe(base.chunkCombiner);
  });

  it('keeps /api/v2/write for modern servers and sends no header without a token', () => {
    const { base, calls } = recordingTransport();
    const transport = new CompatTransport({ base, authorization: undefined, v1Write: false });
    const options = { method: 'POST' };
    transport.send('/api/v2/write?org=o&bucket=ioc&precision=ms', 'm v=1', options);
    expect(calls[0]?.path).toBe('/api/v2/write?org=o&bucket=ioc&precision=ms');
    expect(calls[0]?.options).toBe(options);
  });
});

describe('server version and credentials', () => {
  it('parses the versions each generation reports', () => {
    expect(parseServerVersion('1.6.7~rc0')).toEqual({ raw: '1.6.7~rc0', major: 1, minor: 6 });
    expect(parseServerVersion('v2.7.4')).toMatchObject({ major: 2, minor: 7 });
    expect(parseServerVersion('3.0.1')).toMatchObject({ major: 3, minor: 0 });
    expect(parseServerVersion(null)).toEqual({ raw: 'unknown', major: 0, minor: 0 });
    expect(parseServerVersion('garbage')).toEqual({ raw: 'garbage', major: 0, minor: 0 });
  });

  it('uses /write only before 1.8', () => {
    expect(hasV2WriteApi(parseServerVersion('1.6.7~rc0'))).toBe(false);
    expect(hasV2WriteApi(parseServerVersion('1.7.11'))).toBe(false);
    expect(hasV2WriteApi(parseServerVersion('1.8.10'))).toBe(true);
    expect(hasV2WriteApi(parseServerVersion('v2.7.4'))).toBe(true);
    expect(hasV2WriteApi(parseServerVersion('3.0.1'))).toBe(true);
    expect(hasV2WriteApi(parseServerVersion(undefined))).toBe(true);
  });

  it('sends user:password as Basic and tokens as Token (Bearer before 1.8)', () => {
    const v16 = parseServerVersion('1.6.7');
    const v2 = parseServerVersion('v2.7.4');
    expect(authorizationHeader('', v2)).toBeUndefined();
    expect(authorizationHeader('ioc:s3cret', v16)).toBe(
      `Basic ${Buffer.from('ioc:s3cret').toString('base64')}`,
    );
    expect(authorizationHeader('ioc:s3cret', v2)).toMatch(/^Basic /);
    expect(authorizationHeader('tok', v2)).toBe('Token tok');
    expect(authorizationHeader('jwt', v16)).toBe('Bearer jwt');
  });
});
